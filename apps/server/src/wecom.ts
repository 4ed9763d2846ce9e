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
  /** From sending the request to reading the answer. */
  durationSeconds: number;
}

export interface CorpClient {
  sourceId: string;
  corpId: string;
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

/** The ticket each suite's token was last asked with: the one to set aside when WeCom answers 40085. */
type TicketsInUse = Map<string, string>;

/** A ticket getter for core: the newest one each time the suite token is renewed. */
function ticketGetter(
  options: Pick<WecomClientsOptions, 'suiteTicket'>,
  suiteId: string,
  pasted: string | undefined,
  inUse?: TicketsInUse,
): string | (() => Promise<string>) {
  if (options.suiteTicket) {
    return async () => {
      const ticket = await options.suiteTicket!(suiteId, pasted);
      inUse?.set(suiteId, ticket);
      return ticket;
    };
  }
  if (pasted === undefined) throw new Error(`no suite_ticket for suite ${suiteId}: configure its callback or suiteTicketEnv`);
  inUse?.set(suiteId, pasted);
  return pasted;
}

const STATISTICS_PATH_SET = new Set<string>(STATISTICS_PATHS);
/** Frequency limit exceeded (page 90454). */
const ERRCODE_FREQUENCY_LIMIT = 45009;
/** The suite_ticket is not valid (page 90600): the next stored one should be tried. */
const ERRCODE_TICKET_REFUSED = 40085;
const SUITE_TOKEN_PATH = '/cgi-bin/service/get_suite_token';

/** Core's auth options for a corp's credentials (a provider's ticket: the stored one when `suiteTicket` is given). */
export function authOptions(
  auth: CorpCredentials['auth'],
  options: Pick<WecomClientsOptions, 'suiteTicket'>,
  inUse?: TicketsInUse,
): AuthOptions {
  switch (auth.type) {
    case 'selfBuilt':
      return { type: 'selfBuilt', corpId: auth.corpId, corpSecret: auth.corpSecret };
    case 'serviceProvider':
      return {
        type: 'serviceProvider',
        suiteId: auth.suiteId,
        suiteSecret: auth.suiteSecret,
        suiteTicket: ticketGetter(options, auth.suiteId, auth.suiteTicket, inUse),
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

  const ticketsInUse: TicketsInUse = new Map();

  /** Every request waits for its corp's (and the IP's) pace; statistics requests are counted. */
  const pacedTransport =
    (corpId: string): Transport =>
    async (request) => {
      const path = request.label;
      await pacer.acquire(corpId, path, request.signal);
      if (STATISTICS_PATH_SET.has(path)) statisticsCalls += 1;
      return pool(request);
    };

  /** What core says of each answer (path, status, errcode, duration): counted, timed, and a 45009 or 40085 acted on. */
  const onResponse =
    (sourceId: string, corpId: string, suiteId: string | undefined) =>
    (response: CallResponse): void => {
      const { path, errcode } = response;
      options.onCall?.({ source: sourceId, path, errcode, durationSeconds: response.durationMs / 1000 });
      if (errcode === ERRCODE_TICKET_REFUSED && path === SUITE_TOKEN_PATH && suiteId !== undefined) {
        const ticket = ticketsInUse.get(suiteId);
        if (ticket !== undefined)
          options
            .onTicketRefused?.(suiteId, ticket)
            ?.catch((error: Error) => log.warn({ suite: suiteId }, `setting a refused suite_ticket aside failed: ${error.message}`));
      }
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
      auth: authOptions(corp.auth, options, ticketsInUse),
      transport: pacedTransport(corp.corpId),
      onResponse: onResponse(corp.sourceId, corp.corpId, corp.auth.type === 'serviceProvider' ? corp.auth.suiteId : undefined),
      // The archive is the cache.
      cache: false,
      windowPolicy: 'strict',
      concurrency: 2,
    });
    return { sourceId: corp.sourceId, corpId: corp.corpId, authType: corp.auth.type, client };
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
      const before = corps.length;
      corps = corps.filter((c) => !(c.sourceId === sourceId && c.corpId === corpId));
      return corps.length < before;
    },
    suite(provider) {
      let suite = suites.get(provider.sourceId);
      if (!suite) {
        suite = createSuiteClient({
          ...clientOptions,
          suite: {
            suiteId: provider.suiteId,
            suiteSecret: provider.suiteSecret,
            suiteTicket: ticketGetter(options, provider.suiteId, provider.suiteTicket, ticketsInUse),
          },
          // Suite calls are paced under the suite's own id.
          transport: pacedTransport(provider.suiteId),
          onResponse: onResponse(provider.sourceId, provider.suiteId, provider.suiteId),
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
