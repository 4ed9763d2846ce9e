/**
 * The endpoints: WeCom's token and customer-service statistics APIs, plus a stand-in for a
 * company's token service. Handlers are plain functions from a parsed request to an answer;
 * the HTTP plumbing, latency, faults and the call log live in server.ts.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { dayNumberFromMs, dayNumberFromSeconds, dayStartSeconds, formatDay } from './china-day.js';
import type { StatisticScope } from './data.js';
import type { CorpDirectory } from './directory.js';
import { errmsgFor } from './errcodes.js';
import type { SimulatorFixtures } from './fixtures.js';
import type { MinuteRateLimiter } from './rate-limit.js';
import type { AuthCodeBook, SuiteTicketBook } from './suite-auth.js';
import type { RobotBook } from './robots.js';
import type { TokenKind, TokenRegistry } from './tokens.js';

/** Longest query span, in days inclusive. */
export const MAX_SPAN_DAYS = 31;
/** Oldest day that can be queried, in days before today. */
export const OLDEST_DAY_OFFSET = 180;

export interface ApiContext {
  now(): number;
  readonly fixtures: SimulatorFixtures;
  readonly directory: CorpDirectory;
  readonly tokens: TokenRegistry;
  readonly suiteTickets: SuiteTicketBook;
  readonly authCodes: AuthCodeBook;
  readonly tokenTtlSec: number;
  readonly rateLimiter: MinuteRateLimiter;
  readonly robots: RobotBook;
  /** The statistic the API publishes for a scope and day right now (readiness included). */
  publishedStatistic(scope: StatisticScope, dayNumber: number): Record<string, number> | undefined;
  /** Fields merged into every statistic answered. */
  extraFields(): Record<string, unknown> | undefined;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Records the corp the request acts for, for the call log. */
  setCorp(corpId: string): void;
}

export interface ApiAnswer {
  status: number;
  contentType: string;
  body: string;
  /** `errcode` of a JSON answer, when it has one. */
  errcode?: number | undefined;
  headers?: Record<string, string>;
}

type Handler = (ctx: ApiContext, req: ApiRequest) => ApiAnswer;

interface Route {
  method: 'GET' | 'POST';
  handler: Handler;
}

/** A WeCom error answer: HTTP 200 with errcode and errmsg. Thrown by handlers, answered by `dispatch`. */
class WecomRefusal extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string = errmsgFor(errcode),
  ) {
    super(errmsg);
  }
}

const JSON_TYPE = 'application/json; charset=UTF-8';

export function jsonAnswer(payload: Record<string, unknown>, status = 200): ApiAnswer {
  const errcode = payload['errcode'];
  return {
    status,
    contentType: JSON_TYPE,
    body: JSON.stringify(payload),
    errcode: typeof errcode === 'number' ? errcode : undefined,
  };
}

export function errcodeAnswer(errcode: number, errmsg: string = errmsgFor(errcode)): ApiAnswer {
  return jsonAnswer({ errcode, errmsg });
}

function textAnswer(status: number, text: string, headers?: Record<string, string>): ApiAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body: text, ...(headers ? { headers } : {}) };
}

/** The JSON object of a POST body; 47001 when it is not one. */
function parseBody(req: ApiRequest): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch {
    throw new WecomRefusal(47001);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WecomRefusal(47001);
  return value as Record<string, unknown>;
}

function checkRateLimit(ctx: ApiContext, req: ApiRequest, corpId: string): void {
  if (ctx.rateLimiter.hit(corpId, req.path, ctx.now())) throw new WecomRefusal(45009);
}

/** Validates `?access_token=` and returns its corp and kind (41001 / 40014 / 42001, then 45009). */
function authorize(ctx: ApiContext, req: ApiRequest): { corpId: string; kind: TokenKind } {
  const token = req.query.get('access_token');
  if (!token) throw new WecomRefusal(41001);
  const found = ctx.tokens.lookup(token, ctx.now());
  if (found.status === 'unknown' || found.record.kind === 'suite') throw new WecomRefusal(40014);
  if (found.status === 'expired') throw new WecomRefusal(42001);
  req.setCorp(found.record.subjectId);
  if (found.record.revoked) throw new WecomRefusal(48004);
  checkRateLimit(ctx, req, found.record.subjectId);
  return { corpId: found.record.subjectId, kind: found.record.kind };
}

