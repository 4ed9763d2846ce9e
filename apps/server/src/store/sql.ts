/** What the aggregates' queries share: the driver's query function and a series' key in SQL. */
import type { SqlDriver } from './driver.js';
import type { SeriesKey } from './types.js';

export type Query = SqlDriver['query'];

export const SERIES_WHERE = 'source = $1 AND endpoint = $2 AND corp_id = $3 AND open_kfid = $4 AND servicer_userid = $5';
export const seriesParams = (s: SeriesKey) => [s.source, s.endpoint, s.corpId, s.openKfid, s.servicerUserid];

export interface DayRow {
  day: string;
  stat_time: number;
  statistic: Record<string, unknown> | null;
  fetched_ms: number;
}
