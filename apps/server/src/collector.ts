/**
 * The collector: discover every series of every source (accounts through kf/account/list,
 * servicers through kf/servicer/list), then for each series fetch the days of WeCom's window that
 * the archive lacks, in the fewest ≤31-day chunks, and store each chunk as it arrives, so a run
 * that fails part-way keeps what it stored and the next run fetches the rest.
 *
 * Series are leased in the store (`FOR UPDATE SKIP LOCKED` with an expiry): any number of
 * processes on one PostgreSQL share the work, each series-day is fetched once, and a killed
 * process's series are picked up when its lease expires.
 */
import type { Providers } from './callback/provider.js';
import type { Log } from './logger.js';
import type { ServerConfig } from './config.js';
import {
  addDays,
  chinaToday,
  daysBetween,
  describeDays,
  isFinishedDay,
  listDays,
  planChunks,
  statisticsWindow,
  type ChinaDay,
  type Chunk,
} from './china-days.js';
import { doomsEveryCall, isWecomStatsError, type StatisticsDay, type StatisticsEndpoint } from './kf-core.js';
import type { LeasedSeries, SeriesKey, Store } from './store/store.js';
import { fetchChunk, type CorpClient, type WecomClients } from './wecom.js';

export type { Log } from './logger.js';

/**
 * A stored day is final once it was fetched after WeCom computed it: core's readiness rule
 * (isFinishedDay), 06:00 China time the next day, and one day later for a day WeCom answered
 * without data (its figures may still arrive). A day fetched earlier is fetched again by a later run.
 */
export function isSettled(day: ChinaDay, fetchedAtMs: number, hasData: boolean): boolean {
  return isFinishedDay(day, hasData, fetchedAtMs);
}

/** Days of WeCom's window that the archive lacks or holds only as fetched too early. */
export async function missingDays(store: Store, series: SeriesKey, from: ChinaDay, to: ChinaDay): Promise<ChinaDay[]> {
  const archived = await store.readDays(series, from, to);
  const settled = new Set(archived.filter((d) => isSettled(d.date, d.fetchedAt, d.statistic !== null)).map((d) => d.date));
  return listDays(from, to).filter((day) => !settled.has(day));
}

/**
 * The days a run asks WeCom for once more although the archive holds them: the `count` days
 * before yesterday (inside WeCom's window), since WeCom sometimes corrects a day after it first
 * answered it (docs/wecom-api.md).
 */
export function daysToRecheck(window: { oldest: ChinaDay; newest: ChinaDay }, count: number): ChinaDay[] {
  if (count === 0) return [];
  const from = addDays(window.newest, -count);
  return listDays(daysBetween(window.oldest, from) >= 0 ? from : window.oldest, addDays(window.newest, -1));
}

/** WeCom refused a parameter: for statistics, a day outside its window (page 99367). */
const ERRCODE_INVALID_PARAMETER = 40058;

export interface FetchAndStoreOptions {
  store: Store;
  corp: CorpClient;
  series: SeriesKey;
  days: readonly ChinaDay[];
  now: () => number;
  signal?: AbortSignal | undefined;
  /** Days stored so far, after each chunk. */
  onStored?: (days: number) => void;
  /**
   * The archive refused a write. With it, the chunk's days are still returned (an API answer
   * shows them) and the next chunks are fetched; without it, the write error ends the fetch.
   */
  onWriteFailure?: (error: unknown) => void;
  /** Days of `days` the archive holds already, asked again for late corrections: counted as stored only when they changed. */
  recheck?: ReadonlySet<ChinaDay>;
}

export interface FetchAndStoreResult {
  /** Every day fetched, in order, whether or not the archive kept it. */
  days: StatisticsDay[];
  /** How many of them the archive kept, new or changed (a day asked again that did not change is not counted). */
  stored: number;
  /** Days the archive held that WeCom now answered differently (late corrections). */
  revised: ChinaDay[];
  /** Chunks that failed, with their days; the other chunks were fetched all the same. */
  failures: { days: ChinaDay[]; error: unknown }[];
  /**
   * Days WeCom refused as outside its window although this server's clock puts them inside (the
   * two clocks disagree around China midnight): the rest of their chunk was fetched without them.
   */
  outsideWindow: ChinaDay[];
}

