/**
 * The command line: `serve` (API and daily schedule), `collect` (one run, for cron), `check-config`.
 * Exit 0 on success, 1 when a run had failures or the server failed, 2 on bad usage or config.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { buildApi } from './api.js';
import { collect, formatSummary } from './collector.js';
import {
  ConfigError,
  isPostgresUrl,
  parseConfig,
  readConfigJson,
  resolveStorePath,
  unsetVariables,
  resolveApiKeys,
  resolveCredentials,
  resolveProviders,
  resolveTokenApiKeys,
  type CorpCredentials,
  type ProviderSecrets,
  type ServerConfig,
} from './config.js';
import { createLogger } from './logger.js';
import { scheduleDaily } from './schedule.js';
import { openStore, type Store } from './store/store.js';
import { wireServer, type Wiring } from './wiring.js';
import { authOptions, type WecomClients } from './wecom.js';
import { createNodeClient, redactText } from './kf-core.js';

export const NAME = 'wecom-kf-stats-server';

export interface ProgramIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  onStop(listener: () => void): void;
  /** Where logs go. @default stderr */
  logDestination?: NodeJS.WritableStream | number;
}

const USAGE = `Usage: ${NAME} <command> [--config FILE]

Commands:
  serve          the API on listen.host:listen.port and the daily collection at schedule.dailyAt (China time)
  collect        one collection run, then exit (0: all series collected, 1: some failed)
  check-config   validate the config and the environment variables it names, then exit

Options:
  --config FILE  the JSON config (default: ./kf-stats.config.json)
  --probe        with check-config: ask WeCom for one token per source, to prove each credential
  --help         this text
`;

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { command: string; configFile: string; probe: boolean } | 'help' {
  let command: string | undefined;
  let configFile = 'kf-stats.config.json';
  let probe = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--probe') {
      probe = true;
      continue;
    }
    if (arg === '--config' || arg.startsWith('--config=')) {
      const value = arg === '--config' ? argv[++i] : arg.slice('--config='.length);
      if (!value) throw new UsageError('--config needs a file path');
      configFile = value;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (command === undefined) {
      command = arg;
    } else {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
  }
  if (command === undefined) throw new UsageError('a command is required: serve, collect or check-config');
  if (!['serve', 'collect', 'check-config'].includes(command))
    throw new UsageError(`unknown command "${command}"; commands: serve, collect, check-config`);
  if (probe && command !== 'check-config') throw new UsageError('--probe goes with check-config only');
  return { command, configFile, probe };
}

interface Runtime {
  store: Store;
  clients: WecomClients;
  tokens: Wiring['tokens'];
  metrics: Wiring['metrics'];
  providers: Wiring['providers'];
  owner: string;
  close(): Promise<void>;
}

async function startRuntime(
  config: ServerConfig,
  credentials: CorpCredentials[],
  secrets: ProviderSecrets,
  now: () => number,
  logger: Logger,
): Promise<Runtime> {
  const store = await openStore(config.store, { sealKey: secrets.storeKey });
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const { clients, tokens, metrics, providers } = wireServer({ config, credentials, providers: secrets, store, owner, now, logger });
  // The corps that authorized a suite through its callback, as stored by any replica.
  await providers.sync(clients);
  return {
    store,
    clients,
    tokens,
    metrics,
    providers,
    owner,
    async close() {
      await clients.close();
      await store.close();
    },
  };
}

/**
 * One token per source, asked of WeCom (or of the token service) with the first corp the config
 * names: a wrong secret, ticket or permanent code shows here, before `serve`. A line per source;
 * true when every source that could be probed answered.
 */
async function probeCredentials(config: ServerConfig, credentials: readonly CorpCredentials[], io: ProgramIO): Promise<boolean> {
  let ok = true;
  for (const [i, source] of config.sources.entries()) {
    const what = `probe: sources[${i}] "${source.id}"`;
    const corp = credentials.find((c) => c.sourceId === source.id);
    if (!corp) {
      io.stdout.write(
        `${what}: not probed: its corps authorize the suite through the callback, and their tokens need the suite_ticket WeCom pushes there\n`,
      );
      continue;
    }
    const client = createNodeClient({ baseUrl: config.baseUrl, auth: authOptions(corp.auth, {}), cache: false, timeoutMs: 15_000 });
    try {
      await client.checkAuth({ signal: AbortSignal.timeout(30_000) });
      io.stdout.write(`${what}: WeCom gave a token for corp ${corp.corpId}\n`);
    } catch (error) {
      ok = false;
      io.stdout.write(`${what}: no token for corp ${corp.corpId}: ${redactText((error as Error).message)}\n`);
    } finally {
      await client.close();
    }
  }
  return ok;
}

