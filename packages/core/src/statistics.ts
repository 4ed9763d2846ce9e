/**
 * One engine for the three statistics endpoints (component, corp, servicer): plan the days,
 * take finished days from the cache, share days another query of the same client is already
 * fetching, fetch the rest in the fewest ≤31-day chunks in parallel (bounded), decode each day
 * on its own, and return every requested day exactly once, in order. A chunk that fails costs
 * only its own days, unless the failure dooms every call (a wrong secret, a missing permission…).
 */
import type { LimitFunction } from 'p-limit';
import { executeCall, readAnswer, throwIfAborted, type CallContext } from './call.js';
import { chunkDays, planChunks, type Chunk } from './chunks.js';
import {
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  chinaMinuteOfDay,
  chinaToday,
  addDays,
  listDays,
  SECONDS_PER_DAY,
  type ChinaDay,
} from './china-day.js';
import { dayCacheKey, isFinishedDay, READY_HOUR_CHINA, type CachedDay, type DayCacheStore } from './day-cache.js';
import { AbortedError, doomsEveryCall, IncompleteFetchError, ResponseFormatError, ValidationError, type DayFailure } from './errors.js';
import type { StatisticsEndpoint } from './metrics.js';
import { createOddities, normalizeStatistic, valueWarnings, type Oddities, type StatisticsDay } from './normalize.js';
import type { ResolvedRange } from './range.js';
import { statisticsResponseSchema, type StatisticsResponse } from './schemas.js';
import type { TokenProvider } from './auth.js';
import type { StatisticsWarning } from './warnings.js';

/** WeCom's paths for the three statistics (pages 99367, 95492, 96433). */
export const STATISTICS_PATHS: Record<StatisticsEndpoint, string> = {
  component: '/cgi-bin/kf/get_statistic',
  corp: '/cgi-bin/kf/get_corp_statistic',
  servicer: '/cgi-bin/kf/get_servicer_statistic',
};

export type { FetchProgress, StatisticsResult } from './types.js';
import type { FetchProgress, StatisticsResult } from './types.js';

/** One day of a fetch in flight: the day, or why it could not be had. */
type DayOutcome = { day: StatisticsDay } | { error: Error };

/** Days being fetched right now by some query of one client, by day cache key. */
export type InFlightDays = Map<string, Promise<DayOutcome>>;

