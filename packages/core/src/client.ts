/**
 * The client: one options object validated once, then the five WeCom endpoints.
 * Runtime-neutral: the transport and sleep come from the caller (or from `@wecom-kf-stats/core/node`).
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { authOptionsSchema, createTokenProvider, type AuthOptions } from './auth.js';
import { executeCall, type CallContext, type Logger, type RetryWait, type CallResponse } from './call.js';
import { createMemoryDayCache, type DayCacheStore } from './day-cache.js';
import { ResponseFormatError, ValidationError } from './errors.js';
import { STATISTICS_ENDPOINTS, type StatisticsEndpoint } from './metrics.js';
import { LIMITS, DEFAULTS } from './limits.js';
import { resolveRange, WINDOW_POLICIES, type RangeInput, type WindowPolicy } from './range.js';
import { DEFAULT_RETRY_POLICY, retryPolicySchema, type RetryPolicy } from './retry.js';
import { accountListResponseSchema, servicerListResponseSchema, type KfAccount, type Servicer } from './schemas.js';
import { fetchStatisticsDays, type FetchProgress, type InFlightDays, type StatisticsResult } from './statistics.js';
import { createMemoryTokenStore, createTokenCache, type TokenStore } from './token-store.js';
import { ERRCODE_FREQUENCY_LIMIT } from './retry.js';
import type { Pacer } from './pacer.js';
import { timerSleep, type Sleep, type Transport } from './transport.js';
import { parseOrThrow } from './validate.js';

const fn = <T>(allowed: string) => z.custom<T>((v) => typeof v === 'function', { error: allowed });
const objectWith = <T>(methods: string[], allowed: string) =>
  z.custom<T>((v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'), {
    error: allowed,
  });
const intIn = (bounds: { min: number; max: number }, what: string) => {
  const allowed = `${what}: a whole number from ${bounds.min} to ${bounds.max}`;
  return z.number({ error: allowed }).int({ error: allowed }).min(bounds.min, { error: allowed }).max(bounds.max, { error: allowed });
};

const BASE_URL_ALLOWED = `an http(s) URL such as ${DEFAULTS.baseUrl}`;
const baseUrlSchema = z.string({ error: BASE_URL_ALLOWED }).regex(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/i, { error: BASE_URL_ALLOWED });

/** Check an API base URL as the client would (a host's settings form checks it on blur). */
export function validateBaseUrl(value: unknown, field = 'baseUrl'): string {
  return parseOrThrow(baseUrlSchema, value, field);
}

export const clientOptionsSchema = z.strictObject(
  {
    /** How to get an access_token. */
    auth: authOptionsSchema,
    /** Sends one HTTP request. Node: `createNodeClient` supplies undici; browsers: `createFetchTransport(fetch)`. */
    transport: fn<Transport>('a transport function (request) => Promise<{status, body}>'),
    /** Waits between retries. @default timers (`setTimeout`), cancelled by the AbortSignal; tests pass a fake clock's. */
    sleep: fn<Sleep>('a sleep function (ms, signal?) => Promise<void>').optional(),
    /** Clock in epoch ms. @default Date.now */
    now: fn<() => number>('a function returning epoch milliseconds').optional(),
    /** @default "https://qyapi.weixin.qq.com" */
    baseUrl: baseUrlSchema.optional(),
    /** Statistics chunks in flight at once. @default 3 */
    concurrency: intIn(LIMITS.concurrency, 'concurrency').optional(),
    /** Per-request timeout. @default 15000 */
    timeoutMs: intIn(LIMITS.timeoutMs, 'timeout in ms').optional(),
    /** Retry policy overrides (docs/wecom-api.md §5). */
    retry: retryPolicySchema.optional(),
    /** What to do with days outside [today−180, yesterday]. @default "clamp" */
    windowPolicy: z.enum(WINDOW_POLICIES, { error: '"clamp" or "strict"' }).optional(),
    /** Day cache for finished days; false turns it off. @default an in-memory LRU */
    cache: z
      .union([z.literal(false), objectWith<DayCacheStore>(['get', 'set'], 'false or a store with get/set')], {
        error: 'false or a store with get/set',
      })
      .optional(),
    /** Where tokens are kept; share one store to share tokens. @default in memory */
    tokenStore: objectWith<TokenStore>(['get', 'set', 'delete'], 'a store with get/set/delete').optional(),
    /** Receives redacted log lines. */
    logger: objectWith<Logger>([], 'an object with optional debug/info/warn functions').optional(),
    /** Source of randomness for jitter. @default Math.random */
    random: fn<() => number>('a function returning a number in [0, 1)').optional(),
    /**
     * Told before every wait between retries (after 45009 that is a whole minute, page 90454), so a
     * host can say why it is waiting and for how long.
     */
    onWait: fn<(wait: RetryWait) => void>('a function receiving each wait before a retry').optional(),
    /**
     * Told after every HTTP exchange: path, HTTP status, errcode, duration and attempt, so a host
     * can count and time WeCom's answers and react to them (a 45009) without reading bodies.
     */
    onResponse: fn<(response: CallResponse) => void>('a function receiving each response').optional(),
    /**
     * Paces every request under WeCom's frequency limits (page 90454) and pauses after a 45009:
     * one `createPacer()` shared by every client that calls from the same IP (one per corp).
     * @default none: calls go as fast as `concurrency` allows
     */
    pacer: objectWith<Pacer>(['acquire', 'frequencyLimited'], 'a pacer from createPacer(), shared by the clients of one IP').optional(),
  },
  { error: 'an object of client options such as { auth, transport, sleep }' },
);
export type KfStatsClientOptions = z.input<typeof clientOptionsSchema>;

