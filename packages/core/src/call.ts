/**
 * One WeCom API call done right: token in the query string, JSON in and out, errcode checked
 * (decide by errcode, never errmsg: page 90455), schema checked, transient failures retried by
 * policy, a rejected token renewed once.
 */
import type { z } from 'zod';
import { AbortedError, HttpStatusError, ResponseFormatError, WecomApiError } from './errors.js';
import { redactText } from './redact.js';
import { backoffDelay, ERRCODE_TOO_MANY_CONCURRENT, isRetryable, type RetryPolicy } from './retry.js';
import type { Sleep, Transport } from './transport.js';
import { formatPath } from './validate.js';

export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

export interface CallContext {
  baseUrl: string;
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
  const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\/+/, ''), `${baseUrl.replace(/\/+$/, '')}/`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

function labelOf(path: string): string {
  return /^https?:\/\//i.test(path) ? new URL(path).pathname : path;
}

/** Parse the body, check errcode, check the shape. */
export function readAnswer<S extends z.ZodType>(label: string, status: number, text: string, schema: S): z.output<S> {
  if (status !== 200) throw new HttpStatusError(label, status);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ResponseFormatError(label, `the body is not valid JSON (${text.length} bytes, starting ${JSON.stringify(text.slice(0, 40))}).`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ResponseFormatError(label, 'the body is not a JSON object.');
  }
  const { errcode, errmsg } = json as { errcode?: unknown; errmsg?: unknown };
  if (typeof errcode === 'number' && errcode !== 0) {
    throw new WecomApiError(label, errcode, typeof errmsg === 'string' ? errmsg : '');
  }
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
  let retries = 0;
  let renewed = false;
  for (;;) {
    throwIfAborted(call.signal);
    const token = call.token ? await call.token.get(call.signal) : undefined;
    try {
      const query = { ...call.query, ...(call.token && token !== undefined ? { [call.token.param]: token } : {}) };
      const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      ctx.onRequest?.(label);
      const response = await ctx.transport({
        method: call.method,
        url: buildUrl(ctx.baseUrl, call.path, query),
        headers,
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        timeoutMs: ctx.timeoutMs,
        ...(call.signal ? { signal: call.signal } : {}),
        label,
      });
      return readAnswer(label, response.status, response.body, call.schema);
    } catch (error) {
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
      if (retries >= ctx.retry.maxRetries || !isRetryable(ctx.retry, error)) throw error;
      if (error instanceof WecomApiError && error.errcode === ERRCODE_TOO_MANY_CONCURRENT) ctx.onConcurrencyLimited?.();
      const delay = backoffDelay(ctx.retry, error, retries, ctx.random);
      retries += 1;
      log(ctx, 'warn', `${label}: ${(error as Error).message} — retry ${retries}/${ctx.retry.maxRetries} in ${delay} ms`);
      await ctx.sleep(delay, call.signal);
    }
  }
}
