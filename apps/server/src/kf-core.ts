/**
 * Everything the server takes from `@wecom-kf-stats/core`, in one place, and only from its public
 * entries (and one internal one, below): core's API is being curated, so the server's use of it stays narrow and visible here.
 */
export { isWecomStatsError, metricsFor, redactText, summarizeDays, METRICS } from '@wecom-kf-stats/core';
export type { AuthOptions, StatisticsDay, StatisticsEndpoint, StoredToken, TokenStore, Transport } from '@wecom-kf-stats/core';
export { createNodeClient, createUndiciTransport } from '@wecom-kf-stats/core/node';
export type { NodeKfStatsClient } from '@wecom-kf-stats/core/node';
// The suite's own calls (service/get_permanent_code): core's internal entry, which this project's
// packages share because they are released together with core.
export {
  createSuiteClient,
  doomsEveryCall,
  fingerprint,
  registerSecret,
  releaseSecret,
  REJECTED_TOKEN_HEADER,
} from '@wecom-kf-stats/core/internal';
export type { SuiteClient, AuthorizedCorp } from '@wecom-kf-stats/core/internal';
