/**
 * The domain of the statistics routes: which source, corp and range a request names (core's rules
 * for ranges), and the answer from the archive first, with the in-window days it lacks fetched live
 * from WeCom (shared between identical requests, bounded by a deadline) and stored; what neither
 * can give is named in warnings. The routes (./routes/) only validate, call these and serialize.
 */
import type { Logger } from 'pino';
import type { queries } from '@wecom-kf-stats/core/server-api';
import type { z } from 'zod';
import { ForbiddenError, OPERATOR, seesCorp, seesSource, type Access } from './access.js';
import type { Providers } from './callback/provider.js';
import { dayRuns, daysBetween, describeDays, listDays, resolveArchiveRange, statisticsWindow, type ChinaDay } from './china-days.js';
import { fetchAndStore, isSettled, type FetchAndStoreResult } from './collector.js';
import type { ServerConfig, SourceConfig } from './config.js';
import type { StoreHealth } from './health.js';
import { isWecomStatsError, metricsFor, redactText, ValidationError, type StatisticsDay, type StatisticsEndpoint } from './kf-core.js';
import type { ArchivedDay, SeriesKey, Store } from './store/store.js';
import type { WecomClients } from './wecom.js';

/** What the statistics domain reads and calls: the API's options, in part. */
export interface SeriesContext {
  config: ServerConfig;
  store: Store;
  clients: WecomClients;
  /** The provider sources' tickets, authorizations and callbacks. */
  providers: Providers;
  now: () => number;
  logger: Logger;
  /** Shutdown in progress: live fetches stop. */
  signal?: AbortSignal;
}

export type Query = Partial<Record<string, string>>;

/** A bad request: `parameter` names the query parameter. */
export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/**
 * A day's statistic as the CLI shows it: every catalog metric of the endpoint present, null when
 * WeCom left it out ("not computable", never 0); every other field WeCom sent kept as sent.
 */
export function presentStatistic(endpoint: StatisticsEndpoint, statistic: Record<string, unknown> | null): Record<string, unknown> | null {
  if (statistic === null) return null;
  const out: Record<string, unknown> = {};
  for (const metric of metricsFor(endpoint)) out[metric.key] = statistic[metric.key] ?? null;
  return Object.assign(out, statistic);
}

/** Core refused a range or a day: the same error, named as the API's parameter. */
export function parameterErrorOfValidation(error: ValidationError): ParameterError {
  return new ParameterError(error.field, `${error.shownValue}${error.detail ? ` (${error.detail})` : ''}; allowed: ${error.allowed}`);
}

/**
 * A well-formed source, corp or account the server has never seen (404): what exists is listed by
 * /api/v1/sources and /api/v1/accounts, never in an error, so no answer names another's ids.
 */
export class NotFoundError extends Error {}

/**
 * The source a request names. Outside the key's scope it is a 403 whether it exists or not; a
 * key that sees every source gets 404 for one the config does not have.
 */
export function findSource(config: ServerConfig, query: Query, access: Access = OPERATOR): SourceConfig {
  const id = query.source;
  if (id === undefined || id === '') throw new ParameterError('source', 'required: a source id (GET /api/v1/sources lists them)');
  const source = seesSource(access, id) ? config.sources.find((s) => s.id === id) : undefined;
  if (!source) {
    if (access.kind === 'scoped') throw new ForbiddenError(`this API key may not read source "${id}"`);
    throw new NotFoundError(`source "${id}" is not served here`);
  }
  return source;
}

function configuredCorps(source: SourceConfig): string[] {
  return source.auth.type === 'serviceProvider' ? source.auth.corps.map((c) => c.authCorpId) : [source.auth.corpId];
}

export interface CorpState {
  corpId: string;
  /** `cancelled`: the corp removed the suite; its archive is served until it is deleted, WeCom is not asked. */
  state: 'active' | 'cancelled';
  /** A cancelled corp's archived days go then (epoch ms); null: at once, or not cancelled. */
  archiveDeletedAt: number | null;
}