/**
 * Fetch `days` of one series in the fewest chunks and store each chunk as it arrives. A failed
 * chunk costs only its own days, unless its error dooms every further call (a wrong secret, a
 * missing permission, an abort): then the rest is not asked for.
 */
export async function fetchAndStore(options: FetchAndStoreOptions): Promise<FetchAndStoreResult> {
  const { store, corp, series, days, now, signal } = options;
  const result: FetchAndStoreResult = { days: [], stored: 0, revised: [], failures: [], outsideWindow: [] };
  const wanted = new Set(days);
  const window = statisticsWindow(now());
  for (const chunk of planChunks(days)) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    let fetched: StatisticsDay[];
    try {
      fetched = await fetchChunk(corp, series, chunk, signal);
    } catch (error) {
      const edge = [window.oldest, window.newest].filter((d) => d === chunk.from || d === chunk.to);
      const inner = edge.length > 0 && refusedParameter(error) ? shrink(chunk, edge) : undefined;
      let retried: StatisticsDay[] | undefined;
      if (inner) {
        try {
          retried = await fetchChunk(corp, series, inner, signal);
          result.outsideWindow.push(...edge);
        } catch {
          retried = undefined;
        }
      }
      if (!retried) {
        result.failures.push({ days: listDays(chunk.from, chunk.to).filter((d) => wanted.has(d)), error });
        if (signal?.aborted || doomsEveryCall(error)) break;
        continue;
      }
      fetched = retried;
    }
    // A chunk may span days between the missing ones that the archive already holds as final:
    // keep only the days asked for.
    const fresh = fetched.filter((d) => wanted.has(d.date));
    result.days.push(...fresh);
    let revised: ChinaDay[];
    try {
      ({ revised } = await store.writeDays(series, fresh, now()));
    } catch (error) {
      if (!options.onWriteFailure) throw error;
      options.onWriteFailure(error);
      continue;
    }
    result.revised.push(...revised);
    const rechecked = options.recheck ? fresh.filter((d) => options.recheck!.has(d.date)).length : 0;
    const stored = fresh.length - rechecked + revised.filter((d) => options.recheck?.has(d)).length;
    result.stored += stored;
    options.onStored?.(stored);
  }
  return result;
}

function refusedParameter(error: unknown): boolean {
  return isWecomStatsError(error) && (error as { errcode?: number }).errcode === ERRCODE_INVALID_PARAMETER;
}

/** The chunk without the days at its ends named in `edge`; undefined when nothing is left. */
function shrink(chunk: Chunk, edge: readonly ChinaDay[]): Chunk | undefined {
  const from = edge.includes(chunk.from) ? addDays(chunk.from, 1) : chunk.from;
  const to = edge.includes(chunk.to) ? addDays(chunk.to, -1) : chunk.to;
  return daysBetween(from, to) >= 0 ? { from, to } : undefined;
}

export interface CollectOptions {
  config: ServerConfig;
  store: Store;
  clients: WecomClients;
  now: () => number;
  /** Identifies this process in leases. */
  owner: string;
  /** Provider sources: the run first takes in corps authorized (or cancelled) since the last one. */
  providers?: Providers;
  log: Log;
  signal?: AbortSignal;
  /** Wait between looks for series that other processes hold. @default 500 */
  pollMs?: number;
  /** Stored days WeCom answered differently on a second look (kf_day_revisions_total). */
  onRevised?: (event: { source: string; days: number }) => void;
}

export interface CollectSummary {
  series: number;
  daysStored: number;
  statisticsCalls: number;
  failures: number;
  interrupted: boolean;
}

function seriesName(s: SeriesKey): string {
  return [s.source, s.endpoint, s.corpId, s.openKfid, s.servicerUserid].filter(Boolean).join('/');
}

/** A series as a log line's fields, so logs can be filtered by source, corp or account. */
function seriesFields(s: SeriesKey): Record<string, string> {
  return {
    source: s.source,
    endpoint: s.endpoint,
    corp: s.corpId,
    ...(s.openKfid ? { openKfid: s.openKfid } : {}),
    ...(s.servicerUserid ? { servicer: s.servicerUserid } : {}),
  };
}

