/**
 * Every default and limit in one place: the client, the CLI's help, n8n's parameter bounds and
 * Node-RED's editor read them from here. Each limit cites the WeCom page it comes from
 * (docs/wecom-api.md).
 */

/** What the client and every host do when the user says nothing. */
export const DEFAULTS = {
  /** WeCom's API origin. */
  baseUrl: 'https://qyapi.weixin.qq.com',
  /**
   * The statistics asked for when none is named and the credentials do not say (see
   * `defaultEndpointFor`): a self-built app's per-account statistics.
   */
  endpoint: 'corp',
  /** Statistics calls of one range in flight at once. */
  concurrency: 3,
  /** Per request, in ms. */
  timeoutMs: 15_000,
  /** Days outside WeCom's window are cut off, with a warning. */
  windowPolicy: 'clamp',
  /** Days without data stay `statistic: null`. */
  fillPolicy: 'null',
  /** "Yesterday": the last 1 full day. */
  lastDays: 1,
} as const;

/** What WeCom allows, and the bounds the client keeps to. */
export const LIMITS = {
  /** WeCom answers days from today − 180 to yesterday, China time (page 99367). */
  windowDays: 180,
  /** One statistics call covers at most 31 days (page 99367). */
  maxDaysPerCall: 31,
  /** The longest `last` accepted: ten years (an archive may keep more than WeCom's 180 days). */
  maxLastDays: 3660,
  /** A day's statistics are ready from 06:00 China time the next day (page 99367). */
  readyHourChina: 6,
  concurrency: { min: 1, max: 32 },
  timeoutMs: { min: 100, max: 600_000 },
  /** kf/account/list answers at most 100 per page (page 94661). */
  accountPageSize: 100,
  /** A corp has at most 5,000 customer-service accounts (page 94661). */
  maxAccounts: 5000,
  /** One answer is a few KB; anything over this is not WeCom's. */
  maxResponseBytes: 8 * 1024 * 1024,
  /** Tokens live 7200 s (page 91039); used when an answer omits `expires_in`. */
  tokenLifetimeSeconds: 7200,
} as const;
