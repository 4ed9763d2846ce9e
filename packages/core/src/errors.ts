/**
 * One base error with a stable `code`, and one subclass per kind of failure.
 * Messages are for people: what went wrong, which value, what is allowed, what to do.
 * No message ever contains a token, secret, ticket or permanent code: every message passes
 * through `redactText` before it is stored.
 */
import { DOOMING_CATEGORIES, errcodeCategory, hintFor, type ErrcodeCategory, type ErrcodeHint } from './errcodes.js';
import { isSecretField, REDACTED, redactText } from './redact.js';
import { daysBetween, type ChinaDay } from './china-day.js';

export type ErrorCode =
  | 'VALIDATION'
  | 'WECOM_API'
  | 'TRANSPORT'
  | 'HTTP_STATUS'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'RESPONSE_FORMAT'
  | 'INCOMPLETE';

export class WecomStatsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(redactText(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'WecomStatsError';
  }
}

/** Bad input: names the field, the value and what is allowed. */
export class ValidationError extends WecomStatsError {
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(field: string, value: unknown, allowed: string, detail?: string) {
    const shown = isSecretField(field) && value !== undefined && value !== '' ? REDACTED : describeValue(value);
    super('VALIDATION', `Invalid ${field}: ${shown}${detail ? ` (${detail})` : ''}. Allowed: ${allowed}.`);
    this.name = 'ValidationError';
    this.field = field;
    this.value = shown === REDACTED ? REDACTED : typeof value === 'string' ? redactText(value) : value;
    this.allowed = allowed;
  }
}

/** WeCom answered with a non-zero errcode (inside an HTTP 200 body). */
export class WecomApiError extends WecomStatsError {
  readonly errcode: number;
  readonly errmsg: string;
  readonly endpoint: string;
  readonly hint: ErrcodeHint;
  /** What kind of failure this is, from core's errcode table. */
  readonly category: ErrcodeCategory;
  constructor(endpoint: string, errcode: number, errmsg: string) {
    const hint = hintFor(errcode);
    super('WECOM_API', `WeCom ${endpoint} answered errcode ${errcode} (${errmsg}). ${hint.en} / ${hint.zh}`);
    this.name = 'WecomApiError';
    this.errcode = errcode;
    this.errmsg = redactText(errmsg);
    this.endpoint = endpoint;
    this.hint = hint;
    this.category = errcodeCategory(errcode);
  }
}

/** The connection failed (refused, reset, dropped) before an answer arrived. */
export class TransportError extends WecomStatsError {
  readonly endpoint: string;
  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super('TRANSPORT', `Request to ${endpoint} failed: ${message}`, options);
    this.name = 'TransportError';
    this.endpoint = endpoint;
  }
}

/** An HTTP status other than 200 (WeCom itself always answers 200; proxies and gateways do not). */
export class HttpStatusError extends WecomStatsError {
  readonly endpoint: string;
  readonly status: number;
  constructor(endpoint: string, status: number) {
    super('HTTP_STATUS', `Request to ${endpoint} answered HTTP ${status}; WeCom answers 200, so a proxy or gateway failed.`);
    this.name = 'HttpStatusError';
    this.endpoint = endpoint;
    this.status = status;
  }
}

export class TimeoutError extends WecomStatsError {
  readonly endpoint: string;
  readonly timeoutMs: number;
  /** Tries made before giving up (1 when it was not retried). */
  readonly attempts: number;
  /** Time spent on this call across all tries and the waits between them, in ms. */
  readonly elapsedMs: number;
  constructor(endpoint: string, timeoutMs: number, spent?: { attempts: number; elapsedMs: number }) {
    const attempts = spent?.attempts ?? 1;
    const elapsedMs = spent?.elapsedMs ?? timeoutMs;
    super(
      'TIMEOUT',
      attempts > 1
        ? `Request to ${endpoint} timed out after ${timeoutMs} ms on each of ${attempts} tries (${formatDuration(elapsedMs)} in all).`
        : `Request to ${endpoint} timed out after ${timeoutMs} ms.`,
    );
    this.name = 'TimeoutError';
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
  }
}

/** "850 ms", "12 s", "3 min 5 s": durations in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export class AbortedError extends WecomStatsError {
  constructor(reason?: unknown) {
    super('ABORTED', `The operation was aborted${reason instanceof Error && reason.message ? `: ${reason.message}` : ''}.`);
    this.name = 'AbortedError';
  }
}

/** The body was not JSON, or JSON that breaks the documented shape. */
export class ResponseFormatError extends WecomStatsError {
  readonly endpoint: string;
  readonly field: string | undefined;
  constructor(endpoint: string, message: string, field?: string) {
    super('RESPONSE_FORMAT', `Unexpected answer from ${endpoint}: ${message}`);
    this.name = 'ResponseFormatError';
    this.endpoint = endpoint;
    this.field = field;
  }
}

/** Days that could not be had, and why. */
export interface DayFailure {
  days: ChinaDay[];
  error: Error;
}

/**
 * Some days of a range could not be had after retries. Nothing already fetched is lost: `partial`
 * holds every day that did arrive, `missingDays` the ones that did not, `failures` which days
 * failed for which reason, `cause` the first failure.
 */
export class IncompleteFetchError<TPartial = unknown> extends WecomStatsError {
  readonly partial: TPartial;
  readonly fetchedDays: ChinaDay[];
  readonly missingDays: ChinaDay[];
  readonly failures: DayFailure[];
  constructor(partial: TPartial, fetchedDays: ChinaDay[], missingDays: ChinaDay[], failures: DayFailure[]) {
    const cause = failures[0]?.error;
    const reasons = failures.length === 1 ? [failures[0]!.error.message] : failures.map((f) => `${describeDays(f.days)}: ${f.error.message}`);
    const shown = reasons.slice(0, 3).join(' | ') + (reasons.length > 3 ? ` | and ${reasons.length - 3} more` : '');
    super(
      'INCOMPLETE',
      `Fetched ${fetchedDays.length} of ${fetchedDays.length + missingDays.length} days; ` +
        `missing ${describeDays(missingDays)}. Cause${failures.length > 1 ? 's' : ''}: ${shown}`,
      { cause },
    );
    this.name = 'IncompleteFetchError';
    this.partial = partial;
    this.fetchedDays = fetchedDays;
    this.missingDays = missingDays;
    this.failures = failures;
  }
}

/**
 * Whether an error dooms every further call with the same credentials and ids (a wrong secret,
 * a missing permission, an untrusted IP, a removed authorization, an unknown account), or ends
 * the whole operation (an abort, a broken store or getter): other chunks are not sent.
 */
export function doomsEveryCall(error: unknown): boolean {
  if (error instanceof WecomApiError) return DOOMING_CATEGORIES.has(error.category);
  return error instanceof AbortedError || error instanceof ValidationError;
}

/** Compact day list for messages: runs of consecutive days as `a..b`. */
export function describeDays(days: readonly string[]): string {
  if (days.length === 0) return 'none';
  const runs: string[] = [];
  let start = days[0]!;
  let prev = start;
  const flush = (end: string) => runs.push(start === end ? start : `${start}..${end}`);
  for (const day of days.slice(1)) {
    if (daysBetween(prev, day) !== 1) {
      flush(prev);
      start = day;
    }
    prev = day;
  }
  flush(prev);
  return runs.join(', ');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : `Date(${value.toISOString()})`;
  if (typeof value === 'function') return 'a function';
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function isWecomStatsError(error: unknown): error is WecomStatsError {
  return error instanceof WecomStatsError;
}
