/**
 * The command line: `fetch`, `accounts`, `servicers`, `demo`. Exit 0 on success, 2 on bad usage
 * or input, 1 on API or runtime failure, each failure with one clear line on stderr.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import {
  AbortedError,
  IncompleteFetchError,
  DEFAULTS,
  defaultEndpointFor,
  LIMITS,
  getMetric,
  STATISTICS_ENDPOINTS,
  formatDuration,
  ValidationError,
  WecomStatsError,
  parseMetricSelection,
  shapeDays,
  summarizeDays,
  type Sleep,
  type StatisticsEndpoint,
  type StatisticsQuery,
  type StatisticsResult,
  type StatisticsWarning,
} from '@wecom-kf-stats/core';
import { createNodeClient, type NodeClientOptions, type NodeKfStatsClient } from '@wecom-kf-stats/core/node';
import { authFromEnv, CREDENTIAL_HELP, loadEnv, type Env } from './credentials.js';
import { columnsFor, FORMATS, renderAccounts, renderServicers, renderStatistics, type Format, type StatisticsOutput } from './format.js';
import { createProgress, type ProgressReporter } from './progress.js';
import { UsageError, usageErrorFrom } from './usage-error.js';

export const CLI_NAME = 'wecom-kf-stats';

/** The installed package's version, as `--version` reports it. */
const CLI_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Env;
  /** Aborts when the user interrupts (Ctrl+C): what arrived is written, marked incomplete. */
  interrupt?: AbortSignal;
  /** How to wait between retries. @default real timers (tests pass one that returns at once) */
  sleep?: Sleep;
}

/** Waits at least this long are announced on stderr even without --verbose. */
export const ANNOUNCED_WAIT_MS = 3000;

interface ConnectionFlags {
  baseUrl?: string;
  concurrency?: string;
  timeout?: string;
  dotenv?: string;
  verbose?: boolean;
}

interface FetchFlags extends ConnectionFlags {
  from?: string;
  to?: string;
  last?: string;
  yesterday?: boolean;
  endpoint?: StatisticsEndpoint;
  openKfid?: string;
  servicer?: string;
  format?: Format;
  metrics?: string;
  summary?: boolean;
  strict?: boolean;
  progress: boolean;
}

const integerOrText = (value: string | undefined): number | string | undefined =>
  value === undefined ? undefined : /^\d+$/.test(value.trim()) ? Number(value) : value;

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--base-url <url>', `API base URL (default: WECOM_BASE_URL or ${DEFAULTS.baseUrl})`)
    .option(
      '--concurrency <n>',
      `statistics calls in flight at once (${LIMITS.concurrency.min}-${LIMITS.concurrency.max})`,
      String(DEFAULTS.concurrency),
    )
    .option(
      '--timeout <ms>',
      `per-request timeout in milliseconds (${LIMITS.timeoutMs.min}-${LIMITS.timeoutMs.max})`,
      String(DEFAULTS.timeoutMs),
    )
    .option('--dotenv <path>', 'read credentials from this dotenv file (shell variables win)')
    .option('--verbose', 'log retries and token renewals to stderr (secrets redacted)');
}

function formatOption(): Option {
  return new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(FORMATS);
}

/** `endpoint`: the statistics the client is for (it picks the credentials when both kinds are set); null for a command without one. */
function createClient(
  flags: ConnectionFlags,
  io: CliIO,
  endpoint: StatisticsEndpoint | null,
  progress?: ProgressReporter,
): NodeKfStatsClient {
  const env = loadEnv(io.env, flags.dotenv);
  const options: NodeClientOptions = {
    auth: authFromEnv(env, endpoint),
    concurrency: integerOrText(flags.concurrency) as number,
    timeoutMs: integerOrText(flags.timeout) as number,
    // A long wait (a whole minute after 45009) is never silent: said on stderr and in the bar.
    onWait: (wait) => {
      if (wait.delayMs < ANNOUNCED_WAIT_MS) return;
      const text = `waiting ${formatDuration(wait.delayMs)} before retry ${wait.retry}/${wait.maxRetries} of ${wait.path}: ${wait.reason}`;
      if (progress?.active()) progress.say(text);
      else io.stderr.write(`${CLI_NAME}: ${text}\n`);
    },
  };
  const baseUrl = flags.baseUrl ?? env.WECOM_BASE_URL;
  if (baseUrl !== undefined) options.baseUrl = baseUrl;
  if (io.sleep) options.sleep = io.sleep;
  if (flags.verbose) {
    const line = (m: string) => io.stderr.write(`${CLI_NAME}: ${m}\n`);
    options.logger = { info: line, warn: line, debug: line };
  }
  return createNodeClient(options);
}

function pickFormat(flag: Format | undefined, io: CliIO): Format {
  return flag ?? (io.stdout.isTTY ? 'table' : 'json');
}

function writeWarnings(io: CliIO, warnings: readonly StatisticsWarning[]): void {
  for (const w of warnings) io.stderr.write(`${CLI_NAME}: warning: ${w.message}\n`);
}

