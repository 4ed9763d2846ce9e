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
  /** How values were computed where that is not a plain total or an exact weighted mean. */
  notes: SummaryNote[];
}

/** A note about one metric of a summary, as data: hosts filter and show them without parsing. */
export interface SummaryNote {
  metric: string;
  /** `approximate`: weighted by a stand-in for the true denominator; `unweighted`: no day had a weight, so a plain mean. */
  kind: 'approximate' | 'unweighted';
  message: string;
}

function aggregateMetric(
  endpoint: StatisticsEndpoint,
  metric: MetricDefinition,
  statistics: readonly Record<string, unknown>[],
  notes: SummaryNote[],
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
    if (approximate) notes.push({ metric: metric.key, kind: 'approximate', message: `${metric.key}: weighted by ${weightDescription}.` });
    return weighted / totalWeight;
  }
  notes.push({
    metric: metric.key,
    kind: 'unweighted',
    message: `${metric.key}: no day had a weight (${weightDescription}); plain mean of ${values.length} days.`,
  });
  return values.reduce((sum, s) => sum + (s[metric.key] as number), 0) / values.length;
}

/**
 * Totals and weighted means of the endpoint's metrics over `days`; with `metrics`, only those
 * (fields the catalog does not know have no rule to aggregate by and are left out).
 */
export function summarizeDays(
  endpoint: StatisticsEndpoint,
  days: readonly StatisticsDay[],
  options: { metrics?: readonly string[] } = {},
): StatisticsSummary {
  const statistics = days.flatMap((d) => (d.statistic ? [d.statistic] : []));
  const notes: SummaryNote[] = [];
  const metrics: Record<string, number | null> = {};
  const keep = options.metrics ? new Set(options.metrics) : undefined;
  for (const metric of metricsFor(endpoint)) {
    if (keep && !keep.has(metric.key)) continue;
    metrics[metric.key] = aggregateMetric(endpoint, metric, statistics, notes);
  }
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
