// Private machinery for this project's own packages (released in lockstep with core, pinned to
// the same version), benchmarks and tests. Not part of the public API: it
// may change in any release without notice. Users import `@wecom-kf-stats/core` (or `/node`).
export * from './index.js';
export { clientOptionsSchema, statisticsQuerySchema } from './client.js';
export { authOptionsSchema } from './auth.js';
export { createTokenCache, DEFAULT_RENEW_BEFORE_MS, DEFAULT_TOKEN_LIFETIME_SECONDS } from './token-store.js';
export type { TokenCache } from './token-store.js';
export { createBodyReader, timerSleep, MAX_RESPONSE_BYTES } from './transport.js';
export { DEFAULT_RETRY_POLICY, retryPolicySchema, isRetryable, backoffDelay } from './retry.js';
export * from './days.js';
export * from './provider.js';
export { chinaMinuteOfDay, floorToChinaMidnight, CHINA_UTC_OFFSET_SECONDS } from './china-day.js';
export { planRangeChunks, chunkDays } from './chunks.js';
export { decodeStatisticsDays, parseStatisticsBody } from './statistics.js';
export type { DecodedChunk } from './statistics.js';
export { metricKeysFor } from './metrics.js';
export { applyFillPolicy, pickMetrics } from './fill.js';
export { dayCacheKey } from './day-cache.js';
export { describeValue } from './errors.js';
export { hintFor, errcodeCategory, DOOMING_CATEGORIES, INVALID_ACCESS_TOKEN_ERRCODES, INVALID_SUITE_TOKEN_ERRCODES } from './errcodes.js';
export { registeredSecretCount, REDACTED } from './redact.js';
export {
  statisticsResponseSchema,
  accountListResponseSchema,
  servicerListResponseSchema,
  accessTokenResponseSchema,
  suiteTokenResponseSchema,
  kfAccountSchema,
  servicerSchema,
} from './schemas.js';
export type { StatisticsResponse } from './schemas.js';
export { permanentCodeResponseSchema } from './schemas.js';
