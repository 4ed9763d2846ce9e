/**
 * One engine for the three statistics endpoints (component, corp, servicer): plan the days,
 * take finished days from the cache, fetch the rest in the fewest ≤31-day chunks in parallel
 * (bounded), normalise, and return every requested day exactly once, in order.
 */
import type { LimitFunction } from 'p-limit';
import { executeCall, readAnswer, throwIfAborted, type CallContext } from './call.js';
import { chunkDays, planChunks, type Chunk } from './chunks.js';
import {
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  chinaMinuteOfDay,
  floorToChinaMidnight,
  chinaToday,
  addDays,
  listDays,
  type ChinaDay,
} from './china-day.js';
import { dayCacheKey, isFinishedDay, READY_HOUR_CHINA, type DayCacheStore } from './day-cache.js';
import { IncompleteFetchError } from './errors.js';
import type { StatisticsEndpoint } from './metrics.js';
import { normalizeStatistic, rateWarnings, type StatisticsDay } from './normalize.js';
import type { ResolvedRange } from './range.js';
import { statisticsResponseSchema, type StatisticsResponse } from './schemas.js';
import type { TokenProvider } from './auth.js';
import type { StatsWarning } from './warnings.js';

/** WeCom's paths for the three statistics (pages 99367, 95492, 96433). */
export const STATISTICS_PATHS: Record<StatisticsEndpoint, string> = {
  component: '/cgi-bin/kf/get_statistic',
  corp: '/cgi-bin/kf/get_corp_statistic',
  servicer: '/cgi-bin/kf/get_servicer_statistic',
};

export interface FetchProgress {
  completedChunks: number;
  totalChunks: number;
  /** Days known so far (cached + fetched). */
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
  warnings: StatsWarning[];
  /** What it cost: statistics calls made (chunks) and days answered from the cache. */
  stats: { chunks: number; cachedDays: number; fetchedDays: number };
}

export interface EngineDeps {
  ctx: CallContext;
  auth: TokenProvider;
  limit: LimitFunction;
  cache: DayCacheStore | undefined;
  now: () => number;
}

export interface EngineRequest {
  endpoint: StatisticsEndpoint;
  openKfid?: string | undefined;
  servicerUserid?: string | undefined;
  range: ResolvedRange;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: FetchProgress) => void) | undefined;
  /** Skip the day cache for reads (results are still stored). @default true */
  useCache?: boolean | undefined;
}

function requestBody(request: EngineRequest, chunk: Chunk): Record<string, unknown> {
  const body: Record<string, unknown> = {
    start_time: chinaMidnightEpochSeconds(chunk.from),
    end_time: chinaMidnightEpochSeconds(chunk.to),
  };
  if (request.endpoint !== 'component') body.open_kfid = request.openKfid;
  if (request.endpoint === 'servicer' && request.servicerUserid) body.servicer_userid = request.servicerUserid;
  return body;
}

/**
 * Turn one statistics answer into the chunk's days: the days asked for, each once, in order
 * (first answer wins), and a day WeCom left out of the list as a day without data.
 */
export function decodeStatisticsDays(
  endpoint: StatisticsEndpoint,
  chunk: Chunk,
  answer: StatisticsResponse,
  label: string = STATISTICS_PATHS[endpoint],
): StatisticsDay[] {
  const wanted = chunkDays(chunk);
  const wantedSet = new Set(wanted);
  const days = new Map<ChinaDay, StatisticsDay>();
  answer.statistic_list.forEach((entry, index) => {
    const date = chinaDayOfEpochSeconds(entry.stat_time);
    if (!wantedSet.has(date) || days.has(date)) return;
    days.set(date, {
      date,
      stat_time: floorToChinaMidnight(entry.stat_time),
      statistic: entry.statistic ? normalizeStatistic(endpoint, entry.statistic, `statistic_list[${index}]`, label) : null,
    });
  });
  return wanted.map((date) => days.get(date) ?? { date, stat_time: chinaMidnightEpochSeconds(date), statistic: null });
}

/** Decode a saved statistics body (text) for a chunk: errcode, shape and values checked. */
export function parseStatisticsBody(endpoint: StatisticsEndpoint, chunk: Chunk, body: string): StatisticsDay[] {
  const label = STATISTICS_PATHS[endpoint];
  return decodeStatisticsDays(endpoint, chunk, readAnswer(label, 200, body, statisticsResponseSchema), label);
}

