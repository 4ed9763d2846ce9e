/**
 * What adapters do with days that have no data. `null` keeps them as they are (the honest
 * default), `zero` puts 0 in the counts of a no-data day (ratios and averages stay null: they are
 * not computable, never 0), `omit` drops no-data days.
 */
import { metricsFor, type StatisticsEndpoint } from './metrics.js';
import type { StatisticsDay } from './normalize.js';

export const FILL_POLICIES = ['null', 'zero', 'omit'] as const;
export type FillPolicy = (typeof FILL_POLICIES)[number];

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

/**
 * Days as a host shows them, in the one order every host uses: fill days without data first (so
 * `zero` fills only the endpoint's counts), then keep the picked metrics. Without `metrics` every
 * field WeCom sent is kept, fields the catalog does not know included.
 */
export function shapeDays(
  endpoint: StatisticsEndpoint,
  days: readonly StatisticsDay[],
  options: { metrics?: readonly string[] | undefined; fillPolicy?: FillPolicy | undefined } = {},
): StatisticsDay[] {
  const filled = applyFillPolicy(endpoint, days, options.fillPolicy ?? 'null');
  return options.metrics ? pickMetrics(filled, options.metrics) : filled;
}
