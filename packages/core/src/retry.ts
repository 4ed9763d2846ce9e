/**
 * Retry as policy data (WECOM-API.md §5). Which failures are worth another try, and how long to wait.
 */
import { HttpStatusError, TimeoutError, TransportError, WecomApiError } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first try. WeCom's advice for -1 (system busy) is at most 3. @default 3 */
  maxRetries: number;
  /** First backoff; doubles each retry, with jitter. @default 500 */
  baseDelayMs: number;
  /** Cap for one backoff. @default 30000 */
  maxDelayMs: number;
  /** Wait after 45009: per-minute frequency blocks last 60 s (page 90454). @default 60000 */
  rateLimitDelayMs: number;
  /** errcodes that mean "try again later": -1 busy, 45009 frequency, 45033 concurrency. */
  retryErrcodes: readonly number[];
  /** HTTP statuses from proxies and gateways worth retrying (WeCom itself answers 200). */
  retryHttpStatuses: readonly number[];
  /** Retry connection failures and timeouts. @default true */
  retryNetworkErrors: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  rateLimitDelayMs: 60_000,
  retryErrcodes: [-1, 45009, 45033],
  retryHttpStatuses: [408, 429, 500, 502, 503, 504],
  retryNetworkErrors: true,
};

export const ERRCODE_FREQUENCY_LIMIT = 45009;
export const ERRCODE_TOO_MANY_CONCURRENT = 45033;

export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  if (error instanceof WecomApiError) return policy.retryErrcodes.includes(error.errcode);
  if (error instanceof HttpStatusError) return policy.retryHttpStatuses.includes(error.status);
  if (error instanceof TransportError || error instanceof TimeoutError) return policy.retryNetworkErrors;
  return false;
}

/**
 * Backoff before retry number `retry` (0-based): exponential, capped, with jitter in [50 %, 100 %].
 * After 45009 the frequency block lasts a whole minute (page 90454): wait `rateLimitDelayMs`
 * in full, plus the jittered backoff so that blocked callers do not return all at once.
 */
export function backoffDelay(policy: RetryPolicy, error: unknown, retry: number, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.round(exponential * (0.5 + random() / 2));
  const rateLimited = error instanceof WecomApiError && error.errcode === ERRCODE_FREQUENCY_LIMIT;
  return rateLimited ? policy.rateLimitDelayMs + jittered : jittered;
}