/**
 * Every corp of a source whose archive can be read and that the key sees: configured ones, and
 * those that authorized it (even if since cancelled, until their data is deleted). A scoped key
 * that sees none of the source's corps may not read the source.
 */
export async function corpsOfSource(providers: Providers, source: SourceConfig, access: Access = OPERATOR): Promise<CorpState[]> {
  const seen = await corpsSeenBy(providers, source, access);
  if (seen === undefined) throw new ForbiddenError(`this API key may not read source "${source.id}"`);
  return seen;
}

/** The corps of a source a key sees; undefined when a key limited to corps sees none of them. */
export async function corpsSeenBy(providers: Providers, source: SourceConfig, access: Access): Promise<CorpState[] | undefined> {
  const all = await providers.corpsOf(source.id, configuredCorps(source));
  if (access.corps === null) return all;
  const seen = all.filter((c) => seesCorp(access, source.id, c.corpId));
  return seen.length === 0 ? undefined : seen;
}

/** The corp a request is for: the one it names, or the only one the key sees. */
export function pickCorp(corps: readonly CorpState[], source: SourceConfig, query: Query, access: Access = OPERATOR): CorpState {
  const asked = query.corpid;
  if (asked === undefined || asked === '') {
    if (corps.length === 0) throw new NotFoundError(`source "${source.id}" has no corp yet: no corp has authorized its suite`);
    if (corps.length > 1)
      throw new ParameterError('corpid', `required: source "${source.id}" serves ${corps.length} corps (GET /api/v1/sources lists them)`);
    return corps[0]!;
  }
  const corp = corps.find((c) => c.corpId === asked);
  if (!corp) {
    if (access.kind === 'scoped') throw new ForbiddenError(`this API key may not read corp "${asked}" of source "${source.id}"`);
    throw new NotFoundError(`corp "${asked}" is not a corp of source "${source.id}"`);
  }
  return corp;
}

type SeriesQuery = z.output<typeof queries.series>;

export interface SeriesRequest {
  series: SeriesKey;
  /** The corp still authorizes the source: days the archive lacks may be fetched. */
  collected: boolean;
  from: ChinaDay;
  to: ChinaDay;
  warnings: { code: string; message: string; ranges?: { from: ChinaDay; to: ChinaDay }[] }[];
  /** The clock when the request was read (epoch ms): its range, WeCom's window and its answer's China day are all of this instant. */
  at: number;
}

export async function parseSeriesRequest(
  config: ServerConfig,
  providers: Providers,
  query: SeriesQuery,
  nowMs: number,
  access: Access = OPERATOR,
): Promise<SeriesRequest> {
  const source = findSource(config, query, access);
  const corp = pickCorp(await corpsOfSource(providers, source, access), source, query, access);
  const corpId = corp.corpId;
  const { endpoint } = query;
  if (endpoint === 'component' && source.auth.type !== 'serviceProvider') {
    throw new ParameterError('endpoint', `"component" statistics need a serviceProvider source; "${source.id}" is ${source.auth.type}`);
  }
  const openKfid = query.open_kfid ?? '';
  const servicerUserid = query.servicer_userid ?? '';
  if (endpoint === 'component' && openKfid) throw new ParameterError('open_kfid', 'not used by component statistics (they are corp-level)');
  if (endpoint !== 'component' && !openKfid)
    throw new ParameterError('open_kfid', `required for ${endpoint} statistics: a customer-service account id ("wk...")`);
  if (endpoint !== 'servicer' && servicerUserid) throw new ParameterError('servicer_userid', 'only with endpoint=servicer');
  let range;
  try {
    // Core's rule for an archive: from/to or last as the CLI takes them, to defaulting to
    // yesterday, no 180-day floor, later days cut off with a warning.
    range = resolveArchiveRange(
      {
        ...(query.last !== undefined && query.last !== '' ? { last: query.last } : {}),
        ...(query.from !== undefined && query.from !== '' ? { from: query.from } : {}),
        ...(query.to !== undefined && query.to !== '' ? { to: query.to } : {}),
      },
      nowMs,
    );
  } catch (error) {
    if (error instanceof ValidationError) throw parameterErrorOfValidation(error);
    throw error;
  }
  return {
    series: { source: source.id, endpoint, corpId, openKfid, servicerUserid },
    collected: corp.state === 'active',
    from: range.from,
    to: range.to,
    warnings: range.warnings.map((w) => ({ code: w.code, message: w.message })),
    at: nowMs,
  };
}

