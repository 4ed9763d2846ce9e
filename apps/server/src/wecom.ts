/**
 * WeCom clients for every corp of the config, built on core: one undici pool for the process,
 * every request paced (per corp and per IP), counted for /metrics, and tokens kept in the store.
 */
import type { CorpCredentials, ProviderSource, ServerConfig } from './config.js';
import { STATISTICS_PATHS, type Chunk } from './china-days.js';
import {
  createNodeClient,
  createSuiteClient,
  createUndiciTransport,
  type AuthOptions,
  type CallResponse,
  type NodeKfStatsClient,
  type StatisticsDay,
  type StatisticsEndpoint,
  type SuiteClient,
  type TokenStore,
  type Transport,
} from './kf-core.js';
import type { Pacer } from './pacer.js';
import { silentLog, type Log } from './logger.js';

export interface CallEvent {
  source: string;
  path: string;
  /** errcode of the answer; undefined when there was no JSON answer (network, HTTP status). */
  errcode: number | undefined;
}

export interface CorpClient {
  sourceId: string;
  corpId: string;
  /** The accounts the corp chose for the KF component (AuthOpenKfIdList); undefined: all it has. */
  authorizedAccounts?: readonly string[];
  authType: CorpCredentials['auth']['type'];
  client: NodeKfStatsClient;
}

export interface WecomClients {
  /** The corps called for now: the config's, plus those that authorized a suite through its callback. */
  readonly corps: readonly CorpClient[];
  find(sourceId: string, corpId?: string): CorpClient[];
  /** Start calling for a corp (a new authorization); replaces the client of the same source and corp. */
  add(credentials: CorpCredentials): CorpClient;
  /** Stop calling for a corp (its authorization was cancelled). */
  remove(sourceId: string, corpId: string): boolean;
  /** The suite-level client of a provider source (get_permanent_code), sharing its suite token. */
  suite(provider: ProviderSource): SuiteClient;
  /** Statistics requests sent so far (every attempt), for run summaries. */
  readonly statisticsCalls: number;
  close(): Promise<void>;
}

export interface WecomClientsOptions {
  config: ServerConfig;
  credentials: CorpCredentials[];
  pacer: Pacer;
  tokenStore: TokenStore;
  now: () => number;
  onCall?: (event: CallEvent) => void;
  /** How long a request took on the wire (its wait for the pace left out). */
  onWireTime?: (event: { source: string; path: string; seconds: number }) => void;
  /** A 45009 paused a corp or the IP. */
  onPause?: (event: { source: string; scope: 'corp' | 'ip' }) => void;
  /** @default silent */
  log?: Log;
  /** Retry overrides for core (tests shorten the waits). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number; rateLimitDelayMs?: number; maxRetries?: number };
  /**
   * The newest suite_ticket of a suite: the one its callback stored, else the pasted one. Without
   * it, the pasted ticket is used.
   */
  suiteTicket?: (suiteId: string, pasted: string | undefined) => Promise<string>;
  /** WeCom answered 40085 (suite_ticket not valid) to a suite token request with this ticket. */
  onTicketRefused?: (suiteId: string, ticket: string) => Promise<void> | undefined;
}

/** A ticket getter for core: the newest one each time the suite token is renewed. */
function ticketGetter(
  options: Pick<WecomClientsOptions, 'suiteTicket'>,
  suiteId: string,
  pasted: string | undefined,
): string | (() => Promise<string>) {
  if (options.suiteTicket) return () => options.suiteTicket!(suiteId, pasted);
  if (pasted === undefined) throw new Error(`no suite_ticket for suite ${suiteId}: configure its callback or suiteTicketEnv`);
  return pasted;
}

const STATISTICS_PATH_SET = new Set<string>(STATISTICS_PATHS);
/** Frequency limit exceeded (page 90454). */
const ERRCODE_FREQUENCY_LIMIT = 45009;
/** The suite_ticket is not valid (page 90600): the next stored one should be tried. */
const ERRCODE_TICKET_REFUSED = 40085;
const SUITE_TOKEN_PATH = '/cgi-bin/service/get_suite_token';

/** Core's auth options for a corp's credentials (a provider's ticket: the stored one when `suiteTicket` is given). */
export function authOptions(auth: CorpCredentials['auth'], options: Pick<WecomClientsOptions, 'suiteTicket'>): AuthOptions {
  switch (auth.type) {
    case 'selfBuilt':
      return { type: 'selfBuilt', corpId: auth.corpId, corpSecret: auth.corpSecret };
    case 'serviceProvider':
      return {
        type: 'serviceProvider',
        suiteId: auth.suiteId,
        suiteSecret: auth.suiteSecret,
        suiteTicket: ticketGetter(options, auth.suiteId, auth.suiteTicket),
        authCorpId: auth.authCorpId,
        permanentCode: auth.permanentCode,
      };
    case 'tokenService':
      return { type: 'tokenService', url: auth.url, headers: auth.headers };
  }
}

