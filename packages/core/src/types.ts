/**
 * The shapes of results, with no code and no imports but other leaves: the modules that make
 * results (statistics, normalize) and those that describe failures (errors) both import these, so
 * neither imports the other for a type.
 */
import type { ChinaDay } from './china-day.js';
import type { StatisticsWarning } from './warnings.js';

/** Which statistics: the component's (a provider's), a corp's per account, or its servicers'. */
export type StatisticsEndpoint = 'component' | 'corp' | 'servicer';

/** A day's metrics: catalog keys as number or null, unknown fields as WeCom sent them. */
export type Statistic = Record<string, unknown>;

export interface StatisticsDay {
  /** China date, YYYY-MM-DD. */
  date: ChinaDay;
  /** Unix seconds of the day's 00:00 China time, as WeCom keys it. */
  stat_time: number;
  /** null: WeCom sent no statistic for the day (no data, or not computed yet). */
  statistic: Statistic | null;
}

export interface FetchProgress {
  completedChunks: number;
  totalChunks: number;
  /** Days known so far (cached + fetched + shared with another query). */
  completedDays: number;
  totalDays: number;
  cachedDays: number;
}

export interface StatisticsResult {
  endpoint: StatisticsEndpoint;
  openKfid?: string;
  servicerUserid?: string;
  from: ChinaDay;
  to: ChinaDay;
  requested: { from: ChinaDay; to: ChinaDay };
  days: StatisticsDay[];
  warnings: StatisticsWarning[];
  /**
   * What it cost: statistics calls made by this query (chunks), days answered from the cache, days
   * fetched by this query, days taken from an identical request already in flight.
   */
  stats: { chunks: number; cachedDays: number; fetchedDays: number; sharedDays: number };
}
