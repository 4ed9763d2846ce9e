/**
 * Shaping core results into n8n items: flat JSON, one item per day or one summary item, with the
 * field names the user chose. Values are core's: absent metrics stay null, never 0.
 */
import { metricLabel, type StatisticsDay, type StatisticsSummary, type StatisticsWarning } from '@wecom-kf-stats/core';
import type { IDataObject } from 'n8n-workflow';

export type FieldNames = 'key' | 'en' | 'zh';

export interface Scope {
  openKfid?: string | undefined;
  servicerUserid?: string | undefined;
}

function fieldName(key: string, names: FieldNames): string {
  return names === 'key' ? key : metricLabel(key, names);
}

function scopeFields(scope: Scope): IDataObject {
  return {
    ...(scope.openKfid !== undefined ? { open_kfid: scope.openKfid } : {}),
    ...(scope.servicerUserid !== undefined ? { servicer_userid: scope.servicerUserid } : {}),
  };
}

/** Warnings about this day, plus range-wide ones (those without days). */
export function warningsForDay(warnings: readonly StatisticsWarning[], date: string): string[] {
  return warnings.filter((w) => w.days === undefined || w.days.includes(date)).map((w) => w.message);
}

/**
 * date, stat_time, has_data, then each metric in catalog order (null when the day has no data or
 * WeCom could not compute it), then, when `keepUnknown`, any field WeCom sent that the catalog
 * does not know yet.
 */
export function dayItem(
  day: StatisticsDay,
  hasData: boolean,
  metricKeys: readonly string[],
  keepUnknown: boolean,
  names: FieldNames,
  scope: Scope,
): IDataObject {
  const item: IDataObject = { date: day.date, stat_time: day.stat_time, has_data: hasData };
  const statistic = day.statistic ?? {};
  for (const key of metricKeys) item[fieldName(key, names)] = (statistic[key] as number | null | undefined) ?? null;
  if (keepUnknown) {
    for (const [key, value] of Object.entries(statistic)) {
      if (!metricKeys.includes(key)) item[key] = value as IDataObject[string];
    }
  }
  return { ...item, ...scopeFields(scope) };
}

export function summaryItem(summary: StatisticsSummary, metricKeys: readonly string[], names: FieldNames, scope: Scope): IDataObject {
  const item: IDataObject = {
    from: summary.from,
    to: summary.to,
    day_count: summary.dayCount,
    days_with_data: summary.daysWithData,
  };
  for (const key of metricKeys) item[fieldName(key, names)] = summary.metrics[key] ?? null;
  // Notes about how a metric was computed (the summary holds only the metrics shown).
  const notes = summary.notes.map((note) => note.message);
  return { ...item, ...scopeFields(scope), notes };
}
