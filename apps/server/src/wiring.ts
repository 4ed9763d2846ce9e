/**
 * The server's parts wired together once: metrics over the store, the pacer, WeCom's clients with
 * the store's shared tokens. `serve` and `collect` use it; so do the tests and the benchmarks, so
 * what they measure is what runs.
 */
import type { Logger } from 'pino';
import { createAuthEvents, type AuthEvents } from './callback/auth-events.js';
import { createProviders, type Providers } from './callback/provider.js';
import type { CorpCredentials, ProviderSecrets, ServerConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { createPacer, type PacerOptions } from './pacer.js';
import type { TokenStore } from './kf-core.js';
import type { Store } from './store/store.js';
import { createSharedTokenStore } from './tokens.js';
import { createWecomClients, type WecomClients, type WecomClientsOptions } from './wecom.js';
import { createNotifier, type Notifier, type NotifierOptions } from './notify/notifier.js';

export interface WiringOptions {
  config: ServerConfig;
  credentials: CorpCredentials[];
  /** The provider sources' suites and the store key (resolveProviders). @default none */
  providers?: ProviderSecrets;
  store: Store;
  /** Who leases work and token refreshes in the store: one per process. */
  owner: string;
  now: () => number;
  logger: Logger;
  /** How the pacer waits (benchmarks on a compressed clock shorten it). @default timers */
  pacerSleep?: PacerOptions['sleep'];
  /** Retry overrides for core (tests and benchmarks shorten the waits). */
  retry?: WecomClientsOptions['retry'];
  /** Shutdown: authorization events stop being applied (the next process finishes them). */
  signal?: AbortSignal;
  /** Which replicas share this one's egress IP (pacing.ipGroupEnv's value). @default 'default' */
  ipGroup?: string;
  /** The config's group robot webhooks by destination id (resolveWebhooks). @default none */
  webhooks?: ReadonlyMap<string, string>;
  /** The robot client's waits (tests shorten them). */
  robot?: NotifierOptions['robot'];
}

export interface Wiring {
  clients: WecomClients;
  /** The tokens every client of the process shares (through the store with the other processes). */
  tokens: TokenStore;
  providers: Providers;
  /** Authorization events recorded by the callbacks, applied after their answer. */
  authEvents: AuthEvents;
  metrics: ReturnType<typeof createMetrics>;
  /** Reports and notices to group robots. */
  notifier: Notifier;
}

export function wireServer(options: WiringOptions): Wiring {
  const { config, credentials, store, owner, now, logger } = options;
  const metrics = createMetrics(
    store,
    config.sources.map((s) => s.id),
    now,
    (options.providers?.providers ?? []).filter((p) => p.callbackAuthorizations).map((p) => ({ sourceId: p.sourceId, suiteId: p.suiteId })),
  );
  const providers = createProviders({
    list: options.providers?.providers ?? [],
    store,
    storeKey: options.providers?.storeKey,
    now,
    log: logger.child({ component: 'callback' }),
  });
  const tokens = createSharedTokenStore(store, owner, now);
  const clients = createWecomClients({
    config,
    credentials,
    // On PostgreSQL the windows are counted in the store, for every replica together.
    pacer: createPacer({
      limits: config.pacing,
      now,
      ...(options.pacerSleep ? { sleep: options.pacerSleep } : {}),
      ...(store.pacing ? { shared: store.pacing } : {}),
      ...(options.ipGroup ? { ipGroup: options.ipGroup } : {}),
    }),
    tokenStore: tokens,
    now,
    onCall: metrics.onCall,
    onWireTime: metrics.onWireTime,
    onPause: metrics.onPause,
    log: logger.child({ component: 'wecom' }),
    suiteTicket: (suiteId, pasted) => providers.suiteTicket(suiteId, pasted),
    onTicketRefused: (suiteId, ticket) => providers.ticketRejected(suiteId, ticket),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const notifier = createNotifier({
    config,
    store,
    webhooks: options.webhooks ?? new Map(),
    providers: options.providers?.providers ?? [],
    storeKey: options.providers?.storeKey,
    owner,
    now,
    log: logger.child({ component: 'notify' }),
    metrics,
    ...(options.robot ? { robot: options.robot } : {}),
  });
  const authEvents = createAuthEvents({
    onCancelled: (event) => notifier.cancelled(event),
    store,
    clients,
    providers,
    config,
    storeKey: options.providers?.storeKey,
    owner,
    now,
    metrics,
    log: logger.child({ component: 'callback' }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { clients, tokens, metrics, providers, authEvents, notifier };
}
