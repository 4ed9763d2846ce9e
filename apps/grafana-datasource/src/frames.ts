/**
 * Data frames from core's results: a time field at each day's China midnight (stat_time), one
 * number field per metric with the catalog's Grafana unit and label, nulls kept as null.
 * Core's warnings and summary notes become frame notices.
 */
import { createDataFrame, FieldType, type DataFrame, type FieldConfig, type QueryResultMetaNotice } from '@grafana/data';
import {
  getMetric,
  metricLabel,
  shapeDays,
  summarizeDays,
  type FillPolicy,
  type StatisticsResult,
  type StatisticsWarning,
} from '@wecom-kf-stats/core';
import type { LabelLanguage, QueryAggregation, QueryFormat } from './types';

export interface FrameOptions {
  refId: string;
  metrics: readonly string[];
  format: QueryFormat;
  aggregation: QueryAggregation;
  fillPolicy: FillPolicy;
  language: LabelLanguage;
  /** Set when one query covers several accounts: tells the series apart. */
  series?: { openKfid: string; name?: string };
  /** Extra notices (e.g. days missing after a failure). */
  notices?: QueryResultMetaNotice[];
}

const WARNING_SEVERITY: Record<StatisticsWarning['code'], QueryResultMetaNotice['severity']> = {
  RANGE_CLAMPED: 'info',
  DAY_NOT_READY: 'info',
  RATE_ABOVE_ONE: 'warning',
  NEGATIVE_VALUE: 'warning',
  NOT_FINITE: 'warning',
  DUPLICATE_DAY: 'warning',
  UNEXPECTED_DAY: 'warning',
};

export function warningNotices(warnings: readonly StatisticsWarning[]): QueryResultMetaNotice[] {
  return warnings.map((w) => ({ severity: WARNING_SEVERITY[w.code] ?? 'warning', text: w.message }));
}

function metricField(key: string, values: (number | null)[], options: FrameOptions) {
  const definition = getMetric(key);
  const label = metricLabel(key, options.language);
  const config: FieldConfig = {
    unit: definition?.unit ?? 'short',
    displayName: options.series ? `${label} · ${options.series.name ?? options.series.openKfid}` : label,
  };
  if (definition) config.description = definition.description[options.language];
  // Ratios are shares 0..1 (docs/wecom-api.md §3): fix the axis so panels compare at a glance.
  if (definition?.kind === 'ratio') Object.assign(config, { min: 0, max: 1 });
  return {
    name: key,
    type: FieldType.number,
    values,
    config,
    ...(options.series ? { labels: { open_kfid: options.series.openKfid } } : {}),
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function buildFrame(result: StatisticsResult, options: FrameOptions): DataFrame {
  const notices = [...warningNotices(result.warnings), ...(options.notices ?? [])];
  const custom = { from: result.from, to: result.to, requested: result.requested, stats: result.stats };
  const fields = [];
  if (options.aggregation === 'total') {
    const summary = summarizeDays(result.endpoint, result.days, { metrics: options.metrics });
    notices.push(...summary.notes.map((note) => ({ severity: 'info' as const, text: note.message })));
    const start = result.days[0]?.stat_time;
    fields.push({ name: 'Time', type: FieldType.time, values: start === undefined ? [] : [start * 1000] });
    if (options.format === 'table') {
      fields.push({ name: 'From', type: FieldType.string, values: [result.from] });
      fields.push({ name: 'To', type: FieldType.string, values: [result.to] });
      fields.push({ name: 'Days', type: FieldType.number, values: [summary.dayCount] });
      fields.push({ name: 'Days with data', type: FieldType.number, values: [summary.daysWithData] });
    }
    for (const key of options.metrics)
      fields.push(metricField(key, start === undefined ? [] : [numberOrNull(summary.metrics[key])], options));
  } else {
    const days = shapeDays(result.endpoint, result.days, { metrics: options.metrics, fillPolicy: options.fillPolicy });
    fields.push({ name: 'Time', type: FieldType.time, values: days.map((d) => d.stat_time * 1000) });
    if (options.format === 'table') fields.push({ name: 'Date', type: FieldType.string, values: days.map((d) => d.date) });
    for (const key of options.metrics)
      fields.push(
        metricField(
          key,
          days.map((d) => numberOrNull(d.statistic?.[key])),
          options,
        ),
      );
  }
  return createDataFrame({
    refId: options.refId,
    name: options.series?.name ?? options.series?.openKfid,
    fields,
    meta: {
      preferredVisualisationType: options.format === 'table' ? 'table' : 'graph',
      notices,
      custom,
    },
  });
}

/** How the server's warnings show on a frame: days it could not give are worth a look, a failed live fetch is an error. */
const SERVER_WARNING_SEVERITY: Record<string, QueryResultMetaNotice['severity']> = {
  RANGE_CLAMPED: 'info',
  NOT_ARCHIVED: 'warning',
  LIVE_FETCH_FAILED: 'error',
};

/** Notices from the warnings of the server's statistics answer (server mode). */
export function serverWarningNotices(warnings: ReadonlyArray<{ code: string; message: string }>): QueryResultMetaNotice[] {
  return warnings.map((w) => ({ severity: SERVER_WARNING_SEVERITY[w.code] ?? 'warning', text: w.message }));
}