/** Every series of one corp: accounts and servicers from the config or from WeCom. */
async function listSeries(
  config: ServerConfig,
  store: Store,
  corp: CorpClient,
  now: () => number,
  signal?: AbortSignal,
): Promise<SeriesKey[]> {
  const source = config.sources.find((s) => s.id === corp.sourceId)!;
  const base = { source: source.id, corpId: corp.corpId };
  const series: SeriesKey[] = [];
  if (source.collect.includes('component')) series.push({ ...base, endpoint: 'component', openKfid: '', servicerUserid: '' });
  const perAccount = source.collect.filter((e): e is Exclude<StatisticsEndpoint, 'component'> => e !== 'component');
  if (perAccount.length === 0) return series;
  let accounts = source.accounts;
  if (!accounts) {
    const listed = (await corp.client.listAccounts(signal ? { signal } : {})).map((a) => ({ openKfid: a.open_kfid, name: a.name ?? null }));
    // A corp that chose accounts for the KF component (AuthOpenKfIdList): exactly those.
    const chosen = corp.authorizedAccounts;
    const kept = chosen ? chosen.map((openKfid) => listed.find((a) => a.openKfid === openKfid) ?? { openKfid, name: null }) : listed;
    await store.saveAccounts(source.id, corp.corpId, kept, now());
    accounts = kept.map((a) => a.openKfid);
  }
  for (const openKfid of accounts) {
    if (perAccount.includes('corp')) series.push({ ...base, endpoint: 'corp', openKfid, servicerUserid: '' });
    if (perAccount.includes('servicer')) {
      // Without servicer_userid WeCom answers the account's total of human service: the only source
      // of an account's reply rate, first reply and satisfaction (page 96433).
      series.push({ ...base, endpoint: 'servicer', openKfid, servicerUserid: '' });
      const servicers = await corp.client.listServicers(openKfid, signal ? { signal } : {});
      const ids = servicers.map((s) => ({ userid: s.userid ?? s.open_userid ?? '', status: s.status ?? null })).filter((s) => s.userid);
      await store.saveServicers({ source: source.id, corpId: corp.corpId, openKfid, servicers: ids, seenAt: now() });
      for (const s of ids) series.push({ ...base, endpoint: 'servicer', openKfid, servicerUserid: s.userid });
    }
  }
  return series;
}

/** Whether a source's series are found by asking WeCom (its accounts, or their servicers), or follow from the config alone. */
function listedThroughWecom(source: ServerConfig['sources'][number]): boolean {
  const perAccount = source.collect.filter((e) => e !== 'component');
  return perAccount.length > 0 && (!source.accounts || perAccount.includes('servicer'));
}

/** What a corp's discovered series depend on: the China day and the source's settings. */
function discoveryBasis(source: ServerConfig['sources'][number], nowMs: number): string {
  return JSON.stringify({ day: chinaToday(nowMs), collect: source.collect, accounts: source.accounts ?? null });
}

/** How long one process may hold a corp's discovery before another takes over. */
const DISCOVERY_LEASE_MS = 120_000;

/**
 * The corp's series for today: listed through WeCom by one process, and read from the store by
 * every other replica (accounts and servicers change rarely; once a China day is enough).
 */
async function discoverSeries(
  config: ServerConfig,
  store: Store,
  corp: CorpClient,
  now: () => number,
  owner: string,
  pollMs: number,
  signal?: AbortSignal,
): Promise<SeriesKey[]> {
  const source = config.sources.find((s) => s.id === corp.sourceId)!;
  const basis = discoveryBasis(source, now());
  const key = `discover:${corp.sourceId}:${corp.corpId}`;
  for (;;) {
    const known = await store.readDiscovery(corp.sourceId, corp.corpId, basis);
    if (known) return known;
    if (await store.tryLease(key, owner, DISCOVERY_LEASE_MS)) {
      try {
        // Another replica may have listed the corp and released the lease between the look above
        // and this lease: look again while holding it, so the corp is listed through WeCom once.
        const listed = await store.readDiscovery(corp.sourceId, corp.corpId, basis);
        if (listed) return listed;
        const series = await listSeries(config, store, corp, now, signal);
        await store.saveDiscovery({ source: corp.sourceId, corpId: corp.corpId, basis, series, at: now() });
        return series;
      } finally {
        await store.releaseLease(key, owner).catch(() => {});
      }
    }
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    await sleep(pollMs, signal);
  }
}

