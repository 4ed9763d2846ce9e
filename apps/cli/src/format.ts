/**
 * Output formats. JSON is an object with a `days` array of `{date, stat_time, statistic}` (WeCom's
 * field names and values, null for a day without data); NDJSON one day per line; CSV a header row
 * and one row per day with empty cells for null; table for people.
 */
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import {
  getMetric,
  metricLabel,
  type KfAccount,
  type Servicer,
  type StatisticsDay,
  type StatisticsResult,
  type StatisticsSummary,
  type StatisticsWarning,
} from '@wecom-kf-stats/core';

export const FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;

/** Tables without a rule between rows: one line per day. */
const COMPACT = {
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  style: { head: [], border: [] },
};
export type Format = (typeof FORMATS)[number];

export interface StatisticsOutput {
  result: Pick<StatisticsResult, 'endpoint' | 'from' | 'to' | 'requested'> & { openKfid?: string; servicerUserid?: string };
  days: StatisticsDay[];
  /** Columns in order: the picked metrics, then unknown fields seen. */
  columns: string[];
  warnings: StatisticsWarning[];
  summary?: StatisticsSummary;
  incomplete?: { missingDays: string[] };
}

/** The picked metrics, then any fields WeCom sent that the catalog does not know, sorted. */
export function columnsFor(days: readonly StatisticsDay[], picked: readonly string[], pickedExplicitly: boolean): string[] {
  if (pickedExplicitly) return [...picked];
  const extra = new Set<string>();
  for (const day of days) for (const key of Object.keys(day.statistic ?? {})) if (!picked.includes(key)) extra.add(key);
  return [...picked, ...[...extra].sort()];
}

function cellText(key: string, value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value !== 'number') return typeof value === 'string' ? value : JSON.stringify(value);
  const kind = getMetric(key)?.kind;
  if (kind === 'ratio') return `${(value * 100).toFixed(1)}%`;
  if (kind === 'seconds') return `${Math.round(value)}s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function csvCell(value: unknown): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The CSV row of a summary: in the day rows' columns, its range where a day has its date. */
function summaryCsvRow(summary: StatisticsSummary, columns: readonly string[]): (string | number)[] {
  return [`summary ${summary.from ?? ''}..${summary.to ?? ''}`, '', ...columns.map((c) => csvCell(summary.metrics[c]))];
}

export function renderStatistics(output: StatisticsOutput, format: Format): string {
  const { result, days, columns, warnings, summary } = output;
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        {
          endpoint: result.endpoint,
          ...(result.openKfid ? { open_kfid: result.openKfid } : {}),
          ...(result.servicerUserid ? { servicer_userid: result.servicerUserid } : {}),
          from: result.from,
          to: result.to,
          days: days.map((d) => ({ date: d.date, stat_time: d.stat_time, statistic: d.statistic })),
          ...(summary ? { summary } : {}),
          warnings,
          ...(output.incomplete ? { incomplete: output.incomplete } : {}),
        },
        null,
        2,
      )}\n`;
    case 'ndjson': {
      const lines = days.map((d) => JSON.stringify({ date: d.date, stat_time: d.stat_time, statistic: d.statistic }));
      if (summary) lines.push(JSON.stringify({ summary }));
      return lines.length ? `${lines.join('\n')}\n` : '';
    }
    case 'csv':
      // The days, then the summary as one more row in the same columns.
      return stringify([
        ['date', 'stat_time', ...columns],
        ...days.map((d) => [d.date, d.stat_time, ...columns.map((c) => csvCell(d.statistic?.[c]))]),
        ...(summary ? [summaryCsvRow(summary, columns)] : []),
      ]);
    case 'table': {
      const table = new Table({ head: ['Date', ...columns.map((c) => metricLabel(c))], ...COMPACT });
      for (const d of days) table.push([d.date, ...columns.map((c) => (d.statistic === null ? 'no data' : cellText(c, d.statistic[c])))]);
      const parts = [table.toString()];
      if (summary) parts.push(renderSummaryTable(summary, columns));
      return `${parts.join('\n')}\n`;
    }
  }
}

export function renderSummaryTable(summary: StatisticsSummary, columns?: readonly string[]): string {
  const table = new Table({ head: ['Metric', '指标', `Total / weighted mean, ${summary.from ?? '–'}..${summary.to ?? '–'}`], ...COMPACT });
  for (const [key, value] of Object.entries(summary.metrics)) {
    if (columns && !columns.includes(key)) continue;
    table.push([metricLabel(key), metricLabel(key, 'zh'), cellText(key, value)]);
  }
  const footer = [`${summary.daysWithData} of ${summary.dayCount} days had data.`, ...summary.notes.map((note) => note.message)].join('\n');
  return `${table.toString()}\n${footer}`;
}

interface ListColumn<T> {
  header: string;
  value(item: T): unknown;
  /** Shown in the table format too (otherwise CSV only). */
  inTable?: boolean;
}

/** One renderer for the account and servicer lists: JSON under `key`, NDJSON, CSV, table. */
function renderList<T>(items: readonly T[], format: Format, key: string, noun: string, columns: ListColumn<T>[]): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ [key]: items }, null, 2)}\n`;
    case 'ndjson':
      return items.map((item) => `${JSON.stringify(item)}\n`).join('');
    case 'csv':
      return stringify([columns.map((c) => c.header), ...items.map((item) => columns.map((c) => csvCell(c.value(item))))]);
    case 'table': {
      const shown = columns.filter((c) => c.inTable);
      const table = new Table({ head: shown.map((c) => c.header), ...COMPACT });
      for (const item of items) table.push(shown.map((c) => String(c.value(item) ?? '')));
      return `${table.toString()}\n${items.length} ${noun}(s).\n`;
    }
  }
}

export function renderAccounts(accounts: readonly KfAccount[], format: Format): string {
  return renderList(accounts, format, 'accounts', 'account', [
    { header: 'open_kfid', value: (a) => a.open_kfid, inTable: true },
    { header: 'name', value: (a) => a.name ?? '', inTable: true },
    { header: 'manage_privilege', value: (a) => a.manage_privilege },
  ]);
}

export function renderServicers(servicers: readonly Servicer[], format: Format): string {
  return renderList(servicers, format, 'servicers', 'servicer', [
    { header: 'userid', value: (s) => s.userid ?? s.open_userid ?? '', inTable: true },
    { header: 'open_userid', value: (s) => s.open_userid ?? '' },
    { header: 'status', value: (s) => (format === 'table' ? (s.status === 0 ? 'receiving' : s.status) : s.status), inTable: true },
  ]);
}