const nonEmpty = (what: string) => z.string({ error: what }).trim().min(1, { error: what });

export const statisticsQuerySchema = z
  .strictObject(
    {
      /** Which statistics: "component" (kf/get_statistic), "corp" or "servicer". */
      endpoint: z.enum(STATISTICS_ENDPOINTS as [StatisticsEndpoint, ...StatisticsEndpoint[]], {
        error: '"component", "corp" or "servicer"',
      }),
      openKfid: nonEmpty('a customer-service account id (open_kfid, "wk...")').optional(),
      servicerUserid: nonEmpty('a servicer userid (or open_userid for third-party apps)').optional(),
      from: z.unknown().optional(),
      to: z.unknown().optional(),
      last: z.unknown().optional(),
      /** @default the client's `windowPolicy` */
      windowPolicy: z.enum(WINDOW_POLICIES, { error: '"clamp" or "strict"' }).optional(),
      signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v, { error: 'an AbortSignal' }).optional(),
      onProgress: fn<(p: FetchProgress) => void>('a function receiving progress').optional(),
      useCache: z.boolean({ error: 'true or false' }).optional(),
    },
    { error: 'an object such as { endpoint: "corp", openKfid: "wk...", last: 7 }' },
  )
  .superRefine((q, ctx) => {
    if (q.endpoint === 'component' && q.openKfid !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['openKfid'],
        message: 'no open_kfid for component statistics (kf/get_statistic is corp-level)',
      });
    }
    if (q.endpoint !== 'component' && q.openKfid === undefined) {
      ctx.addIssue({ code: 'custom', path: ['openKfid'], message: `an open_kfid ("wk...") for ${q.endpoint} statistics` });
    }
    if (q.endpoint !== 'servicer' && q.servicerUserid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['servicerUserid'], message: 'a servicer only with endpoint "servicer"' });
    }
  });
export type StatisticsQuery = Omit<z.input<typeof statisticsQuerySchema>, 'from' | 'to' | 'last'> & RangeInput;

export interface KfStatsClient {
  /** Cache key of the auth in use (corp + app); contains no secret. */
  readonly authKey: string;
  /** Statistics for a range, chunked, cached, in China days. */
  getStatistics(query: StatisticsQuery): Promise<StatisticsResult>;
  /** All customer-service accounts (every page of kf/account/list). */
  listAccounts(options?: { signal?: AbortSignal }): Promise<KfAccount[]>;
  /** Servicers of one account (kf/servicer/list). */
  listServicers(openKfid: string, options?: { signal?: AbortSignal }): Promise<Servicer[]>;
  /** Fetch a token now (a cheap credentials check). */
  checkAuth(options?: { signal?: AbortSignal }): Promise<void>;
}

const ACCOUNT_PAGE_SIZE = LIMITS.accountPageSize;
const MAX_ACCOUNTS = LIMITS.maxAccounts;

/** The options every call of a client shares, with the defaults applied. */
export function createCallContext(
  opts: Omit<z.output<typeof clientOptionsSchema>, 'auth'>,
  onConcurrencyLimited: () => void = () => {},
): CallContext {
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  return {
    baseUrl: opts.baseUrl ?? DEFAULTS.baseUrl,
    now: opts.now ?? Date.now,
    onWait: opts.onWait,
    onResponse: opts.onResponse,
    transport: opts.transport,
    sleep: opts.sleep ?? timerSleep,
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
    retry,
    random: opts.random ?? Math.random,
    logger: opts.logger,
    onConcurrencyLimited,
  };
}

/** The corp a pacer counts a client's calls against (WeCom counts per corp and API). */
function pacedCorp(auth: AuthOptions): string {
  switch (auth.type) {
    case 'selfBuilt':
      return auth.corpId;
    case 'serviceProvider':
      return auth.authCorpId;
    default:
      return auth.type;
  }
}