export interface EngineDeps {
  ctx: CallContext;
  auth: TokenProvider;
  limit: LimitFunction;
  cache: DayCacheStore | undefined;
  now: () => number;
  inFlight: InFlightDays;
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

/** One statistics answer decoded: the days that could be read, the days that could not, and oddities seen. */
export interface DecodedChunk {
  days: StatisticsDay[];
  failures: DayFailure[];
  warnings: StatisticsWarning[];
}

/**
 * Turn one statistics answer into the chunk's days: the days asked for, each once, in order (the
 * first entry of a repeated stat_time wins, and is flagged), a day WeCom left out of the list as a
 * day without data, entries for days not asked for flagged and left out. Each day is decoded on its
 * own: one day with a malformed value fails alone.
 */
export function decodeStatisticsDays(
  endpoint: StatisticsEndpoint,
  chunk: Chunk,
  answer: StatisticsResponse,
  label: string = STATISTICS_PATHS[endpoint],
): DecodedChunk {
  const oddities = createOddities();
  return { ...decodeInto(endpoint, chunk, answer, label, oddities), warnings: oddities.warnings() };
}

/** The days of one answer and the days that could not be read; oddities go to the caller's collector. */
type DecodedDays = Omit<DecodedChunk, 'warnings'>;

function decodeInto(
  endpoint: StatisticsEndpoint,
  chunk: Chunk,
  answer: StatisticsResponse,
  label: string,
  oddities: Oddities,
): DecodedDays {
  const wanted = chunkDays(chunk);
  const days = new Map<ChinaDay, StatisticsDay>();
  const failed = new Map<ChinaDay, Error>();
  const first = chinaMidnightEpochSeconds(chunk.from);
  answer.statistic_list.forEach((entry, index) => {
    // The day is found by its place in the chunk (WeCom stamps it with its China midnight).
    const place = Math.floor((entry.stat_time - first) / SECONDS_PER_DAY);
    if (place < 0 || place >= wanted.length) {
      oddities.add('UNEXPECTED_DAY', 'stat_time', chinaDayOfEpochSeconds(entry.stat_time));
      return;
    }
    const date = wanted[place]!;
    if (days.has(date) || failed.has(date)) {
      oddities.add('DUPLICATE_DAY', 'stat_time', date);
      return;
    }
    try {
      days.set(date, {
        date,
        stat_time: first + place * SECONDS_PER_DAY,
        statistic: entry.statistic ? normalizeStatistic(endpoint, entry.statistic, index, label, date, oddities) : null,
      });
    } catch (error) {
      if (!(error instanceof ResponseFormatError)) throw error;
      failed.set(date, error);
    }
  });
  const decoded: StatisticsDay[] = [];
  const failures: DayFailure[] = [];
  wanted.forEach((date, place) => {
    const error = failed.get(date);
    if (error) failures.push({ days: [date], error });
    // A day without an entry: its midnight is the chunk's first plus its place.
    else decoded.push(days.get(date) ?? { date, stat_time: first + place * SECONDS_PER_DAY, statistic: null });
  });
  return { days: decoded, failures };
}

/** Decode a saved statistics body (text) for a chunk: errcode, shape and values checked. */
export function parseStatisticsBody(endpoint: StatisticsEndpoint, chunk: Chunk, body: string): DecodedChunk {
  const label = STATISTICS_PATHS[endpoint];
  return decodeStatisticsDays(endpoint, chunk, readAnswer(label, 200, body, statisticsResponseSchema), label);
}

async function fetchChunk(deps: EngineDeps, request: EngineRequest, chunk: Chunk, oddities: Oddities): Promise<DecodedDays> {
  const path = STATISTICS_PATHS[request.endpoint];
  const answer = await executeCall(deps.ctx, {
    method: 'POST',
    path,
    body: requestBody(request, chunk),
    token: deps.auth.handle,
    schema: statisticsResponseSchema,
    signal: request.signal,
  });
  return decodeInto(request.endpoint, chunk, answer, path, oddities);
}

function notReadyWarning(days: readonly StatisticsDay[], nowMs: number): StatisticsWarning[] {
  const yesterday = addDays(chinaToday(nowMs), -1);
  const early = chinaMinuteOfDay(nowMs) < READY_HOUR_CHINA * 60;
  const notReady = days.filter((d) => d.date === yesterday && d.statistic === null && early).map((d) => d.date);
  return notReady.length
    ? [
        {
          code: 'DAY_NOT_READY',
          message: `${notReady.join(', ')} has no data yet: WeCom computes a day's statistics by 06:00 China time the next day; fetch again later.`,
          days: notReady,
        },
      ]
    : [];
}

/** What a store's failure becomes: a ValidationError naming the store, not a bare Error. */
function storeError(field: string, call: unknown, error: unknown): ValidationError {
  return new ValidationError(
    field,
    call,
    'a store whose get and set return or resolve without throwing',
    `it threw: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/**
 * A store call; a store that answers synchronously (the in-memory cache) is not awaited, so a
 * fetch does not pay a promise per day. A call that throws or rejects becomes `storeError`.
 */
function callStore<T>(field: string, call: () => T | Promise<T>): T | Promise<T> {
  let value: T | Promise<T>;
  try {
    value = call();
  } catch (error) {
    throw storeError(field, call, error);
  }
  if (isThenable(value)) {
    return Promise.resolve(value).catch((error: unknown) => {
      throw storeError(field, call, error);
    });
  }
  return value;
}

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

function settle<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function fetchStatisticsDays(deps: EngineDeps, request: EngineRequest): Promise<StatisticsResult> {
  const { range } = request;
  const allDays = listDays(range.from, range.to);
  const byDate = new Map<ChinaDay, StatisticsDay>();
  const failures: DayFailure[] = [];
  const oddities = createOddities();
  // Each day's key once: every step below asks for it.
  const keys = new Map<ChinaDay, string>();
  for (const day of allDays) {
    keys.set(
      day,
      dayCacheKey({
        authKey: deps.auth.key,
        endpoint: request.endpoint,
        openKfid: request.openKfid,
        servicerUserid: request.servicerUserid,
        day,
      }),
    );
  }
  const keyOf = (day: ChinaDay) => keys.get(day)!;
  const cache = deps.cache;

  if (cache && request.useCache !== false) {
    const got = allDays.map((day) => callStore('options.cache.get', () => cache.get(keyOf(day))));
    const cached = got.some(isThenable) ? await Promise.all(got) : (got as (CachedDay | undefined)[]);
    cached.forEach((entry, i) => {
      if (entry) byDate.set(allDays[i]!, { date: allDays[i]!, stat_time: entry.stat_time, statistic: entry.statistic });
    });
  }
  const cachedDays = byDate.size;
  const progress: FetchProgress = { completedChunks: 0, totalChunks: 0, completedDays: cachedDays, totalDays: allDays.length, cachedDays };
  let chunkCount = 0;
  let sharedDays = 0;
  /** Set by a failure that dooms every further call: chunks not yet sent are not sent. */
  let stopped: Error | undefined;

  const record = (day: StatisticsDay) => {
    if (!byDate.has(day.date)) progress.completedDays += 1;
    byDate.set(day.date, day);
  };

  /** Fetch `days` in the fewest chunks, telling any identical query that asks meanwhile. */
  const fetchOwn = async (days: readonly ChinaDay[]) => {
    const chunks = planChunks(days);
    chunkCount += chunks.length;
    progress.totalChunks += chunks.length;
    // Registered before the first await, so a query planned after this one shares these days.
    const waiting = new Map<ChinaDay, { promise: Promise<DayOutcome>; resolve: (o: DayOutcome) => void }>();
    for (const day of days) {
      const pending = settle<DayOutcome>();
      waiting.set(day, pending);
      deps.inFlight.set(keyOf(day), pending.promise);
    }
    const finish = (day: ChinaDay, outcome: DayOutcome) => {
      const pending = waiting.get(day);
      if (!pending) return;
      waiting.delete(day);
      if (deps.inFlight.get(keyOf(day)) === pending.promise) deps.inFlight.delete(keyOf(day));
      pending.resolve(outcome);
      if ('error' in outcome) failures.push({ days: [day], error: outcome.error });
    };
    await Promise.all(
      chunks.map((chunk) =>
        deps.limit(async () => {
          const chunkDayList = chunkDays(chunk).filter((day) => waiting.has(day));
          try {
            if (stopped) throw stopped;
            throwIfAborted(request.signal);
            const decoded = await fetchChunk(deps, request, chunk, oddities);
            const nowMs = deps.now();
            for (const day of decoded.days) {
              if (!waiting.has(day.date)) continue;
              record(day);
              if (cache && isFinishedDay(day.date, day.statistic !== null, nowMs)) {
                const stored = callStore('options.cache.set', () =>
                  cache.set(keyOf(day.date), { stat_time: day.stat_time, statistic: day.statistic }),
                );
                if (isThenable(stored)) await stored;
              }
              finish(day.date, { day });
            }
            for (const failure of decoded.failures) for (const day of failure.days) finish(day, { error: failure.error });
            progress.completedChunks += 1;
            request.onProgress?.({ ...progress });
          } catch (caught) {
            const error = caught instanceof Error ? caught : new Error(String(caught));
            if (doomsEveryCall(error)) stopped ??= error;
            for (const day of chunkDayList) finish(day, { error });
          }
        }),
      ),
    );
  };

  const missing = allDays.filter((day) => !byDate.has(day));
  const shared = missing.filter((day) => deps.inFlight.has(keyOf(day)));
  const own = missing.filter((day) => !deps.inFlight.has(keyOf(day)));
  const sharedOutcomes = shared.map((day) => deps.inFlight.get(keyOf(day))!);
  // fetchOwn plans and registers its chunks before its first await: the first report has them.
  const ownDone = fetchOwn(own);
  request.onProgress?.({ ...progress });
  const outcomes = await Promise.all(sharedOutcomes);
  // A day another query gave up on only because that query was aborted is fetched here instead.
  const again: ChinaDay[] = [];
  outcomes.forEach((outcome, i) => {
    const day = shared[i]!;
    if ('day' in outcome) {
      sharedDays += 1;
      record(outcome.day);
    } else if (outcome.error instanceof AbortedError && !request.signal?.aborted) {
      again.push(day);
    } else {
      failures.push({ days: [day], error: outcome.error });
    }
  });
  if (sharedDays > 0) request.onProgress?.({ ...progress });
  await ownDone;
  if (again.length) await fetchOwn(again);

  const days = allDays.flatMap((day) => (byDate.has(day) ? [byDate.get(day)!] : []));
  const result: StatisticsResult = {
    endpoint: request.endpoint,
    ...(request.openKfid !== undefined ? { openKfid: request.openKfid } : {}),
    ...(request.servicerUserid !== undefined ? { servicerUserid: request.servicerUserid } : {}),
    from: range.from,
    to: range.to,
    requested: range.requested,
    days,
    warnings: [...range.warnings, ...oddities.warnings(), ...valueWarnings(days), ...notReadyWarning(days, deps.now())],
    stats: { chunks: chunkCount, cachedDays, fetchedDays: days.length - cachedDays - sharedDays, sharedDays },
  };
  const missingDays = allDays.filter((day) => !byDate.has(day));
  if (missingDays.length > 0) {
    const merged = mergeFailures(failures, missingDays);
    // Nothing at all: the failure itself (the dooming one first) says more than "0 of N days".
    if (days.length === 0) throw stopped ?? merged[0]!.error;
    throw new IncompleteFetchError(
      result,
      days.map((d) => d.date),
      missingDays,
      merged,
    );
  }
  return result;
}

/** One entry per distinct error, its days sorted, only days that are still missing. */
function mergeFailures(failures: readonly DayFailure[], missingDays: readonly ChinaDay[]): DayFailure[] {
  const missing = new Set(missingDays);
  const byError = new Map<Error, Set<ChinaDay>>();
  for (const failure of failures) {
    const days = byError.get(failure.error) ?? new Set<ChinaDay>();
    for (const day of failure.days) if (missing.has(day)) days.add(day);
    byError.set(failure.error, days);
  }
  return [...byError]
    .filter(([, days]) => days.size > 0)
    .map(([error, days]) => ({ error, days: [...days].sort() }))
    .sort((a, b) => (a.days[0]! < b.days[0]! ? -1 : 1));
}
