/**
 * One base error with a stable `code`, and one subclass per kind of failure.
 * Messages are for people: what went wrong, which value, what is allowed, what to do.
 * No message ever contains a token, secret, ticket or permanent code: every message passes
 * through `redactText` before it is stored.
 */
import { DOOMING_CATEGORIES, errcodeCategory, hintFor, type ErrcodeCategory, type ErrcodeHint } from './errcodes.js';
import { isSecretField, REDACTED, redactText } from './redact.js';
import { describeDays, type ChinaDay } from './china-day.js';
import type { StatisticsResult } from './types.js';

export type ErrorCode = 'VALIDATION' | 'WECOM_API' | 'TRANSPORT' | 'HTTP_STATUS' | 'TIMEOUT' | 'ABORTED' | 'RESPONSE_FORMAT' | 'INCOMPLETE';

export class WecomStatsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(redactText(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'WecomStatsError';
  }
}

/**
 * Bad input: names the field, the value and what is allowed, as data. Hosts show it under their
 * own name for the field with `format` or `relabel`, never by editing the message.
 */
export class ValidationError extends WecomStatsError {
  /** Core's name for the field (`from`, `options.auth.corpSecret`, `metrics`). */
  readonly field: string;
  /** The value found there (redacted when the field holds a secret). */
  readonly value: unknown;
  /** What is allowed instead. */
  readonly allowed: string;
  /** Why the value is wrong, when that says more than the value itself. */
  readonly detail: string | undefined;
  /** The value as shown in the message. */
  readonly shownValue: string;
  constructor(field: string, value: unknown, allowed: string, detail?: string) {
    const shown = isSecretField(field) && value !== undefined && value !== '' ? REDACTED : describeValue(value);
    super('VALIDATION', formatInvalid(field, shown, allowed, detail));
    this.name = 'ValidationError';
    this.field = field;
    this.value = shown === REDACTED ? REDACTED : typeof value === 'string' ? redactText(value) : value;
    this.allowed = allowed;
    this.detail = detail;
    this.shownValue = shown;
  }

  /** The message with the field called what the host calls it: `format('--from')`, `format('msg.from')`. */
  format(fieldName: string): string {
    return redactText(formatInvalid(fieldName, this.shownValue, this.allowed, this.detail));
  }

  /** The same error about the host's name for the field (a flag, a msg property, a parameter). */
  relabel(fieldName: string): ValidationError {
    const relabelled = new ValidationError(fieldName, this.value, this.allowed, this.detail);
    (relabelled as { shownValue: string }).shownValue = this.shownValue;
    (relabelled as { message: string }).message = this.format(fieldName);
    return relabelled;
  }
}

function formatInvalid(field: string, shown: string, allowed: string, detail: string | undefined): string {
  return `Invalid ${field}: ${shown}${detail ? ` (${detail})` : ''}. Allowed: ${allowed}.`;
}

/** WeCom answered with a non-zero errcode (inside an HTTP 200 body). */
export class WecomApiError extends WecomStatsError {
  readonly errcode: number;
  readonly errmsg: string;
  /** The API path that answered (`/cgi-bin/kf/get_corp_statistic`). */
  readonly path: string;
  readonly hint: ErrcodeHint;
  /** What kind of failure this is, from core's errcode table. */
  readonly category: ErrcodeCategory;
  constructor(path: string, errcode: number, errmsg: string) {
    const hint = hintFor(errcode);
    super('WECOM_API', `WeCom ${path} answered errcode ${errcode} (${errmsg}). ${hint.en} / ${hint.zh}`);
    this.name = 'WecomApiError';
    this.errcode = errcode;
    this.errmsg = redactText(errmsg);
    this.path = path;
    this.hint = hint;
    this.category = errcodeCategory(errcode);
  }
}

/**
 * No answer arrived: the connection failed (refused, reset, dropped), or, as `TimeoutError`, took
 * too long.
 */
export class TransportError extends WecomStatsError {
  /** The API path that was asked. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown; code?: 'TRANSPORT' | 'TIMEOUT'; fullMessage?: boolean }) {
    super(options?.code ?? 'TRANSPORT', options?.fullMessage ? message : `Request to ${path} failed: ${message}`, options);
    this.name = 'TransportError';
    this.path = path;
  }
}

/** An HTTP status other than 200 (WeCom itself always answers 200; proxies and gateways do not). */
export class HttpStatusError extends WecomStatsError {
  /** The API path that was asked. */
  readonly path: string;
  readonly status: number;
  /** `reason`: what the answer itself said, when it said something short (a token service's message). */
  constructor(path: string, status: number, reason?: string) {
    const said = reason ? `: ${reason}` : '';
    super(
      'HTTP_STATUS',
      path.startsWith('/cgi-bin/')
        ? `Request to ${path} answered HTTP ${status}${said}; WeCom answers 200, so a proxy or gateway failed.`
        : `Request to ${path} answered HTTP ${status}${said}.`,
    );
    this.name = 'HttpStatusError';
    this.path = path;
    this.status = status;
  }
}

/** No answer in time: a kind of transport failure, code `TIMEOUT`. */
export class TimeoutError extends TransportError {
  readonly timeoutMs: number;
  /** Tries made before giving up (1 when it was not retried). */
  readonly attempts: number;
  /** Time spent on this call across all tries and the waits between them, in ms. */
  readonly elapsedMs: number;
  constructor(path: string, timeoutMs: number, spent?: { attempts: number; elapsedMs: number }) {
    const attempts = spent?.attempts ?? 1;
    const elapsedMs = spent?.elapsedMs ?? timeoutMs;
    super(
      path,
      attempts > 1
        ? `Request to ${path} timed out after ${timeoutMs} ms on each of ${attempts} tries (${formatDuration(elapsedMs)} in all).`
        : `Request to ${path} timed out after ${timeoutMs} ms.`,
      { code: 'TIMEOUT', fullMessage: true },
    );
    this.name = 'TimeoutError';
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
  /** The API path that answered. */
  readonly path: string;
  readonly field: string | undefined;
  constructor(path: string, message: string, field?: string) {
    super('RESPONSE_FORMAT', `Unexpected answer from ${path}: ${message}`);
    this.name = 'ResponseFormatError';
    this.path = path;
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
export class IncompleteFetchError extends WecomStatsError {
  /** Every day that did arrive, with the range, warnings and costs, as a complete result would have. */
  readonly partial: StatisticsResult;
  readonly fetchedDays: ChinaDay[];
  readonly missingDays: ChinaDay[];
  readonly failures: DayFailure[];
  constructor(partial: StatisticsResult, fetchedDays: ChinaDay[], missingDays: ChinaDay[], failures: DayFailure[]) {
    const cause = failures[0]?.error;
    const reasons =
      failures.length === 1 ? [failures[0]!.error.message] : failures.map((f) => `${describeDays(f.days)}: ${f.error.message}`);
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