export function createWecomClients(options: WecomClientsOptions): WecomClients {
  const { config, credentials, pacer } = options;
  const log = options.log ?? silentLog;
  const pool = createUndiciTransport({ connections: Math.max(8, config.concurrency * 2) });
  let statisticsCalls = 0;

  /** The JSON of a body, or undefined. */
  const jsonOf = (text: string | undefined): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(text ?? '');
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };

  /**
   * Every request waits for its corp's (and the IP's) pace; statistics requests are counted, and
   * the time on the wire (the pace's wait left out) is timed. A suite token refused with 40085
   * names the ticket it carried, so that this very ticket is set aside.
   */
  const pacedTransport =
    (sourceId: string, corpId: string): Transport =>
    async (request) => {
      const path = request.label;
      await pacer.acquire(corpId, path, request.signal);
      if (STATISTICS_PATH_SET.has(path)) statisticsCalls += 1;
      const sentAt = performance.now();
      try {
        const response = await pool(request);
        if (path === SUITE_TOKEN_PATH && response.status === 200 && jsonOf(response.body)?.errcode === ERRCODE_TICKET_REFUSED) {
          const sent = jsonOf(request.body);
          if (typeof sent?.suite_id === 'string' && typeof sent.suite_ticket === 'string')
            options
              .onTicketRefused?.(sent.suite_id, sent.suite_ticket)
              ?.catch((error: Error) =>
                log.warn({ suite: sent.suite_id }, `setting a refused suite_ticket aside failed: ${error.message}`),
              );
        }
        return response;
      } finally {
        options.onWireTime?.({ source: sourceId, path, seconds: (performance.now() - sentAt) / 1000 });
      }
    };

  /** What core says of each answer (path, status, errcode): counted, and a 45009 acted on. */
  const onResponse =
    (sourceId: string, corpId: string) =>
    (response: CallResponse): void => {
      const { path, errcode } = response;
      options.onCall?.({ source: sourceId, path, errcode });
      if (errcode === ERRCODE_FREQUENCY_LIMIT) {
        const scope = pacer.frequencyLimited(corpId, path);
        options.onPause?.({ source: sourceId, scope });
        log.warn(
          { source: sourceId, corp: corpId, path, errcode: 45009, scope },
          `${path}: errcode 45009 (frequency limit) for ${sourceId}/${corpId}: pausing this ${scope === 'ip' ? 'IP' : 'corp'}`,
        );
      }
    };

  const clientOptions = {
    baseUrl: config.baseUrl,
    now: options.now,
    tokenStore: options.tokenStore,
    ...(options.retry ? { retry: options.retry } : {}),
    // Core's lines (retries, token renewals) as this part's, marked as core's.
    logger: { warn: (m: string) => log.warn({ from: 'core' }, m), info: (m: string) => log.info({ from: 'core' }, m) },
  };
  const build = (corp: CorpCredentials): CorpClient => {
    const client = createNodeClient({
      ...clientOptions,
      auth: authOptions(corp.auth, options),
      transport: pacedTransport(corp.sourceId, corp.corpId),
      onResponse: onResponse(corp.sourceId, corp.corpId),
      // The archive is the cache.
      cache: false,
      windowPolicy: 'strict',
      concurrency: 2,
    });
    return {
      sourceId: corp.sourceId,
      corpId: corp.corpId,
      authType: corp.auth.type,
      client,
      ...(corp.authorizedAccounts ? { authorizedAccounts: corp.authorizedAccounts } : {}),
    };
  };
  let corps = credentials.map(build);
  const suites = new Map<string, SuiteClient>();

  return {
    get corps() {
      return corps;
    },
    find: (sourceId, corpId) => corps.filter((c) => c.sourceId === sourceId && (corpId === undefined || c.corpId === corpId)),
    add(credentials) {
      const added = build(credentials);
      corps = [...corps.filter((c) => !(c.sourceId === credentials.sourceId && c.corpId === credentials.corpId)), added];
      return added;
    },
    remove(sourceId, corpId) {
      const gone = corps.filter((c) => c.sourceId === sourceId && c.corpId === corpId);
      corps = corps.filter((c) => !gone.includes(c));
      // Its token goes with it, from this process's memory and from the store.
      for (const c of gone)
        void Promise.resolve(options.tokenStore.delete?.(c.client.authKey)).catch((error: Error) =>
          log.warn({ source: sourceId, corp: corpId }, `the token of a removed corp could not be deleted: ${error.message}`),
        );
      return gone.length > 0;
    },
    suite(provider) {
      let suite = suites.get(provider.sourceId);
      if (!suite) {
        suite = createSuiteClient({
          ...clientOptions,
          suite: {
            suiteId: provider.suiteId,
            suiteSecret: provider.suiteSecret,
            suiteTicket: ticketGetter(options, provider.suiteId, provider.suiteTicket),
          },
          // Suite calls are paced under the suite's own id.
          transport: pacedTransport(provider.sourceId, provider.suiteId),
          onResponse: onResponse(provider.sourceId, provider.suiteId),
        });
        suites.set(provider.sourceId, suite);
      }
      return suite;
    },
    get statisticsCalls() {
      return statisticsCalls;
    },
    async close() {
      await pool.close();
    },
  };
}

export interface ChunkQuery {
  endpoint: StatisticsEndpoint;
  openKfid: string;
  servicerUserid: string;
}

/**
 * One chunk (≤31 days, one statistics call) through core: validated, retried, every day once, as
 * core normalizes it (every catalog metric present, null when WeCom left it out; fields WeCom
 * adds kept as sent; `statistic: null` for a day WeCom sent none). The archive stores these days.
 */
export async function fetchChunk(corp: CorpClient, query: ChunkQuery, chunk: Chunk, signal?: AbortSignal): Promise<StatisticsDay[]> {
  const result = await corp.client.getStatistics({
    endpoint: query.endpoint,
    ...(query.openKfid ? { openKfid: query.openKfid } : {}),
    ...(query.servicerUserid ? { servicerUserid: query.servicerUserid } : {}),
    from: chunk.from,
    to: chunk.to,
    useCache: false,
    ...(signal ? { signal } : {}),
  });
  return result.days;
}
