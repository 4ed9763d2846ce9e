/**
 * A statistics result turned into Node-RED messages: one msg with every day, or one msg per day
 * carrying `msg.parts` so a join node can rebuild the array.
 */
import {
  applyFillPolicy,
  pickMetrics,
  summarizeDays,
  type StatisticsResult,
  type StatisticsSummary,
} from '@wecom-kf-stats/core/node';
import type { NodeMessage } from '../node-red.js';
import type { StatisticsPlan } from './statistics-request.js';

/** What the result was about, on `msg.statistics` (no days: those are the payload). */
export function describeResult(result: StatisticsResult) {
  const { days: _days, warnings: _warnings, ...about } = result;
  return about;
}

function summaryOf(plan: StatisticsPlan, result: StatisticsResult): StatisticsSummary {
  const summary = summarizeDays(result.endpoint, result.days);
  if (!plan.metrics) return summary;
  const keep = new Set(plan.metrics);
  return {
    ...summary,
    metrics: Object.fromEntries(Object.entries(summary.metrics).filter(([key]) => keep.has(key))),
    // Notes start with the metric they are about.
    notes: summary.notes.filter((note) => keep.has(note.split(':')[0]!)),
  };
}

/**
 * @param clone Node-RED's `RED.util.cloneMessage`, so each output is independent of the input.
 */
export function statisticsMessages(
  plan: StatisticsPlan,
  result: StatisticsResult,
  msg: NodeMessage,
  clone: <T>(value: T) => T,
  extra: Record<string, unknown> = {},
): NodeMessage[] {
  const picked = plan.metrics ? pickMetrics(result.days, plan.metrics) : result.days;
  const days = applyFillPolicy(result.endpoint, picked, plan.fill);
  const common = {
    statistics: describeResult(result),
    warnings: result.warnings,
    ...(plan.summary ? { summary: summaryOf(plan, result) } : {}),
    ...extra,
  };
  if (plan.output === 'all') {
    return [{ ...clone(msg), payload: days, ...common }];
  }
  const id = `${msg._msgid ?? 'wecom-kf'}-days`;
  return days.map((day, index) => ({
    ...clone(msg),
    payload: day,
    date: day.date,
    ...common,
    // Nested like the split node's: an upstream sequence (e.g. one msg per account) stays intact.
    parts: { id, index, count: days.length, type: 'array', len: 1, ...(msg.parts ? { parts: msg.parts } : {}) },
  }));
}