function tokenAnswer(ctx: ApiContext, subjectId: string, kind: TokenKind, field: string, withErrcode: boolean): ApiAnswer {
  const token = ctx.tokens.issue(subjectId, kind, ctx.tokenTtlSec, ctx.now());
  const payload: Record<string, unknown> = withErrcode ? { errcode: 0, errmsg: 'ok' } : {};
  payload[field] = token;
  payload['expires_in'] = ctx.tokenTtlSec;
  return jsonAnswer(payload);
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Tokens

const getToken: Handler = (ctx, req) => {
  const corpId = req.query.get('corpid');
  const secret = req.query.get('corpsecret');
  if (!corpId) throw new WecomRefusal(41002);
  if (!secret) throw new WecomRefusal(41004);
  if (!ctx.directory.isKnownCorp(corpId)) throw new WecomRefusal(40013);
  req.setCorp(corpId);
  if (ctx.directory.selfBuiltSecret(corpId) !== secret) throw new WecomRefusal(40001);
  checkRateLimit(ctx, req, corpId);
  return tokenAnswer(ctx, corpId, 'self-built', 'access_token', true);
};

const getSuiteToken: Handler = (ctx, req) => {
  const body = parseBody(req);
  const suite = ctx.fixtures.suite;
  if (body['suite_id'] !== suite.suiteId || body['suite_secret'] !== suite.suiteSecret) {
    throw new WecomRefusal(40001);
  }
  const ticket = body['suite_ticket'];
  if (typeof ticket !== 'string' || !ctx.suiteTickets.accepts(ticket, ctx.now())) throw new WecomRefusal(40085);
  return tokenAnswer(ctx, suite.suiteId, 'suite', 'suite_access_token', false);
};

/** Validates `?suite_access_token=` (41022 / 40082 / 42009). */
function checkSuiteToken(ctx: ApiContext, req: ApiRequest): void {
  const suiteToken = req.query.get('suite_access_token');
  if (!suiteToken) throw new WecomRefusal(41022);
  const found = ctx.tokens.lookup(suiteToken, ctx.now());
  if (found.status === 'unknown' || found.record.kind !== 'suite') throw new WecomRefusal(40082);
  if (found.status === 'expired') throw new WecomRefusal(42009);
}

const getCorpToken: Handler = (ctx, req) => {
  checkSuiteToken(ctx, req);
  const body = parseBody(req);
  const authCorpId = stringField(body, 'auth_corpid');
  const expectedCode = authCorpId === undefined ? undefined : ctx.directory.permanentCode(authCorpId);
  if (authCorpId === undefined || expectedCode === undefined) throw new WecomRefusal(40084);
  req.setCorp(authCorpId);
  if (body['permanent_code'] !== expectedCode) throw new WecomRefusal(40084);
  checkRateLimit(ctx, req, authCorpId);
  return tokenAnswer(ctx, authCorpId, 'suite-corp', 'access_token', false);
};

/** Exchanges a one-time auth code for the corp's permanent code and a first corp token (page 90603). */
const getPermanentCode: Handler = (ctx, req) => {
  checkSuiteToken(ctx, req);
  const body = parseBody(req);
  const authCode = stringField(body, 'auth_code');
  const redeemed = authCode === undefined ? undefined : ctx.authCodes.redeem(authCode, ctx.now());
  const permanentCode = redeemed === undefined ? undefined : ctx.directory.permanentCode(redeemed.corpId);
  if (redeemed === undefined || permanentCode === undefined) throw new WecomRefusal(40078);
  const corpId = redeemed.corpId;
  req.setCorp(corpId);
  const corpName = ctx.directory.corpName(corpId);
  const accessToken = ctx.tokens.issue(corpId, 'suite-corp', ctx.tokenTtlSec, ctx.now());
  const avatar = (name: string): string => `https://wework.qpic.cn/wwpic/simulator/${name}/0`;
  return jsonAnswer({
    errcode: 0,
    errmsg: 'ok',
    access_token: accessToken,
    expires_in: ctx.tokenTtlSec,
    permanent_code: permanentCode,
    auth_corp_info: {
      corpid: corpId,
      corp_name: corpName,
      corp_type: 'verified',
      corp_square_logo_url: avatar(`corp-logo-${corpId}`),
      corp_user_max: 200,
      corp_full_name: corpName,
      verified_end_time: Math.floor(ctx.now() / 1000) + 365 * 86_400,
      subject_type: 1,
      corp_wxqrcode: avatar(`corp-qrcode-${corpId}`),
      corp_scale: '1-50人',
      corp_industry: 'IT服务',
      corp_sub_industry: '计算机软件/硬件/信息服务',
    },
    auth_info: {
      agent: [
        {
          agentid: 1000001,
          name: '微信客服统计',
          round_logo_url: avatar('suite-round-logo'),
          square_logo_url: avatar('suite-square-logo'),
          appid: 1,
          auth_mode: 0,
          is_customized_app: false,
          auth_from_thirdapp: false,
          privilege: { level: 1, allow_party: [1], allow_user: [], allow_tag: [], extra_party: [], extra_user: [], extra_tag: [] },
        },
      ],
    },
    auth_user_info: {
      userid: 'simadmin',
      open_userid: `woSIM${corpId}admin`,
      name: '管理员',
      avatar: avatar('admin-avatar'),
    },
    state: redeemed.state,
  });
};

/** Not WeCom: a company's token service, guarded by a shared header. */
const tokenService: Handler = (ctx, req) => {
  const { headerName, headerValue } = ctx.fixtures.tokenService;
  if (req.headers[headerName.toLowerCase()] !== headerValue) {
    return jsonAnswer({ error: 'unauthorized' }, 401);
  }
  const corpId = req.query.get('corpid') || ctx.fixtures.selfBuilt.corpId;
  let kind: TokenKind;
  if (ctx.directory.selfBuiltSecret(corpId) !== undefined) kind = 'self-built';
  else if (ctx.directory.permanentCode(corpId) !== undefined) kind = 'suite-corp';
  else return jsonAnswer({ error: 'unknown corpid' }, 400);
  req.setCorp(corpId);
  return tokenAnswer(ctx, corpId, kind, 'access_token', false);
};

// ---------------------------------------------------------------------------------------------
// Statistics

interface DayRange {
  first: number;
  last: number;
}

/** WeCom's window rules for start_time / end_time, as China day numbers (40058 when broken). */
function statisticDays(ctx: ApiContext, body: Record<string, unknown>): DayRange {
  const start = body['start_time'];
  const end = body['end_time'];
  if (typeof start !== 'number' || !Number.isInteger(start)) {
    throw new WecomRefusal(40058, 'invalid parameter: start_time must be an integer unix timestamp');
  }
  if (typeof end !== 'number' || !Number.isInteger(end)) {
    throw new WecomRefusal(40058, 'invalid parameter: end_time must be an integer unix timestamp');
  }
  // Both ends are floored to their China midnight: only the day matters from here on.
  const first = dayNumberFromSeconds(start);
  const last = dayNumberFromSeconds(end);
  if (last < first) {
    throw new WecomRefusal(40058, 'invalid parameter: end_time is earlier than start_time');
  }
  if (last - first + 1 > MAX_SPAN_DAYS) {
    throw new WecomRefusal(40058, `invalid parameter: the query spans more than ${MAX_SPAN_DAYS} days`);
  }
  const today = dayNumberFromMs(ctx.now());
  const newest = today - 1;
  const oldest = today - OLDEST_DAY_OFFSET;
  if (last > newest || first < oldest) {
    throw new WecomRefusal(
      40058,
      `invalid parameter: days must lie in the window from ${formatDay(oldest)} (180 days ago) ` +
        `to ${formatDay(newest)} (yesterday), China time`,
    );
  }
  return { first, last };
}

function statisticListAnswer(ctx: ApiContext, scope: StatisticScope, days: DayRange): ApiAnswer {
  const extra = ctx.extraFields();
  const list: { stat_time: number; statistic?: Record<string, unknown> }[] = [];
  for (let day = days.first; day <= days.last; day++) {
    const entry: { stat_time: number; statistic?: Record<string, unknown> } = { stat_time: dayStartSeconds(day) };
    const statistic = ctx.publishedStatistic(scope, day);
    if (statistic) entry.statistic = extra ? { ...statistic, ...extra } : statistic;
    list.push(entry);
  }
  return jsonAnswer({ errcode: 0, errmsg: 'ok', statistic_list: list });
}

/** The open_kfid of a body or query: 95000 when missing, 95004 when unknown. */
function knownOpenKfid(ctx: ApiContext, value: unknown): { openKfid: string; servicers: readonly string[] } {
  if (typeof value !== 'string' || value === '') throw new WecomRefusal(95000);
  const servicers = ctx.directory.servicersOf(value);
  if (!servicers) throw new WecomRefusal(95004);
  return { openKfid: value, servicers };
}

const getStatistic: Handler = (ctx, req) => {
  const { corpId, kind } = authorize(ctx, req);
  const body = parseBody(req);
  if (kind !== 'suite-corp') throw new WecomRefusal(48002);
  const days = statisticDays(ctx, body);
  return statisticListAnswer(ctx, { endpoint: 'component', corpId }, days);
};

const getCorpStatistic: Handler = (ctx, req) => {
  const { corpId } = authorize(ctx, req);
  const body = parseBody(req);
  const { openKfid } = knownOpenKfid(ctx, body['open_kfid']);
  const days = statisticDays(ctx, body);
  return statisticListAnswer(ctx, { endpoint: 'corp', corpId, openKfid }, days);
};

const getServicerStatistic: Handler = (ctx, req) => {
  const { corpId } = authorize(ctx, req);
  const body = parseBody(req);
  const { openKfid, servicers } = knownOpenKfid(ctx, body['open_kfid']);
  const servicerValue = body['servicer_userid'];
  let servicerUserid: string | undefined;
  if (servicerValue !== undefined && servicerValue !== null && servicerValue !== '') {
    if (typeof servicerValue !== 'string') {
      throw new WecomRefusal(40058, 'invalid parameter: servicer_userid must be a string');
    }
    if (!servicers.includes(servicerValue)) throw new WecomRefusal(60111);
    servicerUserid = servicerValue;
  }
  const days = statisticDays(ctx, body);
  return statisticListAnswer(ctx, { endpoint: 'servicer', corpId, openKfid, servicerUserid }, days);
};

// ---------------------------------------------------------------------------------------------
// Lists

const listAccounts: Handler = (ctx, req) => {
  authorize(ctx, req);
  const body = parseBody(req);
  const offset = body['offset'] ?? 0;
  const limit = body['limit'] ?? 100;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new WecomRefusal(40058, 'invalid parameter: offset must be an integer >= 0');
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new WecomRefusal(40058, 'invalid parameter: limit must be an integer from 1 to 100');
  }
  const accounts = ctx.directory.accounts.slice(offset, offset + limit).map((account, index) => ({
    open_kfid: account.open_kfid,
    name: account.name,
    avatar: `https://wework.qpic.cn/wwpic/simulator/kf-avatar-${offset + index + 1}/0`,
    manage_privilege: true,
  }));
  return jsonAnswer({ errcode: 0, errmsg: 'ok', account_list: accounts });
};

