import { dateTime, type DataFrame, type DataQueryRequest, type DataQueryResponse, type ScopedVars } from '@grafana/data';
import { addDays, chinaMidnightEpochSeconds, listDays, statisticsWindow } from '@wecom-kf-stats/core/internal';
import type { Simulator } from '@wecom-kf-stats/simulator';
import type { KfStatsQuery } from '../src/types';
import { DEFAULT_QUERY } from '../src/types';

export const ACCOUNT = 'wkSIM0001presales';

/** Yesterday and friends, in China days, by the same clock the simulator uses. */
export function window() {
  return statisticsWindow(Date.now());
}

/** A dashboard range covering the China days `from`..`to` (noon to noon, China time). */
export function rangeOfDays(from: string, to: string) {
  const fromMs = chinaMidnightEpochSeconds(from) * 1000 + 12 * 3600_000;
  const toMs = chinaMidnightEpochSeconds(to) * 1000 + 12 * 3600_000;
  return { from: dateTime(fromMs), to: dateTime(toMs), raw: { from: dateTime(fromMs), to: dateTime(toMs) } };
}

export function lastDays(n: number) {
  const { newest } = window();
  return { from: addDays(newest, -(n - 1)), to: newest };
}

export function request(
  targets: Array<Partial<KfStatsQuery>>,
  days: { from: string; to: string },
  scopedVars: ScopedVars = {},
): DataQueryRequest<KfStatsQuery> {
  return {
    requestId: 'test',
    interval: '1d',
    intervalMs: 86_400_000,
    range: rangeOfDays(days.from, days.to),
    scopedVars,
    targets: targets.map((t, i) => ({ ...DEFAULT_QUERY, refId: String.fromCharCode(65 + i), ...t }) as KfStatsQuery),
    timezone: 'browser',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<KfStatsQuery>;
}

export function field(frame: DataFrame, name: string) {
  const found = frame.fields.find((f) => f.name === name);
  if (!found) throw new Error(`no field ${name} in ${frame.fields.map((f) => f.name).join(', ')}`);
  return found;
}

export function expectedDays(
  sim: Simulator,
  query: { endpoint: 'corp' | 'servicer'; openKfid: string; servicerUserid?: string },
  from: string,
  to: string,
) {
  return listDays(from, to).map((date) => ({
    date,
    stat_time: chinaMidnightEpochSeconds(date),
    statistic: sim.expectedStatistic({ ...query, corpId: sim.fixtures.selfBuilt.corpId, date }) ?? null,
  }));
}

export function everythingIn(response: DataQueryResponse): string {
  return JSON.stringify(response, (_k, v) => (v instanceof Map ? [...v] : v));
}
