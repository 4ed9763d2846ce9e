/** Command-line options of `wecom-kf-simulator`, parsed with node:util. */

import { parseArgs } from 'node:util';
import type { SimulatorOptions } from './types.js';

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
  -h, --help                  show this help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export type CliCommand = { help: true } | { help: false; options: SimulatorOptions };

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

/** Parses the arguments (without node and script); throws UsageError on bad usage. */
export function parseCliArgs(args: readonly string[]): CliCommand {
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
  return { help: false, options };
}
