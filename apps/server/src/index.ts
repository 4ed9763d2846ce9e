export { main } from './program.js';
export {
  parseConfig,
  loadConfigFile,
  resolveCredentials,
  resolveProviders,
  resolveApiKeys,
  resolveTokenApiKeys,
  ConfigError,
  configSchema,
} from './config.js';
export type { ServerConfig, SourceConfig, CorpCredentials } from './config.js';
export { openStore } from './store/store.js';
export type { Store, SeriesKey, ArchivedDay } from './store/store.js';
export { collect, formatSummary, isSettled } from './collector.js';
export type { CollectSummary } from './collector.js';
export { buildApi } from './api.js';
export { createPacer } from './pacer.js';
export type { Pacer, PacingLimits } from './pacer.js';
export { createWecomClients } from './wecom.js';
export { createSharedTokenStore } from './tokens.js';
export { createMetrics } from './metrics.js';
export { createLogger } from './logger.js';
export { nextDailyRun } from './schedule.js';
export { wireServer } from './wiring.js';
export type { Wiring, WiringOptions } from './wiring.js';
