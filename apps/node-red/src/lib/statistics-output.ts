/**
 * A statistics result turned into Node-RED messages: one msg with every day, or one msg per day
 * carrying `msg.parts` so a join node can rebuild the array.
 */
import { shapeDays, summarizeDays, type StatisticsResult, type StatisticsSummary } from '@wecom-kf-stats/core/node';
import type { NodeMessage } from '../node-red.js';
import type { StatisticsPlan } from './statistics-request.js';

/** What the result was about, on `msg.statistics` (no days: those are the payload). */
export function describeResult(result: StatisticsResult) {
  const { days: _days, warnings: _warnings, ...about } = result;
  return about;
}

function summaryOf(plan: StatisticsPlan, result: StatisticsResult): StatisticsSummary {
  return summarizeDays(result.endpoint, result.days, plan.metrics ? { metrics: plan.metrics } : {});
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
  const days = shapeDays(result.endpoint, result.days, { metrics: plan.metrics, fillPolicy: plan.fillPolicy });
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
