/**
 * What each WeCom errcode means for a caller, in English and Chinese, and how the client treats
 * it. Source: docs/wecom-api.md §5 (global error codes, developer.work.weixin.qq.com/document/path/90313;
 * frequency limits, page 90454; token rules, page 91039).
 */

export interface ErrcodeHint {
  en: string;
  zh: string;
}

/**
 * What kind of failure an errcode is. Hosts decide by the category (and the errcode), never by
 * the message text.
 * - `transient`: WeCom is busy or saw too many concurrent calls; retried.
 * - `rate_limit`: call frequency over the limit (45009); retried after the block (page 90454).
 * - `token`: the token was rejected; renewed once.
 * - `credentials`: corp id, secret, suite ticket or permanent code wrong: fix the configuration.
 * - `permission`: the app may not call this API, or the API is not enabled for the corp.
 * - `authorization`: the corp removed the app.
 * - `ip_not_trusted`: the caller's IP is not on the app's trusted list (page 91039).
 * - `account`: the customer-service account or servicer does not exist.
 * - `request`: a parameter WeCom refused.
 * - `unknown`: an errcode this library has no entry for.
 */
export type ErrcodeCategory =
  | 'transient'
  | 'rate_limit'
  | 'token'
  | 'credentials'
  | 'permission'
  | 'authorization'
  | 'ip_not_trusted'
  | 'account'
  | 'request'
  | 'unknown';

const CATEGORIES: Record<number, ErrcodeCategory> = {
  [-1]: 'transient',
  45033: 'transient',
  45009: 'rate_limit',
  40014: 'token',
  41001: 'token',
  42001: 'token',
  42009: 'token',
  40082: 'token',
  40001: 'credentials',
  40013: 'credentials',
  40084: 'credentials',
  40085: 'credentials',
  48002: 'permission',
  95017: 'permission',
  48004: 'authorization',
  60020: 'ip_not_trusted',
  60111: 'account',
  95000: 'account',
  95004: 'account',
  40058: 'request',
  47001: 'request',
};

export function errcodeCategory(errcode: number): ErrcodeCategory {
  return CATEGORIES[errcode] ?? 'unknown';
}

/**
 * Categories after which every further call with the same credentials and ids fails the same way:
 * a range stops at once instead of sending its other chunks (no retry: page 90313).
 */
export const DOOMING_CATEGORIES: ReadonlySet<ErrcodeCategory> = new Set([
  'credentials',
  'permission',
  'authorization',
  'ip_not_trusted',
  'account',
]);

const HINTS: Record<number, ErrcodeHint> = {
  [-1]: { en: 'WeCom is busy; retry later.', zh: '系统繁忙，请稍后重试。' },
  40001: {
    en: 'The secret is wrong: check the app secret (or suite secret) in the configuration.',
    zh: 'secret 不正确：请检查应用（或第三方应用）的 secret 配置。',
  },
  40013: { en: 'The corp id is wrong: check the corpid (it starts with "ww").', zh: 'corpid 不正确：请检查企业 ID（以 ww 开头）。' },
  40014: { en: 'The access_token is invalid; a new one is needed.', zh: 'access_token 无效，需要重新获取。' },
  40058: {
    en: 'A parameter is invalid: ranges must lie between 180 days ago and yesterday and span at most 31 days.',
    zh: '参数不合法：统计时间须在 180 天前到昨天之间，且跨度不超过 31 天。',
  },
  40082: { en: 'The suite_access_token is invalid; renew it.', zh: 'suite_access_token 无效，需要重新获取。' },
  40084: {
    en: 'The permanent_code is invalid: the corp must authorize the app again.',
    zh: '永久授权码无效：需要企业重新授权应用。',
  },
  40085: {
    en: 'The suite_ticket is invalid: pass the newest ticket WeCom pushed to your callback (valid 30 minutes).',
    zh: 'suite_ticket 无效：请使用回调收到的最新 ticket（有效期 30 分钟）。',
  },
  41001: { en: 'The access_token is missing.', zh: '缺少 access_token 参数。' },
  42001: { en: 'The access_token expired; a new one is needed.', zh: 'access_token 已过期，需要重新获取。' },
  42009: { en: 'The suite_access_token expired; renew it.', zh: 'suite_access_token 已过期，需要重新获取。' },
  45009: {
    en: 'Call frequency over the limit (per minute blocks last 60 s, per hour blocks 60 min): slow down or wait.',
    zh: '接口调用超过频率限制（分钟级限制持续 60 秒，小时级持续 60 分钟）：请降低频率或稍后重试。',
  },
  45033: {
    en: 'Too many concurrent calls: lower the concurrency.',
    zh: '接口并发调用超过限制：请降低并发。',
  },
  47001: { en: 'The request body is not valid JSON.', zh: '请求数据格式错误。' },
  48002: {
    en: 'This app may not call this API: add it to "微信客服 - 可调用接口的应用" (self-built) or grant "获取客服数据统计" (third-party).',
    zh: 'API 接口无权限：请在「微信客服-可调用接口的应用」中添加该应用，或为第三方应用开通「获取客服数据统计」权限。',
  },
  48004: { en: 'The corp cancelled the authorization: it must authorize the app again.', zh: '企业已取消授权：需要重新授权应用。' },
  60020: {
    en: "The caller IP is not on the app's trusted IP list: add the IP named in errmsg to 企业可信IP.",
    zh: '调用方 IP 不在应用的可信 IP 列表中：请将 errmsg 中的 IP 加入「企业可信IP」。',
  },
  60111: { en: 'The servicer userid was not found.', zh: '接待人员 userid 不存在。' },
  95000: { en: 'The open_kfid is invalid.', zh: 'open_kfid 不合法。' },
  95004: {
    en: 'The open_kfid was not found: pick an account from the account list.',
    zh: 'open_kfid 不存在：请从客服账号列表中选择。',
  },
  95017: {
    en: 'The WeChat customer-service API is not enabled for this corp (or was handed to another app).',
    zh: '企业未开启微信客服 API（或 API 已交由其他应用管理）。',
  },
};

export function hintFor(errcode: number): ErrcodeHint {
  return (
    HINTS[errcode] ?? {
      en: `Look up errcode ${errcode} in WeCom's global error codes (document/path/90313).`,
      zh: `请在企业微信全局错误码中查询 ${errcode}（document/path/90313）。`,
    }
  );
}

/** access_token rejected: drop it, fetch a new one, retry once. */
export const INVALID_ACCESS_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 42001]);
/** suite_access_token rejected: renew the suite token, then the corp token. */
export const INVALID_SUITE_TOKEN_ERRCODES: ReadonlySet<number> = new Set([42009, 40082]);