export async function main(argv: readonly string[], io: ProgramIO): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (error) {
    io.stderr.write(`${NAME}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  const now = () => Date.now();
  // Every problem of the file and of the variables it names, in one pass: the schema's, each
  // unset variable, each unusable secret.
  const problems: ConfigError['problems'] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const json = attempt(() => readConfigJson(args.configFile));
  const parsed = json === undefined ? undefined : attempt(() => resolveStorePath(parseConfig(json), args.configFile));
  let credentials: CorpCredentials[] | undefined;
  let secrets: ProviderSecrets | undefined;
  let apiKeys: string[] = [];
  let tokenApiKeys: string[] = [];
  if (parsed) {
    credentials = attempt(() => resolveCredentials(parsed, io.env));
    // `collect` answers no callback: it needs the suites and the store key, not the callbacks' secrets.
    secrets = attempt(() => resolveProviders(parsed, io.env, { callbackSecrets: args.command !== 'collect' }));
    if (args.command === 'serve' || (args.command === 'check-config' && parsed.apiKeysEnv))
      apiKeys = attempt(() => resolveApiKeys(parsed, io.env)) ?? [];
    if (args.command !== 'collect') tokenApiKeys = attempt(() => resolveTokenApiKeys(parsed, io.env)) ?? [];
  } else if (json !== undefined) {
    // The schema refused the file: still name the variables it points at that are not set.
    const named = new Set(problems.map((p) => p.path));
    problems.push(...unsetVariables(json, io.env).filter((p) => !named.has(p.path)));
  }
  const seen = new Set<string>();
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).filter((line) => !seen.has(line) && seen.add(line));
  if (lines.length > 0 || !parsed || !credentials || !secrets) {
    for (const line of lines) io.stderr.write(`${NAME}: config: ${line}\n`);
    return 2;
  }
  const config: ServerConfig = parsed;
  if (args.command === 'check-config') {
    const storeKind = isPostgresUrl(config.store) ? 'PostgreSQL' : `embedded (${config.store})`;
    const callbacks = secrets.providers.filter((p) => p.callbackAuthorizations).length;
    io.stdout.write(
      `config OK: ${config.sources.length} sources, ${credentials.length} corps${callbacks ? `, ${callbacks} provider callbacks` : ''}, store ${storeKind}${apiKeys.length ? `, ${apiKeys.length} API keys` : ''}${tokenApiKeys.length ? `, ${tokenApiKeys.length} token keys` : ''}\n`,
    );
    return args.probe ? ((await probeCredentials(config, credentials, io)) ? 0 : 1) : 0;
  }

  const logger = createLogger(config.logLevel, io.logDestination ?? 2);
  const stop = new AbortController();
  io.onStop(() => stop.abort(new Error('the server is shutting down')));
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, credentials, secrets, now, logger);
  } catch (error) {
    io.stderr.write(`${NAME}: cannot open the store: ${(error as Error).message}\n`);
    return 1;
  }
  const runOnce = () =>
    collect({
      config,
      store: runtime.store,
      clients: runtime.clients,
      providers: runtime.providers,
      now,
      owner: runtime.owner,
      log: logger.child({ component: 'collector' }),
      signal: stop.signal,
      onRevised: runtime.metrics.onRevised,
    });

  if (args.command === 'collect') {
    try {
      const summary = await runOnce();
      io.stdout.write(`${formatSummary(summary)}\n`);
      return summary.failures > 0 || summary.interrupted ? 1 : 0;
    } catch (error) {
      io.stderr.write(`${NAME}: collection failed: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await runtime.close();
    }
  }

  // serve
  const app = await buildApi({
    config,
    store: runtime.store,
    clients: runtime.clients,
    metrics: runtime.metrics,
    providers: runtime.providers,
    tokens: runtime.tokens,
    apiKeys,
    tokenApiKeys,
    now,
    logger,
    signal: stop.signal,
  });
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const runLogged = () => {
    // A run still going when the next is due (a long backfill) simply continues.
    if (busy) return running as Promise<void>;
    busy = true;
    running = runOnce()
      .then((summary) => logger.info(formatSummary(summary)))
      .catch((error: Error) => logger.error({ component: 'collector', err: error }, `collection failed: ${error.message}`))
      .finally(() => (busy = false));
    return running as Promise<void>;
  };
  try {
    const address = await app.listen({ host: config.listen.host, port: config.listen.port });
    io.stdout.write(`${NAME}: listening on ${address}\n`);
  } catch (error) {
    io.stderr.write(`${NAME}: cannot listen on ${config.listen.host}:${config.listen.port}: ${(error as Error).message}\n`);
    await runtime.close();
    return 1;
  }
  // Authorizations another replica received reach this one within a minute (the API also looks
  // at once for a corp it does not know yet).
  const authorizationSync = runtime.providers.list.some((p) => p.callbackAuthorizations)
    ? setInterval(() => {
        runtime.providers
          .sync(runtime.clients)
          .catch((error: Error) => logger.warn({ component: 'callback', err: error }, `taking in authorizations failed: ${error.message}`));
      }, 60_000)
    : undefined;
  authorizationSync?.unref();
  const schedule = scheduleDaily(config.schedule.dailyAt, now, runLogged);
  logger.info(
    { component: 'schedule', nextAt: new Date(schedule.nextAt).toISOString() },
    `next collection at ${new Date(schedule.nextAt).toISOString()} (${config.schedule.dailyAt} China time)`,
  );
  if (config.schedule.runOnStart) void runLogged();

  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down: finishing the API, releasing leases');
  schedule.stop();
  clearInterval(authorizationSync);
  await app.close();
  await running;
  await runtime.close();
  io.stdout.write(`${NAME}: stopped\n`);
  return 0;
}
