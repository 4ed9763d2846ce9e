/**
 * From WeCom's `statistic_list` to days the adapters can trust: every known metric present (null
 * when WeCom left it out: "not computable", never 0), unknown fields kept as sent, a day without
 * `statistic` kept as `statistic: null` (no data, or not computed yet).
 */
import type { ChinaDay } from './china-day.js';
import { ResponseFormatError } from './errors.js';
import { getMetric, metricKeysView, type StatisticsEndpoint } from './metrics.js';
import type { StatsWarning } from './warnings.js';

/** A day's metrics: catalog keys as number or null, unknown fields as WeCom sent them. */
export type Statistic = Record<string, unknown>;

export interface StatisticsDay {
  /** China date, YYYY-MM-DD. */
  date: ChinaDay;
  /** Unix seconds of the day's 00:00 China time, as WeCom keys it. */
  stat_time: number;
  /** null: WeCom sent no statistic for the day (no data, or not computed yet). */
  statistic: Statistic | null;
}

export function normalizeStatistic(
  endpoint: StatisticsEndpoint,
  raw: Record<string, unknown>,
  where: string,
  label: string,
): Statistic {
  const out: Statistic = {};
  for (const key of metricKeysView(endpoint)) out[key] = null;
  for (const [key, value] of Object.entries(raw)) {
    if (getMetric(key) === undefined) {
      out[key] = value;
      continue;
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const field = `${where}.statistic.${key}`;
      throw new ResponseFormatError(label, `field ${field} is ${JSON.stringify(value)}; expected a number or absent.`, field);
    }
    out[key] = value;
  }
  return out;
}

/** Ratios are shares in 0..1 (WECOM-API.md §3); a value above 1 is flagged, never changed. */
export function rateWarnings(days: readonly StatisticsDay[]): StatsWarning[] {
  const byField = new Map<string, ChinaDay[]>();
  for (const day of days) {
    if (!day.statistic) continue;
    for (const [key, value] of Object.entries(day.statistic)) {
      if (getMetric(key)?.kind === 'ratio' && typeof value === 'number' && value > 1) {
        byField.set(key, [...(byField.get(key) ?? []), day.date]);
      }
    }
  }
  return [...byField].map(([key, dates]) => ({
    code: 'RATE_ABOVE_ONE' as const,
    message: `${key} is above 1 on ${dates.join(', ')}; rates are expected as shares in 0..1. Values are passed on unchanged.`,
    days: dates,
  }));
}
