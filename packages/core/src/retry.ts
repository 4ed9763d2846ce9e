/**
 * Retry as policy data (docs/wecom-api.md §5). Which failures are worth another try, and how long to wait.
 */
import { z } from 'zod';
import { HttpStatusError, TimeoutError, TransportError, WecomApiError } from './errors.js';

const wholeIn = (min: number, max: number, what: string) =>
  z
    .number({ error: `${what}: a whole number from ${min} to ${max}` })
    .int({ error: `${what}: a whole number from ${min} to ${max}` })
    .min(min, { error: `${what}: a whole number from ${min} to ${max}` })
    .max(max, { error: `${what}: a whole number from ${min} to ${max}` });

/** The retry settings a user may override; the one declaration of the policy's fields. */
export const retryPolicySchema = z.strictObject(
  {
    /** Retries after the first try. WeCom's advice for -1 (system busy) is at most 3. @default 3 */
    maxRetries: wholeIn(0, 10, 'retries').optional(),
    /** First backoff; doubles each retry, with jitter. @default 500 */
    baseDelayMs: wholeIn(0, 600_000, 'delay in ms').optional(),
    /** Cap for one backoff. @default 30000 */
    maxDelayMs: wholeIn(0, 3_600_000, 'delay in ms').optional(),
    /** Wait after 45009: per-minute frequency blocks last 60 s (page 90454). @default 60000 */
    rateLimitDelayMs: wholeIn(0, 3_600_000, 'delay in ms').optional(),
    /** errcodes that mean "try again later": -1 busy, 45009 frequency, 45033 concurrency. */
    retryErrcodes: z.array(z.number().int(), { error: 'a list of errcodes' }).readonly().optional(),
    /** HTTP statuses from proxies and gateways worth retrying (WeCom itself answers 200). */
    retryHttpStatuses: z
      .array(wholeIn(100, 599, 'HTTP status'), { error: 'a list of HTTP statuses' })
      .readonly()
      .optional(),
    /** Retry connection failures and timeouts. @default true */
    retryNetworkErrors: z.boolean({ error: 'true or false' }).optional(),
  },
  { error: 'an object of retry settings' },
);

/** How the client retries: every field of `retryPolicySchema`, set. */
export type RetryPolicy = Required<z.output<typeof retryPolicySchema>>;

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
