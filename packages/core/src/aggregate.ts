/**
 * Summaries over a range, of the endpoint's own metrics. Counts are summed. Ratios and averages are
 * means weighted by the day's denominator, read from the catalog for the endpoint (e.g. reply_rate
 * by servicer_session_cnt in component statistics and by session_cnt in servicer statistics, first
 * reply by answered sessions, satisfaction shares by ratings given). Days where a ratio is null are
 * left out of its mean. When no day carries the weight, the plain mean of the days is used and the
 * summary says so in `notes`.
 */
import type { ChinaDay } from './china-day.js';
import { metricsFor, type MetricDefinition, type StatisticsEndpoint } from './metrics.js';
import type { StatisticsDay } from './normalize.js';

export interface StatisticsSummary {
  endpoint: StatisticsEndpoint;
  from: ChinaDay | null;
  to: ChinaDay | null;
  dayCount: number;
  daysWithData: number;
  /** Catalog metrics: the range total or weighted mean; null when no day had the metric. */
  metrics: Record<string, number | null>;
  /** How approximate values were computed. */
  notes: string[];
}

function aggregateMetric(
  endpoint: StatisticsEndpoint,
  metric: MetricDefinition,
  statistics: readonly Record<string, unknown>[],
  notes: string[],
): number | null {
  const values = statistics.filter((s) => typeof s[metric.key] === 'number');
  if (values.length === 0) return null;
  if (metric.aggregation.type === 'sum') return values.reduce((sum, s) => sum + (s[metric.key] as number), 0);
  const { weight, weightDescription, approximate } = metric.aggregation;
  let weighted = 0;
  let totalWeight = 0;
  for (const s of values) {
    const w = weight(s, endpoint);
    if (w === null || w <= 0) continue;
    weighted += (s[metric.key] as number) * w;
    totalWeight += w;
  }
  if (totalWeight > 0) {
    if (approximate) notes.push(`${metric.key}: weighted by ${weightDescription}.`);
    return weighted / totalWeight;
  }
  notes.push(`${metric.key}: no day had a weight (${weightDescription}); plain mean of ${values.length} days.`);
  return values.reduce((sum, s) => sum + (s[metric.key] as number), 0) / values.length;
}

export function summarizeDays(endpoint: StatisticsEndpoint, days: readonly StatisticsDay[]): StatisticsSummary {
  const statistics = days.flatMap((d) => (d.statistic ? [d.statistic] : []));
  const notes: string[] = [];
  const metrics: Record<string, number | null> = {};
  for (const metric of metricsFor(endpoint)) metrics[metric.key] = aggregateMetric(endpoint, metric, statistics, notes);
  return {
    endpoint,
    from: days[0]?.date ?? null,
    to: days.at(-1)?.date ?? null,
    dayCount: days.length,
    daysWithData: statistics.length,
    metrics,
    notes,
  };
}