const listServicers: Handler = (ctx, req) => {
  authorize(ctx, req);
  const { servicers } = knownOpenKfid(ctx, req.query.get('open_kfid') ?? undefined);
  return jsonAnswer({
    errcode: 0,
    errmsg: 'ok',
    servicer_list: servicers.map((userid) => ({ userid, status: 0 })),
  });
};

/** A group robot's webhook (page 91770). */
const robotSend: Handler = (ctx, req) => jsonAnswer({ ...ctx.robots.send(req.query.get('key'), req.body, ctx.now()) });

// ---------------------------------------------------------------------------------------------
// Routing

export function createRoutes(fixtures: SimulatorFixtures): ReadonlyMap<string, Route> {
  return new Map<string, Route>([
    ['/cgi-bin/gettoken', { method: 'GET', handler: getToken }],
    ['/cgi-bin/service/get_suite_token', { method: 'POST', handler: getSuiteToken }],
    ['/cgi-bin/service/get_corp_token', { method: 'POST', handler: getCorpToken }],
    ['/cgi-bin/service/get_permanent_code', { method: 'POST', handler: getPermanentCode }],
    ['/cgi-bin/kf/get_statistic', { method: 'POST', handler: getStatistic }],
    ['/cgi-bin/kf/get_corp_statistic', { method: 'POST', handler: getCorpStatistic }],
    ['/cgi-bin/kf/get_servicer_statistic', { method: 'POST', handler: getServicerStatistic }],
    ['/cgi-bin/kf/account/list', { method: 'POST', handler: listAccounts }],
    ['/cgi-bin/kf/servicer/list', { method: 'GET', handler: listServicers }],
    ['/cgi-bin/webhook/send', { method: 'POST', handler: robotSend }],
    [fixtures.tokenService.path, { method: 'GET', handler: tokenService }],
  ]);
}