/** With a pacer: every request waits for its place, and a 45009 pauses the scope that hit its limit. */
function paced(opts: z.output<typeof clientOptionsSchema>): z.output<typeof clientOptionsSchema> {
  const { pacer, transport, onResponse } = opts;
  if (!pacer) return opts;
  const corp = pacedCorp(opts.auth);
  return {
    ...opts,
    transport: async (request) => {
      await pacer.acquire(corp, request.label, request.signal);
      return transport(request);
    },
    onResponse: (response) => {
      if (response.errcode === ERRCODE_FREQUENCY_LIMIT) pacer.frequencyLimited(corp, response.path);
      onResponse?.(response);
    },
  };
}

export function createKfStatsClient(options: KfStatsClientOptions): KfStatsClient {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', options, 'an object such as { auth, transport, sleep }');
  }
  const opts = paced(parseOrThrow(clientOptionsSchema, options, 'options'));
  const now = opts.now ?? Date.now;
  const limit = pLimit(opts.concurrency ?? DEFAULTS.concurrency);
  const ctx = createCallContext(opts, () => {
    // 45033: too many concurrent calls. Halve the parallelism for the rest of this client's life.
    limit.concurrency = Math.max(1, Math.floor(limit.concurrency / 2));
  });
  const tokenCache = createTokenCache(opts.tokenStore ?? createMemoryTokenStore(), now);
  const auth = createTokenProvider(opts.auth, ctx, tokenCache);
  const cache = opts.cache === false ? undefined : (opts.cache ?? createMemoryDayCache());
  const defaultPolicy: WindowPolicy = opts.windowPolicy ?? DEFAULTS.windowPolicy;
  const inFlight: InFlightDays = new Map();

  return {
    authKey: auth.key,
    async getStatistics(query) {
      if (typeof query !== 'object' || query === null || Array.isArray(query)) {
        throw new ValidationError('query', query, 'an object such as { endpoint: "corp", openKfid: "wk...", last: 7 }');
      }
      const q = parseOrThrow(statisticsQuerySchema, query, '');
      const range = resolveRange(
        { from: q.from as RangeInput['from'], to: q.to as RangeInput['to'], last: q.last as RangeInput['last'] },
        now(),
        q.windowPolicy ?? defaultPolicy,
      );
      return fetchStatisticsDays(
        { ctx, auth, limit, cache, now, inFlight },
        {
          endpoint: q.endpoint,
          openKfid: q.openKfid,
          servicerUserid: q.servicerUserid,
          range,
          signal: q.signal,
          onProgress: q.onProgress,
          useCache: q.useCache,
        },
      );
    },
    async listAccounts({ signal } = {}) {
      const accounts: KfAccount[] = [];
      const seen = new Set<string>();
      const label = '/cgi-bin/kf/account/list';
      // One page past the most a corp can have, to see the short page that ends the list.
      for (let offset = 0; offset <= MAX_ACCOUNTS; offset += ACCOUNT_PAGE_SIZE) {
        const page = await executeCall(ctx, {
          method: 'POST',
          path: '/cgi-bin/kf/account/list',
          body: { offset, limit: ACCOUNT_PAGE_SIZE },
          token: auth.handle,
          schema: accountListResponseSchema,
          signal,
        });
        const calls = offset / ACCOUNT_PAGE_SIZE + 1;
        if (page.account_list.length > 0 && page.account_list.every((a) => seen.has(a.open_kfid))) {
          throw new ResponseFormatError(
            label,
            `the page at offset ${offset} repeats accounts already listed (${page.account_list[0]!.open_kfid}…): the server ignores offset. Stopped after ${calls} calls with ${accounts.length} accounts.`,
          );
        }
        for (const account of page.account_list) {
          if (seen.has(account.open_kfid)) continue;
          seen.add(account.open_kfid);
          accounts.push(account);
        }
        // A short page is the last one (page 94661).
        if (page.account_list.length < ACCOUNT_PAGE_SIZE) return accounts;
      }
      throw new ResponseFormatError(
        label,
        `every page came back full past ${MAX_ACCOUNTS} accounts, the most a corp can have (page 94661). Stopped after ${MAX_ACCOUNTS / ACCOUNT_PAGE_SIZE + 1} calls.`,
      );
    },
    async listServicers(openKfid, { signal } = {}) {
      if (typeof openKfid !== 'string' || openKfid.trim() === '') {
        throw new ValidationError('openKfid', openKfid, 'a customer-service account id (open_kfid, "wk...")');
      }
      const answer = await executeCall(ctx, {
        method: 'GET',
        path: '/cgi-bin/kf/servicer/list',
        query: { open_kfid: openKfid.trim() },
        token: auth.handle,
        schema: servicerListResponseSchema,
        signal,
      });
      return answer.servicer_list;
    },
    async checkAuth({ signal } = {}) {
      await auth.handle.get(signal);
    },
  };
}

export type { AuthOptions };
