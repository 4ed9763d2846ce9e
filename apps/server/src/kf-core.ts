/**
 * Everything the server takes from `@wecom-kf-stats/core`, in one place, and only from its public
 * entries: core's API is being curated, so the server's use of it stays narrow and visible here.
 */
export { isWecomStatsError, metricsFor, redactText, summarizeDays, METRICS } from '@wecom-kf-stats/core';
export type { AuthOptions, StatisticsDay, StatisticsEndpoint, StoredToken, TokenStore, Transport } from '@wecom-kf-stats/core';
export { createNodeClient, createUndiciTransport } from '@wecom-kf-stats/core/node';
export type { NodeKfStatsClient } from '@wecom-kf-stats/core/node';