/** Answers a request: 404 for an unknown path, 405 for a wrong method, else the endpoint's answer. */
export function dispatch(routes: ReadonlyMap<string, Route>, ctx: ApiContext, req: ApiRequest): ApiAnswer {
  const route = routes.get(req.path);
  if (!route) return textAnswer(404, 'Not Found\n');
  if (req.method !== route.method) return textAnswer(405, 'Method Not Allowed\n', { allow: route.method });
  try {
    return route.handler(ctx, req);
  } catch (error) {
    if (error instanceof WecomRefusal) return errcodeAnswer(error.errcode, error.errmsg);
    throw error;
  }
}

/** A well-formed answer with the wrong shape for a path (the 'schema' fault). */
export function wrongShapeAnswer(path: string): ApiAnswer {
  if (path.endsWith('/account/list')) return jsonAnswer({ errcode: 0, errmsg: 'ok', account_list: 'unavailable' });
  if (path.endsWith('/servicer/list')) return jsonAnswer({ errcode: 0, errmsg: 'ok', servicer_list: { userid: 42 } });
  if (path.includes('statistic')) return jsonAnswer({ errcode: 0, errmsg: 'ok', statistic_list: 'unavailable' });
  return jsonAnswer({ errcode: 0, errmsg: 'ok', access_token: 42, expires_in: 'soon' });
}

/** A body cut off in the middle (the 'malformed' fault). */
export function truncatedAnswer(): ApiAnswer {
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: '{"errcode":0,"errmsg":"ok","statistic_list":[{"stat_time":1700',
  };
}
