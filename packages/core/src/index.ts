// The runtime-neutral entry: no Node built-ins, no undici, no timers, no `process`.
// Node users: `@wecom-kf-stats/core/node` adds the undici transport and real timers.

export { createKfStatsClient, clientOptionsSchema, statisticsQuerySchema, DEFAULT_BASE_URL, ACCOUNT_PAGE_SIZE, MAX_ACCOUNTS } from './client.js';
export type { KfStatsClient, KfStatsClientOptions, StatisticsQuery, AuthOptions } from './client.js';

export { authOptionsSchema, fingerprint } from './auth.js';
export { createMemoryTokenStore, createTokenCache, DEFAULT_RENEW_BEFORE_MS, DEFAULT_TOKEN_LIFETIME_SECONDS } from './token-store.js';
export type { TokenStore, StoredToken, TokenCache } from './token-store.js';

export { createFetchTransport, classifyTransportFailure, createBodyReader, MAX_RESPONSE_BYTES } from './transport.js';
export type { Transport, TransportRequest, TransportResponse, Sleep } from './transport.js';
export type { Logger, RetryWait } from './call.js';

export { DEFAULT_RETRY_POLICY, isRetryable, backoffDelay } from './retry.js';
export type { RetryPolicy } from './retry.js';

export {
  addDays,
  chinaDayOfEpochMs,
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  chinaToday,
  daysBetween,
  floorToChinaMidnight,
  isChinaDay,
  listDays,
  parseDayInput,
  CHINA_UTC_OFFSET_SECONDS,
  DAY_INPUT_ALLOWED,
} from './china-day.js';
export type { ChinaDay, DayInput } from './china-day.js';

export { resolveRange, statsWindow, OLDEST_DAY_OFFSET, MAX_LAST_DAYS } from './range.js';
export type { RangeInput, ResolvedRange, StatsWindow, WindowPolicy } from './range.js';

export { planChunks, planRangeChunks, chunkDays, MAX_DAYS_PER_CALL } from './chunks.js';
export type { Chunk } from './chunks.js';

export { STATISTICS_PATHS, decodeStatisticsDays, parseStatisticsBody } from './statistics.js';
export type { StatisticsResult, FetchProgress, DecodedChunk } from './statistics.js';
export type { StatisticsDay, Statistic } from './normalize.js';
export type { StatsWarning, WarningCode } from './warnings.js';

export { METRICS, STATISTICS_ENDPOINTS, getMetric, metricsFor, metricKeysFor, metricLabel, parseMetricSelection } from './metrics.js';
export type { MetricDefinition, MetricKind, MetricAggregation, StatisticsEndpoint } from './metrics.js';

export { summarizeDays } from './aggregate.js';
export type { StatisticsSummary } from './aggregate.js';
export { applyFillPolicy, pickMetrics, FILL_POLICIES } from './fill.js';
export type { FillPolicy } from './fill.js';

export { createMemoryDayCache, isFinishedDay, dayCacheKey, READY_HOUR_CHINA } from './day-cache.js';
export type { DayCacheStore, CachedDay } from './day-cache.js';

export {
  WecomStatsError,
  ValidationError,
  WecomApiError,
  TransportError,
  HttpStatusError,
  TimeoutError,
  AbortedError,
  ResponseFormatError,
  IncompleteFetchError,
  isWecomStatsError,
  doomsEveryCall,
  describeDays,
  formatDuration,
} from './errors.js';
export type { ErrorCode, DayFailure } from './errors.js';
export { hintFor, errcodeCategory, INVALID_ACCESS_TOKEN_ERRCODES, INVALID_SUITE_TOKEN_ERRCODES } from './errcodes.js';
export type { ErrcodeHint, ErrcodeCategory } from './errcodes.js';
export { redactText, registerSecret, releaseSecret, registeredSecretCount, REDACTED } from './redact.js';
export { parseChoice } from './validate.js';

export {
  statisticsResponseSchema,
  accountListResponseSchema,
  servicerListResponseSchema,
  accessTokenResponseSchema,
  suiteTokenResponseSchema,
  kfAccountSchema,
  servicerSchema,
  componentStatisticsRequestSchema,
  corpStatisticsRequestSchema,
  servicerStatisticsRequestSchema,
} from './schemas.js';
export type { KfAccount, Servicer, StatisticsResponse } from './schemas.js';
