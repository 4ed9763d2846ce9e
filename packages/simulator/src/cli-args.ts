/** Command-line options of `wecom-kf-simulator`, parsed with node:util. */

import { parseArgs } from 'node:util';
import { DEFAULT_TICKET_INTERVAL_MINUTES, isEncodingAesKey } from './provider.js';
import type { SimulatorOptions } from './types.js';

/** Environment variable holding the Token of the command callback. */
export const CALLBACK_TOKEN_ENV = 'WECOM_SIM_CALLBACK_TOKEN';
/** Environment variable holding the EncodingAESKey of the command callback. */
export const CALLBACK_AES_KEY_ENV = 'WECOM_SIM_CALLBACK_AES_KEY';

export const USAGE = `Usage: wecom-kf-simulator [options]

A local WeCom customer-service statistics API for tests and demos.

Options:
  --port N                    port to listen on (default 8080; 0 picks a free port)
  --host HOST                 address to listen on (default 127.0.0.1)
  --latency MS                milliseconds added before every answer (default 0)
  --token-ttl SEC             expires_in of every token, in seconds (default 7200)
  --seed S                    seed of the synthetic data (default wecom-kf-stats)
  --rate-limit-per-minute N   requests per corp and API per minute before errcode 45009 (default: no limit)
  --extra-corps N             add N generated self-built corps and N suite-authorized corps
  --quiet-day-share X         share of days without statistics, 0..1 (default 0.08)
  --callback-url URL          act as WeCom toward a service provider's command callback URL: verify the
                              URL, then push a new suite_ticket now and every --ticket-interval minutes;
                              the callback Token is read from ${CALLBACK_TOKEN_ENV} and the
                              EncodingAESKey from ${CALLBACK_AES_KEY_ENV}
  --ticket-interval MIN       minutes between suite_ticket pushes, 0.1 to 1440 (default ${DEFAULT_TICKET_INTERVAL_MINUTES}; needs --callback-url)
  --pushed-tickets-only       refuse the fixture suite_ticket: only pushed tickets are accepted
  -h, --help                  show this help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command callback the simulator pushes to. */
export interface CliCallback {
  url: string;
  token: string;
  encodingAesKey: string;
  ticketIntervalMinutes: number;
}

export type CliCommand = { help: true } | { help: false; options: SimulatorOptions; callback?: CliCallback };

function numberOption(name: string, text: string | undefined, rule: { integer: boolean; min: number; max?: number }): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > max) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new UsageError(`--${name} must be ${kind} ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function callbackOption(
  url: string | undefined,
  intervalText: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): CliCallback | undefined {
  const interval = numberOption('ticket-interval', intervalText, { integer: false, min: 0.1, max: 1440 });
  if (url === undefined) {
    if (interval !== undefined) throw new UsageError('--ticket-interval needs --callback-url');
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`--callback-url must be an absolute http or https URL, got ${JSON.stringify(url)}`);
  }
  const token = env[CALLBACK_TOKEN_ENV];
  if (token === undefined || token === '') {
    throw new UsageError(`--callback-url needs the callback Token in the environment variable ${CALLBACK_TOKEN_ENV}`);
  }
  const encodingAesKey = env[CALLBACK_AES_KEY_ENV];
  if (encodingAesKey === undefined || encodingAesKey === '') {
    throw new UsageError(`--callback-url needs the callback EncodingAESKey in the environment variable ${CALLBACK_AES_KEY_ENV}`);
  }
  if (!isEncodingAesKey(encodingAesKey)) {
    // The key is a secret: its length is told, not its value.
    throw new UsageError(
      `${CALLBACK_AES_KEY_ENV} must be an EncodingAESKey of 43 characters of base64 (A-Z, a-z, 0-9, +, /), ` +
        `got ${encodingAesKey.length} characters${/^[A-Za-z0-9+/]*$/.test(encodingAesKey) ? '' : ' with some outside that set'}`,
    );
  }
  return { url, token, encodingAesKey, ticketIntervalMinutes: interval ?? DEFAULT_TICKET_INTERVAL_MINUTES };
}

/**
 * Parses the arguments (without node and script) and the callback keys in `env`; throws
 * UsageError on bad usage.
 */
export function parseCliArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        latency: { type: 'string' },
        'token-ttl': { type: 'string' },
        seed: { type: 'string' },
        'rate-limit-per-minute': { type: 'string' },
        'extra-corps': { type: 'string' },
        'quiet-day-share': { type: 'string' },
        'callback-url': { type: 'string' },
        'ticket-interval': { type: 'string' },
        'pushed-tickets-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const options: SimulatorOptions = {
    port: numberOption('port', values.port, { integer: true, min: 0, max: 65_535 }) ?? 8080,
    host: values.host ?? '127.0.0.1',
  };
  const latency = numberOption('latency', values.latency, { integer: false, min: 0 });
  if (latency !== undefined) options.latencyMs = latency;
  const tokenTtl = numberOption('token-ttl', values['token-ttl'], { integer: true, min: 1 });
  if (tokenTtl !== undefined) options.tokenTtlSec = tokenTtl;
  if (values.seed !== undefined) options.seed = values.seed;
  const rateLimit = numberOption('rate-limit-per-minute', values['rate-limit-per-minute'], { integer: true, min: 1 });
  if (rateLimit !== undefined) options.rateLimitPerMinute = rateLimit;
  const extraCorps = numberOption('extra-corps', values['extra-corps'], { integer: true, min: 0, max: 100_000 });
  if (extraCorps !== undefined) options.extraCorpCount = extraCorps;
  const quietDayShare = numberOption('quiet-day-share', values['quiet-day-share'], { integer: false, min: 0, max: 1 });
  if (quietDayShare !== undefined) options.quietDayShare = quietDayShare;
  if (values['pushed-tickets-only']) options.pushedTicketsOnly = true;
  const callback = callbackOption(values['callback-url'], values['ticket-interval'], env);
  return callback ? { help: false, options, callback } : { help: false, options };
}