/**
 * The client of a corp, taking in authorizations another replica received since this one last
 * looked (one look at the store when the corp is not known here yet).
 */
export async function corpClient(options: Pick<SeriesContext, 'clients' | 'providers'>, sourceId: string, corpId: string) {
  const known = options.clients.find(sourceId, corpId)[0];
  if (known) return known;
  await options.providers.sync(options.clients);
  return options.clients.find(sourceId, corpId)[0];
}

/** Days as the runs of consecutive days they make: what a warning names (400 days are one range, not 400 dates). */
export function rangesOf(days: readonly ChinaDay[]): { from: ChinaDay; to: ChinaDay }[] {
  return dayRuns([...new Set(days)].sort());
}

/** The outcome of `promise` if it settles within `ms`, else undefined (the promise goes on). */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** WeCom said the account or servicer does not exist (errcode category `account`: 95000, 95004, 60111). */
export function isUnknownAccount(error: unknown): error is Error {
  return isWecomStatsError(error) && (error as { category?: string }).category === 'account';
}

/**
 * Accounts and servicers WeCom said do not exist (errcode category `account`: 95000, 95004,
 * 60111), remembered for a while so that a reader cannot spend a corp's call quota by asking for
 * them again and again. Bounded: the oldest entries go first.
 */
export function createRefusalCache(ttlMs = 10 * 60_000, capacity = 10_000) {
  const refused = new Map<string, { until: number; error: unknown }>();
  return {
    get(key: string, nowMs: number): unknown {
      const hit = refused.get(key);
      if (hit && hit.until > nowMs) return hit.error;
      if (hit) refused.delete(key);
      return undefined;
    },
    note(key: string, error: unknown, nowMs: number): void {
      if (!isUnknownAccount(error)) return;
      refused.delete(key);
      refused.set(key, { until: nowMs + ttlMs, error });
      if (refused.size > capacity) refused.delete(refused.keys().next().value!);
    },
  };
}
export type RefusalCache = ReturnType<typeof createRefusalCache>;

/** What the live part of a statistics request shares with the requests around it. */
export interface LiveFetches {
  /** Identical live fetches running now, shared by the requests that ask for them. */
  inflight: Map<string, Promise<FetchAndStoreResult>>;
  refusals: RefusalCache;
  health: StoreHealth;
  /** Who holds live-fetch leases in the store: one per process. */
  owner: string;
}

/** A live fetch whose process stopped renewing it is another replica's to do after this long. */
const LIVE_LEASE_MS = 30_000;
/** Days in date order (China dates as YYYY-MM-DD sort as text). */
const byDate = (a: StatisticsDay, b: StatisticsDay) => (a.date < b.date ? -1 : 1);

/** A day another replica fetched this little before a request counts as fetched for it (clocks differ a little). */
const LIVE_FRESH_MS = 5_000;
/** How often a replica that waits on another's live fetch looks at the archive. */
const LIVE_POLL_MS = 100;

/**
 * The days of `wanted` fetched from WeCom once across replicas: the replica that takes the
 * series' lease fetches and stores them; the others read them from the archive once stored (a
 * day written since `since` counts), or fetch what is left when the lease comes free.
 */
