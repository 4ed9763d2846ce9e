/**
 * What adapters do with days that have no data. `null` keeps them as they are (the honest
 * default), `zero` puts 0 in the counts of a no-data day (ratios and averages stay null: they are
 * not computable, never 0), `omit` drops no-data days.
 */
import { metricsFor, type StatisticsEndpoint } from './metrics.js';
import type { StatisticsDay } from './normalize.js';

export type FillPolicy = 'null' | 'zero' | 'omit';
export const FILL_POLICIES: readonly FillPolicy[] = ['null', 'zero', 'omit'];

export function applyFillPolicy(endpoint: StatisticsEndpoint, days: readonly StatisticsDay[], policy: FillPolicy): StatisticsDay[] {
  if (policy === 'omit') return days.filter((d) => d.statistic !== null);
  if (policy === 'null') return [...days];
  return days.map((day) => {
    if (day.statistic !== null) return day;
    const statistic: Record<string, number | null> = {};
    for (const metric of metricsFor(endpoint)) statistic[metric.key] = metric.kind === 'count' ? 0 : null;
    return { ...day, statistic };
  });
}

/** Keep only the picked metrics of each day (no-data days stay null). */
export function pickMetrics(days: readonly StatisticsDay[], keys: readonly string[]): StatisticsDay[] {
  return days.map((day) =>
    day.statistic === null ? day : { ...day, statistic: Object.fromEntries(keys.map((k) => [k, day.statistic![k] ?? null])) },
  );
}
