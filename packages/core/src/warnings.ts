/** Warnings travel with results; adapters show them (CLI on stderr, Grafana as frame notices…). */
export type WarningCode = 'RANGE_CLAMPED' | 'RATE_ABOVE_ONE' | 'DAY_NOT_READY';

export interface StatsWarning {
  code: WarningCode;
  message: string;
  /** Days the warning is about, where it is about days. */
  days?: string[];
}
