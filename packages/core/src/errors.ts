/**
 * One base error with a stable `code`, and one subclass per kind of failure.
 * Messages are for people: what went wrong, which value, what is allowed, what to do.
 * No message ever contains a token, secret, ticket or permanent code: every message passes
 * through `redactText` before it is stored.
 */
import { hintFor, type ErrcodeHint } from './errcodes.js';
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
  constructor(endpoint: string, errcode: number, errmsg: string) {
    const hint = hintFor(errcode);
    super('WECOM_API', `WeCom ${endpoint} answered errcode ${errcode} (${errmsg}). ${hint.en} / ${hint.zh}`);
    this.name = 'WecomApiError';
    this.errcode = errcode;
    this.errmsg = redactText(errmsg);
    this.endpoint = endpoint;
    this.hint = hint;
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
  constructor(endpoint: string, timeoutMs: number) {
    super('TIMEOUT', `Request to ${endpoint} timed out after ${timeoutMs} ms.`);
    this.name = 'TimeoutError';
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
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

/**
 * Some chunks of a range failed after retries. Nothing already fetched is lost: `partial` holds
 * every day that did arrive, `missingDays` the ones that did not, `cause` the first failure.
 */
export class IncompleteFetchError<TPartial = unknown> extends WecomStatsError {
  readonly partial: TPartial;
  readonly fetchedDays: ChinaDay[];
  readonly missingDays: ChinaDay[];
  constructor(partial: TPartial, fetchedDays: ChinaDay[], missingDays: ChinaDay[], cause: unknown) {
    const causeMessage = cause instanceof Error ? cause.message : String(cause);
    super(
      'INCOMPLETE',
      `Fetched ${fetchedDays.length} of ${fetchedDays.length + missingDays.length} days; ` +
        `missing ${describeDays(missingDays)}. Cause: ${causeMessage}`,
      { cause },
    );
    this.name = 'IncompleteFetchError';
    this.partial = partial;
    this.fetchedDays = fetchedDays;
    this.missingDays = missingDays;
  }
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
