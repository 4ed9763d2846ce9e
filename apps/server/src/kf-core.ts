/**
 * Everything the server takes from `@wecom-kf-stats/core`, in one place, and only from its public
 * entries: the client (`/node`), the provider's suite calls (`/provider`); China days come through
 * ./china-days.ts (`/days`) and the API's contract is `/server-api`.
 */
export { isWecomStatsError, metricsFor, redactText, summarizeDays, ValidationError, METRICS } from '@wecom-kf-stats/core';
export type {
  AuthOptions,
  CallResponse,
  StatisticsDay,
  StatisticsEndpoint,
  StoredToken,
  TokenStore,
  Transport,
} from '@wecom-kf-stats/core';
export { createNodeClient, createUndiciTransport } from '@wecom-kf-stats/core/node';
export type { NodeKfStatsClient } from '@wecom-kf-stats/core/node';
export {
  createSuiteClient,
  doomsEveryCall,
  fingerprint,
  registerSecret,
  releaseSecret,
  REJECTED_TOKEN_HEADER,
} from '@wecom-kf-stats/core/provider';
export type { SuiteClient, AuthorizedCorp } from '@wecom-kf-stats/core/provider';
