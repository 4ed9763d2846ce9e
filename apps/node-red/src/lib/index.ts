/**
 * Everything the node files share, built once into `dist/lib/index.js`: core (with zod, p-limit and
 * undici bundled in) and the translation between Node-RED and core. One copy at run time, so the
 * error classes the nodes test with `instanceof` are the ones the client throws.
 */
export { createNodeClient, IncompleteFetchError } from '@wecom-kf-stats/core/node';
export type { NodeKfStatsClient, FetchProgress, StatisticsResult, KfAccount, Servicer } from '@wecom-kf-stats/core/node';
export { authFromSettings, CREDENTIAL_FIELDS } from './auth-settings.js';
export type { ConfigSettings, ConfigCredentials } from './auth-settings.js';
export { planStatistics, attributeToMsg } from './statistics-request.js';
export type { StatisticsPlan, StatisticsSettings } from './statistics-request.js';
export { statisticsMessages } from './statistics-output.js';
export { failureDetail, failureStatus, asError } from './failure.js';
export { trackRequests, reportFailure } from './node-requests.js';
