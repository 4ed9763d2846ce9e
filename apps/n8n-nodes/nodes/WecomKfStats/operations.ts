/**
 * What each operation does for one input item: read its parameters, ask core, shape the answer.
 * Ranges, windows, metric names and summaries are core's; this module only translates.
 */
import {
  DEFAULTS,
  FILL_POLICIES,
  WINDOW_POLICIES,
  parseChoice,
  ValidationError,
  metricsFor,
  parseMetricSelection,
  shapeDays,
  summarizeDays,
  type FillPolicy,
  type KfStatsClient,
  type RangeInput,
  type StatisticsEndpoint,
  type StatisticsResult,
  type WindowPolicy,
} from '@wecom-kf-stats/core';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { STATISTICS_OPERATIONS } from './description';
import { dayItem, summaryItem, warningsForDay, type FieldNames, type Scope } from './items';

export interface StatisticsRequest {
  endpoint: StatisticsEndpoint;
  scope: Scope;
  range: RangeInput;
  metricKeys: string[];
  keepUnknown: boolean;
  output: 'days' | 'summary';
  fillPolicy: FillPolicy;
  fieldNames: FieldNames;
  includeWarnings: boolean;
  windowPolicy: WindowPolicy;
}

function optionalText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** Reads and checks one item's statistics parameters (checks that are core's stay in core). */
export function readStatisticsRequest(fx: IExecuteFunctions, itemIndex: number, operation: string): StatisticsRequest {
  const endpoint = STATISTICS_OPERATIONS[operation]!;
  const scope: Scope = {};
  if (endpoint !== 'component') scope.openKfid = optionalText(fx.getNodeParameter('openKfid', itemIndex, ''));
  if (endpoint === 'servicer') scope.servicerUserid = optionalText(fx.getNodeParameter('servicerUserid', itemIndex, ''));

  const rangeKind = fx.getNodeParameter('range', itemIndex, 'yesterday') as string;
  let range: RangeInput;
  if (rangeKind === 'yesterday') range = { last: DEFAULTS.lastDays };
  else if (rangeKind === 'lastDays') range = { last: fx.getNodeParameter('lastDays', itemIndex, 7) as number };
  else if (rangeKind === 'dates') {
    const from = optionalText(fx.getNodeParameter('fromDate', itemIndex, ''));
    const to = optionalText(fx.getNodeParameter('toDate', itemIndex, ''));
    // An empty From Date is reported by core as a missing start day.
    range = { from: from ?? '', ...(to !== undefined ? { to } : {}) };
  } else throw new ValidationError('range', rangeKind, '"yesterday", "lastDays" or "dates"');

  const picked = fx.getNodeParameter('metrics', itemIndex, []) as string | string[];
  const pickedKeys = parseMetricSelection(endpoint, picked, 'metrics');
  // Columns in catalog order, whatever order they were picked in; fields WeCom added since last.
  const catalog = metricsFor(endpoint).map((m) => m.key);
  const metricKeys = [...catalog.filter((key) => pickedKeys.includes(key)), ...pickedKeys.filter((key) => !catalog.includes(key))];
  const nothingPicked = (typeof picked === 'string' ? picked.trim() : picked).length === 0;

  const options = fx.getNodeParameter('options', itemIndex, {}) as IDataObject;
  return {
    endpoint,
    scope,
    range,
    metricKeys,
    keepUnknown: nothingPicked,
    output: parseChoice('output', fx.getNodeParameter('output', itemIndex, 'days'), ['days', 'summary'] as const, 'days'),
    fillPolicy: parseChoice('options.fillPolicy', options.fillPolicy, FILL_POLICIES, DEFAULTS.fillPolicy),
    fieldNames: parseChoice('options.fieldNames', options.fieldNames, ['key', 'en', 'zh'] as const, 'key'),
    includeWarnings: options.includeWarnings !== false,
    windowPolicy: parseChoice('windowPolicy', options.windowPolicy, WINDOW_POLICIES, DEFAULTS.windowPolicy),
  };
}

export async function fetchStatistics(
  client: KfStatsClient,
  request: StatisticsRequest,
  signal: AbortSignal | undefined,
): Promise<StatisticsResult> {
  return client.getStatistics({
    endpoint: request.endpoint,
    ...(request.scope.openKfid !== undefined ? { openKfid: request.scope.openKfid } : {}),
    ...(request.scope.servicerUserid !== undefined ? { servicerUserid: request.scope.servicerUserid } : {}),
    ...request.range,
    windowPolicy: request.windowPolicy,
    ...(signal ? { signal } : {}),
  });
}

/** The items for one statistics result (also used for the days that did arrive before a failure). */
export function statisticsItems(request: StatisticsRequest, result: StatisticsResult, missingDays?: readonly string[]): IDataObject[] {
  const warnings = result.warnings;
  if (request.output === 'summary') {
    const item = summaryItem(
      summarizeDays(request.endpoint, result.days, { metrics: request.metricKeys }),
      request.metricKeys,
      request.fieldNames,
      request.scope,
    );
    if (missingDays !== undefined) item.missing_days = [...missingDays];
    if (request.includeWarnings) item.warnings = warnings.map((w) => w.message);
    return [item];
  }
  const hasData = new Map(result.days.map((d) => [d.date, d.statistic !== null]));
  const days = shapeDays(request.endpoint, result.days, {
    metrics: request.keepUnknown ? undefined : request.metricKeys,
    fillPolicy: request.fillPolicy,
  });
  return days.map((day) => {
    const item = dayItem(day, hasData.get(day.date) ?? false, request.metricKeys, request.keepUnknown, request.fieldNames, request.scope);
    if (request.includeWarnings) item.warnings = warningsForDay(warnings, day.date);
    return item;
  });
}

export async function listAccounts(client: KfStatsClient, signal: AbortSignal | undefined): Promise<IDataObject[]> {
  const accounts = await client.listAccounts(signal ? { signal } : {});
  return accounts.map((a) => ({ ...a }) as IDataObject);
}

export async function listServicers(
  client: KfStatsClient,
  openKfid: string | undefined,
  signal: AbortSignal | undefined,
): Promise<IDataObject[]> {
  // Core rejects a missing account with a ValidationError naming openKfid.
  const servicers = await client.listServicers(openKfid as string, signal ? { signal } : {});
  return servicers.map((s) => ({ open_kfid: openKfid, ...s }) as IDataObject);
}
