export { startSimulator, DEFAULT_SEED, DEFAULT_TOKEN_TTL_SEC, DEFAULT_QUIET_DAY_SHARE } from './server.js';
export { chinaClock } from './clock.js';
export type { ChinaClockOptions } from './clock.js';
export type { Simulator, SimulatorOptions, SimulatorCall, ExpectedStatisticQuery } from './types.js';
export type { Fault, FaultKind, FaultTarget } from './faults.js';
export { defaultFixtures, createFixtures, extraSelfBuiltCorp, extraSuiteAuthCorp } from './fixtures.js';
export type {
  SimulatorFixtures,
  SelfBuiltCorpFixture,
  SuiteAuthCorpFixture,
  SuiteFixture,
  TokenServiceFixture,
  KfAccountFixture,
} from './fixtures.js';
export { MAX_SPAN_DAYS, OLDEST_DAY_OFFSET } from './api.js';
export { STATISTIC_FIELDS } from './data.js';
export type { StatisticEndpoint } from './data.js';
export { DEFAULT_TICKET_INTERVAL_MINUTES, DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_CLOCK_POLL_MS, isEncodingAesKey } from './provider.js';
export type {
  SimulatorProvider,
  CallbackTarget,
  CallbackKind,
  CallbackDelivery,
  CallbackResult,
  TicketPush,
  AuthorizeOptions,
  Authorization,
} from './provider.js';
export { SUITE_TICKET_TTL_MS, AUTH_CODE_TTL_MS } from './suite-auth.js';
export { ROBOT_MESSAGES_PER_MINUTE, ROBOT_CONTENT_LIMITS } from './robots.js';
export type { RobotMessage } from './robots.js';