async function fetchChunk(deps: EngineDeps, request: EngineRequest, chunk: Chunk): Promise<StatisticsDay[]> {
  const path = STATISTICS_PATHS[request.endpoint];
  const answer = await executeCall(deps.ctx, {
    method: 'POST',
    path,
    body: requestBody(request, chunk),
    token: deps.auth.handle,
    schema: statisticsResponseSchema,
    signal: request.signal,
  });
  return decodeStatisticsDays(request.endpoint, chunk, answer, path);
}

function notReadyWarning(days: readonly StatisticsDay[], nowMs: number): StatsWarning[] {
  const yesterday = addDays(chinaToday(nowMs), -1);
  const early = chinaMinuteOfDay(nowMs) < READY_HOUR_CHINA * 60;
  const notReady = days.filter((d) => d.date === yesterday && d.statistic === null && early).map((d) => d.date);
  return notReady.length
    ? [{
        code: 'DAY_NOT_READY',
        message: `${notReady.join(', ')} has no data yet: WeCom computes a day's statistics by 06:00 China time the next day; fetch again later.`,
        days: notReady,
      }]
    : [];
}

export async function fetchStatisticsDays(deps: EngineDeps, request: EngineRequest): Promise<StatisticsResult> {
  const { range } = request;
  const allDays = listDays(range.from, range.to);
  const byDate = new Map<ChinaDay, StatisticsDay>();
  const keyOf = (day: ChinaDay) =>
    dayCacheKey({ authKey: deps.auth.key, endpoint: request.endpoint, openKfid: request.openKfid, servicerUserid: request.servicerUserid, day });

  if (deps.cache && request.useCache !== false) {
    const cached = await Promise.all(allDays.map((day) => deps.cache!.get(keyOf(day))));
    cached.forEach((entry, i) => {
      if (entry) byDate.set(allDays[i]!, { date: allDays[i]!, stat_time: entry.stat_time, statistic: entry.statistic });
    });
  }
  const cachedDays = byDate.size;
  const missing = allDays.filter((day) => !byDate.has(day));
  const chunks = planChunks(missing);
  const progress: FetchProgress = {
    completedChunks: 0,
    totalChunks: chunks.length,
    completedDays: cachedDays,
    totalDays: allDays.length,
    cachedDays,
  };
  request.onProgress?.({ ...progress });

  let failure: unknown;
  await Promise.all(
    chunks.map((chunk) =>
      deps.limit(async () => {
        // After a failure, stop starting new chunks; keep what already arrived.
        if (failure !== undefined) return;
        try {
          throwIfAborted(request.signal);
          const fetched = await fetchChunk(deps, request, chunk);
          const nowMs = deps.now();
          for (const day of fetched) {
            const isNew = !byDate.has(day.date);
            byDate.set(day.date, day);
            if (isNew) progress.completedDays += 1;
            if (deps.cache && isFinishedDay(day.date, day.statistic !== null, nowMs)) {
              await deps.cache.set(keyOf(day.date), { stat_time: day.stat_time, statistic: day.statistic });
            }
          }
          progress.completedChunks += 1;
          request.onProgress?.({ ...progress });
        } catch (error) {
          failure ??= error;
        }
      }),
    ),
  );

  const days = allDays.flatMap((day) => (byDate.has(day) ? [byDate.get(day)!] : []));
  const result: StatisticsResult = {
    endpoint: request.endpoint,
    ...(request.openKfid !== undefined ? { openKfid: request.openKfid } : {}),
    ...(request.servicerUserid !== undefined ? { servicerUserid: request.servicerUserid } : {}),
    from: range.from,
    to: range.to,
    requested: range.requested,
    days,
    warnings: [...range.warnings, ...rateWarnings(days), ...notReadyWarning(days, deps.now())],
    stats: { chunks: chunks.length, cachedDays, fetchedDays: days.length - cachedDays },
  };
  if (failure !== undefined) {
    if (days.length === 0) throw failure;
    const missingDays = allDays.filter((day) => !byDate.has(day));
    throw new IncompleteFetchError(result, days.map((d) => d.date), missingDays, failure);
  }
  return result;
}