function rangeOf(flags: FetchFlags): Pick<StatisticsQuery, 'from' | 'to' | 'last'> {
  if (flags.yesterday) {
    const clash = (['from', 'to', 'last'] as const).filter((k) => flags[k] !== undefined);
    if (clash.length)
      throw new UsageError(
        `Invalid --yesterday: it cannot be combined with ${clash.map((k) => `--${k}`).join(', ')}. Allowed: --yesterday alone, --last N, or --from/--to.`,
      );
    return { last: DEFAULTS.lastDays };
  }
  if (flags.from === undefined && flags.to === undefined && flags.last === undefined) {
    throw new UsageError('Invalid range: none given. Allowed: --from YYYY-MM-DD [--to YYYY-MM-DD], --last N, or --yesterday.');
  }
  const range: Pick<StatisticsQuery, 'from' | 'to' | 'last'> = {};
  if (flags.from !== undefined) range.from = flags.from;
  if (flags.to !== undefined) range.to = flags.to;
  if (flags.last !== undefined) range.last = flags.last;
  return range;
}

/** The statistics to fetch: --endpoint, else what the credentials fetch (core's defaultEndpointFor). */
function endpointOf(flags: FetchFlags, io: CliIO): StatisticsEndpoint {
  if (flags.endpoint !== undefined) return flags.endpoint;
  const endpoint = defaultEndpointFor(authFromEnv(loadEnv(io.env, flags.dotenv), undefined));
  if (endpoint === undefined)
    throw new UsageError(
      "Invalid --endpoint: missing. Allowed: component, corp or servicer; a token service may hand out a service provider's or a corp's token, so the credentials do not say which.",
    );
  return endpoint;
}

async function runFetch(flags: FetchFlags, io: CliIO): Promise<void> {
  const format = pickFormat(flags.format, io);
  const range = rangeOf(flags);
  const endpoint = endpointOf(flags, io);
  if (endpoint !== 'component' && flags.openKfid === undefined)
    throw new UsageError(
      `Invalid --open-kfid: missing. Allowed: an open_kfid ("wk...") for ${endpoint} statistics (\`${CLI_NAME} accounts\` lists them); a service provider's component statistics need --endpoint component and no --open-kfid.`,
    );
  const picked = flags.metrics !== undefined;
  const metrics = parseMetricSelection(endpoint, flags.metrics, 'metrics', { emptyMeansAll: !picked });
  const query: StatisticsQuery = { endpoint, ...range, windowPolicy: flags.strict ? 'strict' : 'clamp' };
  if (flags.openKfid !== undefined) query.openKfid = flags.openKfid;
  if (flags.servicer !== undefined) query.servicerUserid = flags.servicer;
  const progress = createProgress(io.stderr, flags.progress);
  const client = createClient(flags, io, endpoint, progress);
  query.onProgress = (p) => progress.update(p);
  if (io.interrupt) query.signal = io.interrupt;
  let result: StatisticsResult;
  let incomplete: IncompleteFetchError | undefined;
  try {
    result = await client.getStatistics(query);
  } catch (error) {
    if (!(error instanceof IncompleteFetchError)) throw error;
    incomplete = error;
    result = incomplete.partial;
  } finally {
    progress.stop();
    await client.close();
  }
  // Without --metrics every field WeCom sent is kept, those the catalog does not know included.
  const days = shapeDays(result.endpoint, result.days, { metrics: picked ? metrics : undefined });
  const unseen = picked
    ? metrics.filter((key) => !getMetric(key) && !result.days.some((d) => d.statistic !== null && key in d.statistic))
    : [];
  if (unseen.length) {
    io.stderr.write(
      `${CLI_NAME}: warning: --metrics ${unseen.join(', ')}: not a known metric, and no day carried it; check the spelling.\n`,
    );
  }
  const output: StatisticsOutput = {
    result,
    days,
    columns: columnsFor(result.days, metrics, picked),
    warnings: result.warnings,
    ...(flags.summary ? { summary: summarizeDays(result.endpoint, result.days) } : {}),
    ...(incomplete ? { incomplete: { missingDays: incomplete.missingDays } } : {}),
  };
  writeWarnings(io, result.warnings);
  // Whatever arrived is written, even when some chunks failed.
  io.stdout.write(renderStatistics(output, format));
  if (incomplete) throw incomplete;
}

function addExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n\n${CREDENTIAL_HELP}\n`);
}

export function buildProgram(io: CliIO, run: { demo: (flags: Record<string, unknown>, io: CliIO) => Promise<void> }): Command {
  const program = new Command(CLI_NAME)
    .description('WeCom WeChat customer-service (微信客服) statistics: China days, 31-day chunks, tokens and retries handled.')
    .version(CLI_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) =>
        write(
          `${CLI_NAME}: ${s
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  const fetch = connectionOptions(
    program
      .command('fetch')
      .description('Fetch daily statistics for a range of China days (any length: split into 31-day calls)')
      .option('--from <day>', 'first day, YYYY-MM-DD China date (or "yesterday", "7 days ago")')
      .option('--to <day>', 'last day, inclusive (default: yesterday)')
      .option(
        '--last <days>',
        `the last N full days, ending yesterday (1-${LIMITS.maxLastDays}; WeCom keeps ${LIMITS.windowDays}: longer is clamped, or refused with --strict)`,
      )
      .option('--yesterday', "yesterday's statistics (the same as --last 1)")
      .addOption(
        new Option('--endpoint <name>', 'which statistics (default: component for service-provider credentials, corp otherwise)').choices(
          STATISTICS_ENDPOINTS,
        ),
      )
      .option('--open-kfid <id>', 'customer-service account (corp and servicer statistics)')
      .option('--servicer <userid>', 'one servicer (servicer statistics)')
      .addOption(formatOption())
      .option('--metrics <keys>', 'comma-separated metric keys to keep, new fields WeCom sends included (default: every field)')
      .option('--summary', 'add range totals (counts summed, rates weighted)')
      .option('--strict', `reject days outside [${LIMITS.windowDays} days ago, yesterday] instead of clamping`)
      .option('--no-progress', 'no progress bar'),
  ).action(async (flags: FetchFlags) => runFetch(flags, io));
  addExamples(fetch, [
    `${CLI_NAME} fetch --open-kfid wkXXXX --yesterday`,
    `${CLI_NAME} fetch --endpoint component --last 180 --format csv > stats.csv`,
    `${CLI_NAME} fetch --endpoint corp --open-kfid wkXXXX --from 2026-10-01 --to 2026-10-31 --summary`,
    `${CLI_NAME} fetch --endpoint servicer --open-kfid wkXXXX --servicer zhangsan --last 7 --metrics session_cnt,reply_rate`,
    `${CLI_NAME} fetch --open-kfid wkXXXX --last 30 --dotenv ./wecom.env --format ndjson`,
  ]);

  const accounts = connectionOptions(
    program.command('accounts').description('List the customer-service accounts (every page of kf/account/list)').addOption(formatOption()),
  ).action(async (flags: ConnectionFlags & { format?: Format }) => {
    const client = createClient(flags, io, null);
    try {
      io.stdout.write(renderAccounts(await client.listAccounts(), pickFormat(flags.format, io)));
    } finally {
      await client.close();
    }
  });
  addExamples(accounts, [`${CLI_NAME} accounts`, `${CLI_NAME} accounts --format csv`]);

  const servicers = connectionOptions(
    program
      .command('servicers')
      .description('List the servicers of one customer-service account (kf/servicer/list)')
      .requiredOption('--open-kfid <id>', 'customer-service account')
      .addOption(formatOption()),
  ).action(async (flags: ConnectionFlags & { format?: Format; openKfid: string }) => {
    const client = createClient(flags, io, null);
    try {
      io.stdout.write(renderServicers(await client.listServicers(flags.openKfid), pickFormat(flags.format, io)));
    } finally {
      await client.close();
    }
  });
  addExamples(servicers, [`${CLI_NAME} servicers --open-kfid wkXXXX`]);

  program
    .command('demo')
    .description('Start the bundled WeCom simulator and fetch the last 180 days through the real client')
    .option('--out <path>', 'where to write the CSV', 'demo-output/component-statistics.csv')
    .option('--latency <ms>', 'simulated network latency per call', '40')
    .option('--days <n>', 'rows of the daily table to print', '14')
    .action(async (flags: Record<string, unknown>) => run.demo(flags, io));

  return program;
}

/** Run the command line; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO, run: Parameters<typeof buildProgram>[1]): Promise<number> {
  const program = buildProgram(io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  }
}

/** Exit code after Ctrl+C, as shells report a process ended by SIGINT. */
const EXIT_INTERRUPTED = 130;

function interrupted(error: unknown, io: CliIO): boolean {
  if (!io.interrupt?.aborted) return false;
  return (
    error instanceof AbortedError || (error instanceof IncompleteFetchError && error.failures.some((f) => f.error instanceof AbortedError))
  );
}

function reportFailure(error: unknown, io: CliIO): number {
  if (interrupted(error, io)) {
    const kept =
      error instanceof IncompleteFetchError
        ? `; wrote the ${error.fetchedDays.length} days fetched, marked incomplete (missing ${error.missingDays.length})`
        : '';
    io.stderr.write(`${CLI_NAME}: interrupted${kept}\n`);
    return EXIT_INTERRUPTED;
  }
  if (error instanceof CommanderError) {
    // Help and version exit 0; commander already printed its one-line error otherwise.
    return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  }
  const line = (message: string) => io.stderr.write(`${CLI_NAME}: ${message.split('\n')[0]}\n`);
  if (error instanceof UsageError) {
    line(error.message);
    return 2;
  }
  if (error instanceof ValidationError) {
    line(usageErrorFrom(error).message);
    return 2;
  }
  if (error instanceof WecomStatsError) {
    line(error.message);
    return 1;
  }
  line(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
