// The runtime-neutral entry: no Node built-ins, no undici, no `process`. It runs in Node, browsers
// (Grafana) and n8n's sandbox. Node users: `@wecom-kf-stats/core/node` adds the undici transport.
// What is not listed here is private; `@wecom-kf-stats/core/internal` is for this project's own
// benchmarks and tests and may change in any release.

// The client and what plugs into it.
export { createKfStatsClient, validateBaseUrl } from './client.js';
export type { KfStatsClient, KfStatsClientOptions, StatisticsQuery, AuthOptions } from './client.js';
export { createFetchTransport, classifyTransportFailure } from './transport.js';
export type { Transport, TransportRequest, TransportResponse, Sleep } from './transport.js';
export { createMemoryTokenStore } from './token-store.js';
export { defaultEndpointFor } from './auth.js';
export type { TokenStore, StoredToken } from './token-store.js';
export { createMemoryDayCache } from './day-cache.js';
export type { DayCacheStore, CachedDay } from './day-cache.js';
export type { Logger, RetryWait, CallResponse } from './call.js';
export type { RetryPolicy } from './retry.js';

// Defaults, limits and choices every host shows.
export { DEFAULTS, LIMITS } from './limits.js';
export { STATISTICS_ENDPOINTS } from './metrics.js';
export { WINDOW_POLICIES } from './range.js';
export { FILL_POLICIES } from './fill.js';
export { parseChoice } from './validate.js';

// China days and WeCom's window.
export { chinaDayOfEpochMs, chinaMidnightEpochSeconds } from './china-day.js';
export { statisticsWindow } from './range.js';
export type { ChinaDay } from './china-day.js';
export type { DayInput } from './day-input.js';
export type { RangeInput, StatisticsWindow, WindowPolicy } from './range.js';

// Results, metrics and their shaping.
export type { StatisticsResult, FetchProgress } from './statistics.js';
export type { StatisticsDay, Statistic } from './normalize.js';
export type { StatisticsWarning, WarningCode } from './warnings.js';
export { METRICS, getMetric, metricsFor, metricLabel, parseMetricSelection } from './metrics.js';
export type { MetricDefinition, MetricKind, MetricAggregation, StatisticsEndpoint } from './metrics.js';
export { shapeDays } from './fill.js';
export type { FillPolicy } from './fill.js';
export { summarizeDays } from './aggregate.js';
export type { StatisticsSummary, SummaryNote } from './aggregate.js';
export { servicerIdOf } from './schemas.js';
export type { KfAccount, Servicer } from './schemas.js';

// Errors.
export {
  WecomStatsError,
  ValidationError,
  WecomApiError,
  TransportError,
  TimeoutError,
  HttpStatusError,
  AbortedError,
  ResponseFormatError,
  IncompleteFetchError,
  isWecomStatsError,
  formatDuration,
} from './errors.js';
export type { ErrorCode, DayFailure } from './errors.js';
export type { ErrcodeCategory, ErrcodeHint } from './errcodes.js';
export { redactText } from './redact.js';
export { createPacer, DEFAULT_PACING } from './pacer.js';
export type { Pacer, LocalPacer, PacerOptions, PacerPause, PacingLimits } from './pacer.js';