async function fetchOnce(
  options: SeriesContext,
  live: LiveFetches,
  corp: NonNullable<Awaited<ReturnType<typeof corpClient>>>,
  series: SeriesKey,
  wanted: readonly ChinaDay[],
  since: number,
): Promise<FetchAndStoreResult> {
  const { store, now, signal } = options;
  const leaseKey = `live:${JSON.stringify(series)}`;
  let left = [...wanted];
  const fromArchive: StatisticsDay[] = [];
  const takeFresh = async () => {
    const fresh = new Map(
      (await store.readDays(series, left[0]!, left.at(-1)!)).filter((d) => d.fetchedAt >= since).map((d) => [d.date, d] as const),
    );
    for (const date of left) {
      const day = fresh.get(date);
      if (day) fromArchive.push({ date: day.date, stat_time: day.stat_time, statistic: day.statistic });
    }
    left = left.filter((d) => !fresh.has(d));
  };
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    // A store that cannot be written (a full disk) cannot lease either: this process fetches alone
    // then, and answers what it fetched.
    const leased = await store.tryLease(leaseKey, live.owner, LIVE_LEASE_MS).catch(() => 'alone' as const);
    if (leased) {
      try {
        // Another replica may have stored them between the look and the lease.
        if (leased !== 'alone') await takeFresh();
        const fetched: FetchAndStoreResult =
          left.length === 0
            ? { days: [], stored: 0, revised: [], failures: [], outsideWindow: [] }
            : await fetchAndStore({
                store,
                corp,
                series,
                days: left,
                now,
                signal,
                onWriteFailure: (error) => live.health.writeFailed(error),
                onStored: () => live.health.writeSucceeded(),
              });
        // Days another replica stored are in the archive already.
        return {
          ...fetched,
          days: [...fromArchive, ...fetched.days].sort(byDate),
          stored: fetched.stored + fromArchive.length,
        };
      } finally {
        if (leased !== 'alone') await store.releaseLease(leaseKey, live.owner).catch(() => {});
      }
    }
    await new Promise((resolve) => setTimeout(resolve, LIVE_POLL_MS));
    await takeFresh();
    if (left.length === 0) {
      const days = fromArchive.sort(byDate);
      return { days, stored: days.length, revised: [], failures: [], outsideWindow: [] };
    }
  }
}

type Warning = SeriesRequest['warnings'][number];

