/**
 * One WeCom API call done right: token in the query string, JSON in and out, errcode checked
 * (decide by errcode, never errmsg: page 90455), schema checked, transient failures retried by
 * policy, a rejected token renewed once.
 */
import type { z } from 'zod';
import {
  AbortedError,
  HttpStatusError,
  ResponseFormatError,
  TimeoutError,
  TransportError,
  WecomApiError,
  type WecomStatsError,
} from './errors.js';
import { FAST_CHECKS } from './schemas.js';
import { redactText } from './redact.js';
import { backoffDelay, ERRCODE_TOO_MANY_CONCURRENT, isRetryable, type RetryPolicy } from './retry.js';
import type { Sleep, Transport } from './transport.js';
import { formatPath } from './validate.js';

export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

/** A wait before a retry, told to the host so that a long one is never silent. */
export interface RetryWait {
  /** The API path being retried. */
  path: string;
  /** How long the client waits before the next try. */
  delayMs: number;
  /** Why, for people: "WeCom's call-frequency limit (errcode 45009)". */
  reason: string;
  /** The failure that caused the wait. */
  error: WecomStatsError;
  /** Which retry this wait precedes (1-based), of at most `maxRetries`. */
  retry: number;
  maxRetries: number;
}

/**
 * One HTTP exchange of a call, as it ended: told to the host after every attempt (retries and the
 * attempt after a token renewal included), so it can count, time and react to WeCom's answers
 * without reading bodies.
 */
export interface CallResponse {
  /** The API path (`/cgi-bin/kf/get_corp_statistic`). */
  path: string;
  /** The HTTP status; undefined when no answer came (network failure, timeout, abort). */
  status: number | undefined;
  /** WeCom's errcode: 0 for an answer without error; undefined when there was no JSON answer. */
  errcode: number | undefined;
  /** From handing the request to the transport to reading the answer (a transport that waits before sending counts its wait in). */
  durationMs: number;
  /** Which attempt of the call this was (1-based). */
  attempt: number;
}

/** Why a retry waits, in words. */
export function retryReason(error: unknown): string {
  if (error instanceof WecomApiError) {
    if (error.errcode === 45009) return "WeCom's call-frequency limit (errcode 45009; a minute block lasts 60 s, page 90454)";
    if (error.errcode === ERRCODE_TOO_MANY_CONCURRENT) return 'too many concurrent calls (errcode 45033)';
    if (error.errcode === -1) return 'WeCom is busy (errcode -1)';
    return `errcode ${error.errcode}`;
  }
  if (error instanceof HttpStatusError) return `HTTP ${error.status} from a proxy or gateway`;
  if (error instanceof TimeoutError) return `no answer within ${error.timeoutMs} ms`;
  if (error instanceof TransportError) return 'the connection failed';
  return 'a transient failure';
}

export interface CallContext {
  baseUrl: string;
  /** Clock in epoch ms (elapsed time in messages). */
  now: () => number;
  /** Told before every wait between retries. */
  onWait?: ((wait: RetryWait) => void) | undefined;
  transport: Transport;
  sleep: Sleep;
  timeoutMs: number;
  retry: RetryPolicy;
  random: () => number;
  logger: Logger | undefined;
  /** Counts every HTTP exchange (for stats and benchmarks). */
  onRequest?: (path: string) => void;
  /** WeCom said 45033: too many concurrent calls. */
  onConcurrencyLimited?: () => void;
  /** Told after every HTTP exchange. */
  onResponse?: ((response: CallResponse) => void) | undefined;
}

