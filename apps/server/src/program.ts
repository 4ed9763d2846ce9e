/**
 * The command line: `serve` (API and daily schedule), `collect` (one run, for cron), `check-config`.
 * Exit 0 on success, 1 when a run had failures or the server failed, 2 on bad usage or config.
 */
import { hostname } from 'node:os';
import { parseArgs as parseArgv } from 'node:util';
import { keyRequest, type KeyRequest } from '@wecom-kf-stats/core/server-api';
import { KEYS_REFRESH_MS } from './access.js';
import { createKey, describeKey, unknownKeySource } from './keys.js';
import { deleteCorpData } from './callback/auth-events.js';
import { corpsOfSource, ParameterError } from './series.js';
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
  resolveAdminKeys,
  resolveIpGroup,
  resolveWebhooks,
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

/** How often `serve` applies authorization events due again, deletes expired archives and takes in other replicas' authorizations. */
const MAINTENANCE_INTERVAL_MS = 5_000;
/** How often `serve` sends the reports due and judges the notices' rules. */
const NOTIFY_INTERVAL_MS = 30_000;

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
  keys create    make an API key: --name N [--source ID]... [--corp ID]... [--token] [--expires-days D];
                 the key is the last line of the output, shown this once
  keys list      the keys made so far (names and scopes, never the keys)
  keys revoke    --name N: every replica refuses the key within seconds
  purge          --source ID --corp ID: delete everything kept of a corp, its archived days included
  notify         --dry-run: print the reports and notices the group robots would get now, sending nothing;
                 --test: send each one short text, to check its webhook; [--destination ID] for one only
  (keys, purge and notify need the store: on the embedded store, while no server holds it; a running
  server does the same through /api/v1/destinations)

Options:
  --config FILE  the JSON config (default: ./kf-stats.config.json)
  --probe        with check-config: ask WeCom for one token per source, to prove each credential
  --help         this text
