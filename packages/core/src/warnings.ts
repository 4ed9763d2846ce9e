/**
 * Warnings travel with results; adapters show them (CLI on stderr, Grafana as frame notices…).
 * Values WeCom sent are never changed silently: what looks odd is passed on and flagged here.
 */
export type WarningCode =
  /** The range was cut to WeCom's window. */
  | 'RANGE_CLAMPED'
  /** A ratio above 1 (ratios are shares in 0..1). */
  | 'RATE_ABOVE_ONE'
  /** A negative count, ratio or duration. */
  | 'NEGATIVE_VALUE'
  /** A number too large to represent (it parsed to Infinity): shown as null. */
  | 'NOT_FINITE'
  /** The same stat_time twice in one answer: the first entry was kept. */
  | 'DUPLICATE_DAY'
  /** A stat_time outside the days asked for: left out. */
  | 'UNEXPECTED_DAY'
  /** Yesterday without data before WeCom has computed it (06:00 China time). */
  | 'DAY_NOT_READY';

export interface StatisticsWarning {
  code: WarningCode;
  message: string;
  /** Days the warning is about, where it is about days. */
  days?: string[];
  /** The field the warning is about, where it is about one field. */
  field?: string;
}