/** Ids per claim statement: a run of many thousand series claims through them a slice at a time. */
const CLAIM_SLICE = 256;

/** The next pending series that no process holds and none has finished today. */
async function claimNext(
  store: Store,
  pending: Set<number>,
  owner: string,
  leaseMs: number,
  today: ChinaDay,
): Promise<LeasedSeries | undefined> {
  const ids = [...pending];
  for (let start = 0; start < ids.length; start += CLAIM_SLICE) {
    const leased = await store.claimSeries(ids.slice(start, start + CLAIM_SLICE), owner, leaseMs, today);
    if (leased) return leased;
  }
  return undefined;
}

/** Wait `ms`, or less when `signal` aborts; the abort listener goes with the wait. */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });

/** One collection run over every source. */
export async function collect(options: CollectOptions): Promise<CollectSummary> {
  const { config, store, clients, now, owner, log, signal } = options;
  const leaseMs = config.leaseSeconds * 1000;
  if (options.providers) {
    const { added, removed } = await options.providers.sync(clients);
    if (added || removed)
      log.info({ joined: added, left: removed }, `authorizations: ${added} corps joined, ${removed} left since the last look`);
  }
  const callsAtStart = clients.statisticsCalls;
  const failuresBySource = new Map<string, number>();
  const storedBySource = new Map<string, number>();
  const seriesBySource = new Map<string, number>();
  const fail = (source: string) => failuresBySource.set(source, (failuresBySource.get(source) ?? 0) + 1);
  for (const source of config.sources) {
    failuresBySource.set(source.id, 0);
    storedBySource.set(source.id, 0);
    seriesBySource.set(source.id, 0);
  }

  // 1. Discovery, corps in parallel; a corp that cannot be listed is one failure and the rest go on.
  // The run works on the corps of its start: an authorization that arrives or ends meanwhile is
  // taken in by the next run.
  const corps = [...clients.corps];
  // What replicas (or an earlier run) discovered today, one round trip per source; only the corps
  // it lacks are discovered one by one.
  const known = new Map<string, Map<string, SeriesKey[]>>();
  for (const source of config.sources) known.set(source.id, await store.readDiscoveries(source.id, discoveryBasis(source, now())));
  const found: SeriesKey[][] = corps.map(() => []);
  const sourceOf = new Map(config.sources.map((s) => [s.id, s]));
  let nextCorp = 0;
  const discoverer = async () => {
    while (nextCorp < corps.length && !signal?.aborted) {
      const index = nextCorp++;
      const corp = corps[index]!;
      try {
        found[index] =
          known.get(corp.sourceId)?.get(corp.corpId) ??
          (listedThroughWecom(sourceOf.get(corp.sourceId)!)
            ? await discoverSeries(config, store, corp, now, owner, options.pollMs ?? 500, signal)
            : // Nothing to ask WeCom (component statistics, accounts named in the config): no lease, no store.
              await listSeries(config, store, corp, now, signal));
        seriesBySource.set(corp.sourceId, (seriesBySource.get(corp.sourceId) ?? 0) + found[index]!.length);
      } catch (error) {
        if (signal?.aborted) break;
        fail(corp.sourceId);
        log.error(
          { source: corp.sourceId, corp: corp.corpId },
          `discovery failed for ${corp.sourceId}/${corp.corpId}: ${(error as Error).message}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, discoverer));
  const allSeries = found.flat();
  const ids = await store.registerSeries(allSeries);
  const byCorp = new Map(corps.map((c) => [`${c.sourceId}\u0000${c.corpId}`, c]));
  const clientOf = (s: SeriesKey) => byCorp.get(`${s.source}\u0000${s.corpId}`)!;

  // 2. Work through leased series until none is left that this process has not seen done.
  const pending = new Set(ids);
  const window = statisticsWindow(now());
  const today = chinaToday(now());
  const worker = async () => {
    while (pending.size > 0 && !signal?.aborted) {
      const leased = await claimNext(store, pending, owner, leaseMs, today);
      if (!leased) {
        // What other processes finished today is done; the rest they hold: wait for them to
        // finish or for their leases to expire.
        for (const id of await store.seriesDoneFor([...pending], today)) pending.delete(id);
        if (pending.size > 0) await sleep(options.pollMs ?? 500, signal);
        continue;
      }
      pending.delete(leased.id);
      const renew = setInterval(
        () => {
          store.renewSeriesLease(leased.id, owner, leaseMs).catch(() => {});
        },
        Math.max(1000, leaseMs / 3),
      );
      let doneFor: ChinaDay | undefined;
      try {
        const missing = await missingDays(store, leased, window.oldest, window.newest);
        const recheck = new Set(daysToRecheck(window, config.schedule.refetchDays).filter((d) => !missing.includes(d)));
        const days = [...missing, ...recheck].sort();
        let outsideWindow: ChinaDay[] = [];
        if (days.length > 0) {
          const fetched = await fetchAndStore({
            store,
            corp: clientOf(leased),
            series: leased,
            days,
            now,
            signal,
            recheck,
            onStored: (n) => storedBySource.set(leased.source, (storedBySource.get(leased.source) ?? 0) + n),
          });
          if (fetched.revised.length > 0) {
            log.info(
              { ...seriesFields(leased), revised: fetched.revised.length },
              `${seriesName(leased)}: WeCom corrected ${describeDays(fetched.revised)} since it was stored; the new figures are kept`,
            );
            options.onRevised?.({ source: leased.source, days: fetched.revised.length });
          }
          outsideWindow = fetched.outsideWindow;
          if (outsideWindow.length > 0)
            log.warn(
              { ...seriesFields(leased), days: outsideWindow.length },
              `${seriesName(leased)}: WeCom refused ${describeDays(outsideWindow)} as outside its window (this server's clock and WeCom's disagree about the China day); the other days were stored`,
            );
          const failed = fetched.failures[0];
          if (failed) {
            const lost = fetched.failures.flatMap((f) => f.days);
            throw new Error(`${describeDays(lost)} not fetched: ${(failed.error as Error).message}`, { cause: failed.error });
          }
        }
        // Every day of the window is now stored as final, unless yesterday was fetched before
        // WeCom computed it (or refused as not in its window yet): then a later run of the same
        // day must look again.
        if (isSettled(window.newest, now(), true) && !outsideWindow.includes(window.newest)) doneFor = today;
      } catch (error) {
        if (signal?.aborted) {
          // Interrupted: this series goes back to the pool for the next run or another process.
          pending.add(leased.id);
        } else {
          fail(leased.source);
          log.error(seriesFields(leased), `collecting ${seriesName(leased)} failed: ${(error as Error).message}`);
        }
      } finally {
        clearInterval(renew);
        await store.releaseSeries(leased.id, owner, doneFor).catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));

  const finishedAt = now();
  if (!signal?.aborted) {
    for (const source of config.sources) {
      const failures = failuresBySource.get(source.id) ?? 0;
      await store.recordRun({
        source: source.id,
        finishedAt,
        ok: failures === 0,
        series: seriesBySource.get(source.id) ?? 0,
        daysStored: storedBySource.get(source.id) ?? 0,
        failures,
      });
    }
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    series: allSeries.length,
    daysStored: sum(storedBySource),
    statisticsCalls: clients.statisticsCalls - callsAtStart,
    failures: sum(failuresBySource),
    interrupted: signal?.aborted ?? false,
  };
}

export function formatSummary(s: CollectSummary): string {
  return `${s.interrupted ? 'interrupted' : 'collected'}: ${s.series} series, ${s.daysStored} days stored, ${s.statisticsCalls} statistics calls, ${s.failures} failures`;
}