`;

class UsageError extends Error {}

interface Args {
  command: 'serve' | 'collect' | 'check-config' | 'keys create' | 'keys list' | 'keys revoke' | 'purge' | 'notify';
  configFile: string;
  probe: boolean;
  name?: string;
  sources?: string[];
  corps?: string[];
  token: boolean;
  expiresDays?: string;
  dryRun: boolean;
  test: boolean;
  destination?: string;
}

/** Which options each command takes (besides --config and --help). */
const COMMAND_OPTIONS: Record<Args['command'], readonly string[]> = {
  serve: [],
  collect: [],
  'check-config': ['probe'],
  'keys create': ['name', 'source', 'corp', 'token', 'expires-days'],
  'keys list': [],
  'keys revoke': ['name'],
  purge: ['source', 'corp'],
  notify: ['dry-run', 'test', 'destination'],
};

function parseArgs(argv: readonly string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgv({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        probe: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string' },
        source: { type: 'string', multiple: true },
        corp: { type: 'string', multiple: true },
        token: { type: 'boolean' },
        'expires-days': { type: 'string' },
        'dry-run': { type: 'boolean' },
        test: { type: 'boolean' },
        destination: { type: 'string' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    if (/Unknown option/i.test(message)) throw new UsageError(`unknown option ${option ?? ''}`.trim());
    if (/argument missing/i.test(message))
      throw new UsageError(option === '--config' ? '--config needs a file path' : `${option ?? 'an option'} needs a value`);
    throw new UsageError(message.split('\n', 1)[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [first, second, ...rest] = positionals;
  if (first === undefined) throw new UsageError('a command is required: serve, collect, check-config, keys, purge or notify');
  let command: Args['command'];
  let extra: string | undefined;
  if (first === 'keys') {
    if (second === undefined) throw new UsageError('keys needs a subcommand: create, list or revoke');
    if (!['create', 'list', 'revoke'].includes(second))
      throw new UsageError(`unknown keys subcommand "${second}"; subcommands: create, list, revoke`);
    command = `keys ${second}` as Args['command'];
    extra = rest[0];
  } else {
    if (!['serve', 'collect', 'check-config', 'purge', 'notify'].includes(first))
      throw new UsageError(`unknown command "${first}"; commands: serve, collect, check-config, keys, purge, notify`);
    command = first as Args['command'];
    extra = second;
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (values.config === '') throw new UsageError('--config needs a file path');
  const allowed = COMMAND_OPTIONS[command];
  for (const option of ['probe', 'name', 'source', 'corp', 'token', 'expires-days', 'dry-run', 'test', 'destination'] as const) {
    if (values[option] !== undefined && !allowed.includes(option))
      throw new UsageError(
        `--${option} goes with ${Object.entries(COMMAND_OPTIONS)
          .filter(([, o]) => o.includes(option))
          .map(([c]) => c)
          .join(' or ')} only`,
      );
  }
  if ((command === 'keys create' || command === 'keys revoke') && values.name === undefined)
    throw new UsageError(`${command} needs --name`);
  if (command === 'purge' && (values.source?.length !== 1 || values.corp?.length !== 1))
    throw new UsageError('purge needs one --source and one --corp');
  if (command === 'notify' && values['dry-run'] === values.test)
    throw new UsageError(
      values.test
        ? 'notify takes --dry-run or --test, not both'
        : 'notify needs --dry-run (print what would go out) or --test (send a test message)',
    );
  return {
    command,
    configFile: values.config ?? 'kf-stats.config.json',
    probe: values.probe ?? false,
    token: values.token ?? false,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.source ? { sources: values.source } : {}),
    ...(values.corp ? { corps: values.corp } : {}),
    ...(values['expires-days'] !== undefined ? { expiresDays: values['expires-days'] } : {}),
    dryRun: values['dry-run'] ?? false,
    test: values.test ?? false,
    ...(values.destination !== undefined ? { destination: values.destination } : {}),
  };
}

/** The command line's name of a key request's field. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  sources: '--source',
  corps: '--corp',
  token: '--token',
  expiresInDays: '--expires-days',
};

/** The command's flag of a key request's field, with its place in a repeated flag (`--source 2`). */
function flagOf(path: string): string {
  const [field, index] = path.split(/[[\]]/);
  return `${FLAG_OF[field!] ?? field}${index ? ` ${Number(index) + 1}` : ''}`;
}

/** A key request's refusal in the command line's words: the flag, then what is wrong (`--source 2: …`). */
const flagProblem = (error: ParameterError) => `${flagOf(error.parameter)}: ${error.message.slice(error.parameter.length + 2)}`;

/** `keys create`'s flags as the API's key request, checked before the store is opened; or the one line naming what is wrong. */
function keyRequestOf(args: Args, config: ServerConfig): { request: KeyRequest } | { problem: string } {
  const days = args.expiresDays === undefined ? undefined : /^\d{1,5}$/.test(args.expiresDays) ? Number(args.expiresDays) : NaN;
  if (Number.isNaN(days))
    return { problem: `--expires-days: "${args.expiresDays!.slice(0, 40)}" is not a whole number of days from 1 to 3650` };
  const parsed = keyRequest.safeParse({
    name: args.name,
    ...(args.sources ? { sources: args.sources } : {}),
    ...(args.corps ? { corps: args.corps } : {}),
    ...(args.token ? { token: true } : {}),
    ...(days !== undefined ? { expiresInDays: days } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('');
    return { problem: `${flagOf(path || 'name')}: ${issue.message}` };
  }
  const unknown = unknownKeySource(config, parsed.data.sources);
  if (unknown) return { problem: flagProblem(unknown) };
  return { request: parsed.data };
}

/**
 * keys create / list / revoke and purge: the store opened by this process alone on the embedded
 * store (a running server holds it), shared with the servers on PostgreSQL.
 */
async function runStoreCommand(
  args: Args,
  runtime: Runtime,
  config: ServerConfig,
  io: ProgramIO,
  now: () => number,
  request: KeyRequest | undefined,
): Promise<number> {
  const fail = (message: string, code = 2) => {
    io.stderr.write(`${NAME}: ${message}\n`);
    return code;
  };
  switch (args.command) {
    case 'keys create': {
      const made = await createKey(runtime.store, config, request!, now());
      io.stdout.write(
        `key "${made.name}" made: sources ${made.sources?.join(', ') ?? 'all'}; corps ${made.corps?.join(', ') ?? 'all'}; tokens ${made.token ? 'yes' : 'no'}; expires ${made.expiresAt ?? 'never'}\n` +
          `the key (shown this once; only its hash is kept):\n${made.key}\n`,
      );
      return 0;
    }
    case 'keys list': {
      const rows = await runtime.store.keys.list();
      if (rows.length === 0) io.stdout.write('no keys made yet (keys create makes one)\n');
      for (const row of rows) {
        const key = describeKey(row);
        io.stdout.write(
          `${key.name}\tsources ${key.sources?.join(',') ?? 'all'}\tcorps ${key.corps?.join(',') ?? 'all'}\ttokens ${key.token ? 'yes' : 'no'}\texpires ${key.expiresAt ?? 'never'}\tlast used ${row.lastUsedAt === null ? 'never' : new Date(row.lastUsedAt).toISOString()}\n`,
        );
      }
      return 0;
    }
    case 'keys revoke': {
      if (!(await runtime.store.keys.revoke(args.name!)))
        return fail(`--name: no key is named "${args.name!.slice(0, 64)}" (keys list shows them)`, 1);
      io.stdout.write(`key "${args.name}" revoked: every server refuses it within ${KEYS_REFRESH_MS / 1000} s\n`);
      return 0;
    }
    case 'purge': {
      const sourceId = args.sources![0]!;
      const corpId = args.corps![0]!;
      const source = config.sources.find((s) => s.id === sourceId);
      if (!source)
        return fail(
          `--source: "${sourceId.slice(0, 64)}" is not a source of the config; sources: ${config.sources.map((s) => s.id).join(', ')}`,
        );
      const corps = await corpsOfSource(runtime.providers, source);
      if (!corps.some((c) => c.corpId === corpId))
        return fail(`--corp: "${corpId.slice(0, 64)}" is not a corp of source "${sourceId}" (nothing is kept of it)`, 1);
      await runtime.providers.sync(runtime.clients);
      const days = await deleteCorpData(runtime, { source: sourceId, corpId });
      const configured = source.auth.type === 'serviceProvider' ? source.auth.corps.some((c) => c.authCorpId === corpId) : true;
      io.stdout.write(
        `corp ${corpId} of source ${sourceId}: its data and ${days} archived days are deleted` +
          (configured ? '; it is still in the config, so the next run collects it again unless you remove it there\n' : '\n'),
      );
      return 0;
    }
    case 'notify': {
      const destinations = await runtime.notifier.destinations();
      if (args.destination !== undefined && !destinations.some((d) => d.id === args.destination))
        return fail(
          `--destination: no destination is named "${args.destination.slice(0, 64)}"; destinations: ${destinations.map((d) => d.id).join(', ') || 'none'}`,
        );
      if (destinations.length === 0) return fail('no destinations: add a "notify" list to the config (or POST /api/v1/destinations)', 1);
      const chosen = destinations.filter((d) => args.destination === undefined || d.id === args.destination);
      if (args.dryRun) {
        for (const preview of await runtime.notifier.preview(args.destination)) {
          io.stdout.write(`=== destination ${preview.destination}: ${preview.messages.length} messages would go out now\n`);
          for (const message of preview.messages)
            io.stdout.write(`--- ${message.kind}: ${message.what} (${Buffer.byteLength(message.content)} bytes)\n${message.content}\n`);
        }
        return 0;
      }
      let failed = 0;
      for (const destination of chosen) {
        const result = await runtime.notifier.test(destination.id);
        if (result.outcome !== 'sent') failed += 1;
        io.stdout.write(`destination ${destination.id}: test message ${result.outcome}\n`);
      }
      return failed > 0 ? 1 : 0;
    }
    default:
      return fail(`${args.command} is not a store command`);
  }
}

interface Runtime {
  store: Store;
  clients: WecomClients;
  tokens: Wiring['tokens'];
  metrics: Wiring['metrics'];
  providers: Wiring['providers'];
  authEvents: Wiring['authEvents'];
  notifier: Wiring['notifier'];
  owner: string;
  close(): Promise<void>;
}

async function startRuntime(
  config: ServerConfig,
  credentials: CorpCredentials[],
  secrets: ProviderSecrets,
  now: () => number,
  logger: Logger,
  signal?: AbortSignal,
  ipGroup?: string,
  webhooks?: ReadonlyMap<string, string>,
): Promise<Runtime> {
  const store = await openStore(config.store, { sealKey: secrets.storeKey });
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const { clients, tokens, metrics, providers, authEvents, notifier } = wireServer({
    config,
    credentials,
    providers: secrets,
    store,
    owner,
    now,
    logger,
    ...(signal ? { signal } : {}),
    ...(ipGroup ? { ipGroup } : {}),
    ...(webhooks ? { webhooks } : {}),
  });
  // The corps that authorized a suite through its callback, as stored by any replica.
  await providers.sync(clients);
  return {
    store,
    clients,
    tokens,
    metrics,
    providers,
    authEvents,
    notifier,
    owner,
    async close() {
      await authEvents.idle();
      await notifier.idle();
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
  let adminKeys: string[] = [];
  let ipGroup: string | undefined;
  let webhooks: Map<string, string> | undefined;
  if (parsed) {
    credentials = attempt(() => resolveCredentials(parsed, io.env));
    // Only `serve` answers callbacks: the others need the suites and the store key, not the callbacks' secrets.
    secrets = attempt(() =>
      resolveProviders(parsed, io.env, { callbackSecrets: args.command === 'serve' || args.command === 'check-config' }),
    );
    if (args.command === 'serve' || (args.command === 'check-config' && parsed.apiKeysEnv))
      apiKeys = attempt(() => resolveApiKeys(parsed, io.env)) ?? [];
    if (args.command === 'serve' || args.command === 'check-config')
      tokenApiKeys = attempt(() => resolveTokenApiKeys(parsed, io.env)) ?? [];
    if (args.command === 'serve' || args.command === 'check-config') adminKeys = attempt(() => resolveAdminKeys(parsed, io.env)) ?? [];
    ipGroup = attempt(() => resolveIpGroup(parsed, io.env));
    webhooks = attempt(() => resolveWebhooks(parsed, io.env));
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

  // A key request is checked before the store is opened.
  let keyToMake: KeyRequest | undefined;
  if (args.command === 'keys create') {
    const checked = keyRequestOf(args, config);
    if ('problem' in checked) {
      io.stderr.write(`${NAME}: ${checked.problem}\n`);
      return 2;
    }
    keyToMake = checked.request;
  }
  const logger = createLogger(config.logLevel, io.logDestination ?? 2);
  const stop = new AbortController();
  io.onStop(() => stop.abort(new Error('the server is shutting down')));
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, credentials, secrets, now, logger, stop.signal, ipGroup, webhooks);
  } catch (error) {
    io.stderr.write(`${NAME}: cannot open the store: ${(error as Error).message}\n`);
    return 1;
  }
  if (args.command !== 'serve' && args.command !== 'collect') {
    try {
      return await runStoreCommand(args, runtime, config, io, now, keyToMake);
    } catch (error) {
      if (error instanceof ParameterError) {
        // A name taken meanwhile.
        io.stderr.write(`${NAME}: ${flagProblem(error)}\n`);
        return 2;
      }
      io.stderr.write(`${NAME}: ${args.command} failed: ${redactText((error as Error).message)}\n`);
      return 1;
    } finally {
      await runtime.close();
    }
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
      // Run from cron, it also sends the reports and notices due (with a config that has destinations).
      await runtime.notifier
        .tick()
        .catch((error: Error) => logger.warn({ component: 'notify' }, `reports and notices failed: ${redactText(error.message)}`));
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
    authEvents: runtime.authEvents,
    notifier: runtime.notifier,
    apiKeys,
    tokenApiKeys,
    adminKeys,
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
      .finally(() => {
        busy = false;
        // Fresh days: the rules are judged on them now.
        notify();
      });
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
  // Authorization events left by a process that stopped are finished now; then, every few
  // seconds, events due again are applied, archives whose retention ended are deleted, and
  // authorizations another replica applied reach this one (the API also looks at once for a corp
  // it does not know yet).
  const maintain = async () => {
    await runtime.authEvents.tick();
    await runtime.providers.sync(runtime.clients);
  };
  let maintaining: Promise<void> | undefined;
  const maintenance = setInterval(() => {
    maintaining ??= maintain()
      .catch((error: Error) =>
        logger.warn({ component: 'callback', err: error }, `authorization upkeep failed: ${redactText(error.message)}`),
      )
      .finally(() => (maintaining = undefined));
  }, MAINTENANCE_INTERVAL_MS);
  maintenance.unref();
  void maintain().catch((error: Error) =>
    logger.warn({ component: 'callback', err: error }, `authorization upkeep failed: ${redactText(error.message)}`),
  );
  // Reports due and notices that fire or clear, judged every NOTIFY_INTERVAL_MS (a send's waits
  // for a robot's limit never hold up the authorization upkeep).
  let notifying: Promise<void> | undefined;
  const notify = () => {
    if (stop.signal.aborted) return;
    notifying ??= runtime.notifier
      .tick()
      .catch((error: Error) => logger.warn({ component: 'notify' }, `reports and notices failed: ${redactText(error.message)}`))
      .finally(() => (notifying = undefined));
  };
  const notifyTimer = setInterval(notify, NOTIFY_INTERVAL_MS);
  notifyTimer.unref();
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
  clearInterval(maintenance);
  clearInterval(notifyTimer);
  await maintaining;
  await notifying;
  await app.close();
  await running;
  await runtime.close();
  io.stdout.write(`${NAME}: stopped\n`);
  return 0;
}