/** Archive first; in-window days it lacks are fetched live and stored; the rest named in a warning. */
export async function statisticsFor(
  options: SeriesContext,
  request: SeriesRequest,
  live: LiveFetches,
): Promise<{ days: StatisticsDay[]; warnings: Warning[]; fromArchiveOnly: boolean }> {
  const { store, now } = options;
  const { series, from, to } = request;
  const warnings = [...request.warnings];
  const byDate = new Map<ChinaDay, StatisticsDay>();
  const settled = new Set<ChinaDay>();
  const takeArchived = (days: readonly ArchivedDay[]) => {
    for (const day of days) {
      byDate.set(day.date, { date: day.date, stat_time: day.stat_time, statistic: day.statistic });
      if (isSettled(day.date, day.fetchedAt, day.statistic !== null)) settled.add(day.date);
    }
  };
  takeArchived(await store.readDays(series, from, to));
  const window = statisticsWindow(request.at);
  const wanted = listDays(from, to).filter(
    (d) => !settled.has(d) && daysBetween(window.oldest, d) >= 0 && daysBetween(d, window.newest) >= 0,
  );
  // Days a warning names already, kept out of the NOT_ARCHIVED one.
  const named = new Set<ChinaDay>();
  const warn = (warning: Warning, days: readonly ChinaDay[]) => {
    warnings.push({ ...warning, ranges: rangesOf(days) });
    for (const day of days) named.add(day);
  };
  const corp = wanted.length > 0 && request.collected ? await corpClient(options, series.source, series.corpId) : undefined;
  if (wanted.length > 0 && !corp) {
    // The corp cancelled its authorization: its archive stays, but WeCom is no longer asked.
    warn(
      {
        code: 'NOT_COLLECTED',
        message: `${describeDays(wanted)}: not in the archive, and corp ${series.corpId} no longer authorizes source "${series.source}", so they are not fetched.`,
      },
      wanted,
    );
  }
  if (wanted.length > 0 && corp) {
    const seriesKey = JSON.stringify(series);
    const refused = live.refusals.get(seriesKey, now());
    let outcome: Awaited<ReturnType<typeof settleWithin<FetchAndStoreResult>>>;
    if (refused) {
      outcome = { value: { days: [], stored: 0, revised: [], failures: [{ days: wanted, error: refused }], outsideWindow: [] } };
    } else {
      // Identical requests arriving together share one fetch.
      const key = JSON.stringify([series, wanted[0], wanted.at(-1), wanted.length]);
      let pending = live.inflight.get(key);
      if (!pending) {
        // And identical requests on other replicas too: one of them fetches, the others read the archive.
        pending = fetchOnce(options, live, corp, series, wanted, now() - LIVE_FRESH_MS);
        live.inflight.set(key, pending);
        pending
          .then(
            (result) => {
              for (const failure of result.failures) live.refusals.note(seriesKey, failure.error, now());
            },
            (error: unknown) =>
              options.logger.warn(
                { component: 'api', source: series.source, endpoint: series.endpoint, corp: series.corpId },
                `live fetch for ${series.source}/${series.endpoint} failed: ${redactText((error as Error).message)}`,
              ),
          )
          .finally(() => live.inflight.delete(key));
      }
      outcome = await settleWithin(pending, options.config.api.liveFetchDeadlineMs);
    }
    if (outcome === undefined) {
      // Still fetching (WeCom is slow, or the pacer waits out a 45009): answer what is there now;
      // the rest lands in the archive when it arrives.
      takeArchived(await store.readDays(series, from, to));
      const missing = wanted.filter((d) => !settled.has(d));
      warn(
        {
          code: 'LIVE_FETCH_PENDING',
          message: `${describeDays(missing)}: still being fetched from WeCom; they are stored when they arrive: ask again shortly.`,
        },
        missing,
      );
    } else if ('error' in outcome) {
      // Whatever arrived before the failure is stored: answer it, and name the rest.
      takeArchived(await store.readDays(series, from, to));
      const lost = wanted.filter((d) => !settled.has(d));
      const reason = redactText((outcome.error as Error).message);
      warn({ code: 'LIVE_FETCH_FAILED', message: `Fetching ${describeDays(lost)} from WeCom failed: ${reason}` }, lost);
    } else {
      const result = outcome.value;
      for (const day of result.days) byDate.set(day.date, day);
      const refusal = result.failures[0]?.error;
      if (byDate.size === 0 && isUnknownAccount(refusal)) {
        // An account (or servicer) WeCom does not know, of which the archive holds nothing: 404,
        // like any id the server has never seen.
        throw new NotFoundError(
          `${series.servicerUserid ? 'servicer_userid' : 'open_kfid'} "${series.servicerUserid || series.openKfid}" is not an account of corp ${series.corpId}: ${redactText((refusal as Error).message)}`,
        );
      }
      const failed = result.failures.flatMap((f) => f.days);
      if (failed.length > 0) {
        const reason = redactText((result.failures[0]!.error as Error).message);
        warn({ code: 'LIVE_FETCH_FAILED', message: `Fetching ${describeDays(failed)} from WeCom failed: ${reason}` }, failed);
      }
      if (result.outsideWindow.length > 0) {
        warn(
          {
            code: 'OUTSIDE_WINDOW',
            message: `${describeDays(result.outsideWindow)}: WeCom answers these no more (or not yet): its clock and this server's disagree about the China day.`,
          },
          result.outsideWindow,
        );
      }
      if (result.stored < result.days.length) {
        warnings.push({
          code: 'ARCHIVE_WRITE_FAILED',
          message: `The archive cannot be written: ${result.days.length - result.stored} days fetched from WeCom are answered but not kept.`,
        });
      }
    }
  }
  const all = listDays(from, to);
  const unavailable = all.filter((d) => !byDate.has(d) && !named.has(d));
  if (unavailable.length > 0) {
    warnings.push({
      code: 'NOT_ARCHIVED',
      message: `${describeDays(unavailable)}: not in the archive and outside WeCom's window (${window.oldest}..${window.newest}), so no source has these days.`,
      ranges: rangesOf(unavailable),
    });
  }
  return { days: all.flatMap((d) => (byDate.has(d) ? [byDate.get(d)!] : [])), warnings, fromArchiveOnly: wanted.length === 0 };
}