/** The host hears of a response; a hook that throws is logged, never mistaken for WeCom's failure. */
function tell(ctx: CallContext, response: CallResponse): void {
  try {
    ctx.onResponse?.(response);
  } catch (error) {
    log(ctx, 'warn', `onResponse threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What an attempt that failed with `error` says about the answer: its status and errcode, when there was one. */
function answerOf(error: unknown): Pick<CallResponse, 'status' | 'errcode'> {
  if (error instanceof WecomApiError) return { status: 200, errcode: error.errcode };
  if (error instanceof HttpStatusError) return { status: error.status, errcode: undefined };
  if (error instanceof ResponseFormatError) return { status: 200, errcode: undefined };
  return { status: undefined, errcode: undefined };
}

/** A token to put in the query string, renewable when WeCom rejects it. */
export interface TokenHandle {
  param: 'access_token' | 'suite_access_token';
  get(signal?: AbortSignal): Promise<string>;
  /** Drop this token so the next `get` fetches a new one; false when it cannot be renewed. */
  invalidate(token: string): Promise<boolean>;
  invalidErrcodes: ReadonlySet<number>;
}

export interface ApiCall<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Path under the base URL, or an absolute URL. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  token?: TokenHandle;
  schema: S;
  signal?: AbortSignal | undefined;
}

export function log(ctx: Pick<CallContext, 'logger'>, level: keyof Logger, message: string): void {
  ctx.logger?.[level]?.(redactText(message));
}

function buildUrl(baseUrl: string, path: string, query: Record<string, string | undefined>): string {
  if (/^https?:\/\//i.test(path)) {
    // A whole URL (a token service's) may carry a query of its own: the URL API merges them.
    const url = new URL(path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url.toString();
  }
  // WeCom's paths carry no query: the parameters are appended as they are (no URL object to
  // build and serialize again for every request).
  let url = new URL(path.replace(/^\/+/, ''), `${baseUrl.replace(/\/+$/, '')}/`).href;
  let separator = url.includes('?') ? '&' : '?';
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    url += `${separator}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    separator = '&';
  }
  return url;
}

function labelOf(path: string): string {
  return /^https?:\/\//i.test(path) ? new URL(path).pathname : path;
}

/**
 * What a non-200 answer says about itself, in at most 200 characters: the message of a JSON error
 * body (`{error: {message}}`, `{message}`, `{errmsg}`) or a short plain-text body; never HTML.
 */
function reasonOf(text: string): string | undefined {
  let said: unknown;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const error = json?.error;
    said =
      (typeof error === 'object' && error !== null ? (error as Record<string, unknown>).message : error) ?? json?.message ?? json?.errmsg;
  } catch {
    said = text.length <= 200 && !text.includes('<') ? text : undefined;
  }
  if (typeof said !== 'string' || said.trim() === '') return undefined;
  const line = redactText(said.trim().replace(/\s+/g, ' '));
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Parse the body, check errcode, check the shape. */
export function readAnswer<S extends z.ZodType>(label: string, status: number, text: string, schema: S): z.output<S> {
  if (status !== 200) throw new HttpStatusError(label, status, reasonOf(text));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ResponseFormatError(
      label,
      `the body is not valid JSON (${text.length} bytes, starting ${JSON.stringify(text.slice(0, 40))}).`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ResponseFormatError(label, 'the body is not a JSON object.');
  }
  const { errcode, errmsg } = json as { errcode?: unknown; errmsg?: unknown };
  if (typeof errcode === 'number' && errcode !== 0) {
    throw new WecomApiError(label, errcode, typeof errmsg === 'string' ? errmsg : '');
  }
  if (FAST_CHECKS.get(schema)?.(json as Record<string, unknown>)) return json as z.output<S>;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = formatPath('', issue.path) || '(body)';
    throw new ResponseFormatError(label, `field ${field} breaks the documented shape: expected ${issue.message}.`, field);
  }
  return parsed.data;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason);
}

export async function executeCall<S extends z.ZodType>(ctx: CallContext, call: ApiCall<S>): Promise<z.output<S>> {
  const label = labelOf(call.path);
  const startedAt = ctx.now();
  let retries = 0;
  let renewed = false;
  let attempt = 0;
  for (;;) {
    throwIfAborted(call.signal);
    const token = call.token ? await call.token.get(call.signal) : undefined;
    let sentAt: number | undefined;
    try {
      const query = { ...call.query, ...(call.token && token !== undefined ? { [call.token.param]: token } : {}) };
      const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      ctx.onRequest?.(label);
      attempt += 1;
      sentAt = ctx.now();
      const response = await ctx.transport({
        method: call.method,
        url: buildUrl(ctx.baseUrl, call.path, query),
        headers,
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        timeoutMs: ctx.timeoutMs,
        ...(call.signal ? { signal: call.signal } : {}),
        label,
      });
      const answer = readAnswer(label, response.status, response.body, call.schema);
      tell(ctx, { path: label, status: response.status, errcode: 0, durationMs: ctx.now() - sentAt, attempt });
      return answer;
    } catch (error) {
      // An exchange the caller called off (shutdown, a cancelled query) is nobody's answer.
      if (sentAt !== undefined && !(error instanceof AbortedError))
        tell(ctx, { path: label, ...answerOf(error), durationMs: ctx.now() - sentAt, attempt });
      if (
        call.token &&
        token !== undefined &&
        !renewed &&
        error instanceof WecomApiError &&
        call.token.invalidErrcodes.has(error.errcode) &&
        (await call.token.invalidate(token))
      ) {
        renewed = true;
        log(ctx, 'info', `${label}: errcode ${error.errcode}, renewing the token once`);
        continue;
      }
      if (retries >= ctx.retry.maxRetries || !isRetryable(ctx.retry, error)) {
        // The message of a timeout that was retried says how long the whole call took.
        if (error instanceof TimeoutError && retries > 0) {
          throw new TimeoutError(label, error.timeoutMs, { attempts: retries + 1, elapsedMs: ctx.now() - startedAt });
        }
        throw error;
      }
      if (error instanceof WecomApiError && error.errcode === ERRCODE_TOO_MANY_CONCURRENT) ctx.onConcurrencyLimited?.();
      const delay = backoffDelay(ctx.retry, error, retries, ctx.random);
      retries += 1;
      log(ctx, 'warn', `${label}: ${(error as Error).message} — retry ${retries}/${ctx.retry.maxRetries} in ${delay} ms`);
      ctx.onWait?.({
        path: label,
        delayMs: delay,
        reason: retryReason(error),
        error: error as WecomStatsError,
        retry: retries,
        maxRetries: ctx.retry.maxRetries,
      });
      await ctx.sleep(delay, call.signal);
    }
  }
}
