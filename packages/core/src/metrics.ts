/**
 * The metric catalog: every known statistics field, once. Adapters build their pickers, labels,
 * units and summaries from it; nothing re-lists metrics by hand.
 *
 * Each endpoint has its own official field list, and `endpoints` follows it exactly:
 * - component, kf/get_statistic (page 99367): sessions, bot and human sessions, reply rate, first
 *   reply, satisfaction.
 * - corp, kf/get_corp_statistic (pages 95489, 95492): sessions, bot sessions, bot transfer and
 *   knowledge-hit rates, message rejections. No human reply or satisfaction fields: for those, use
 *   servicer statistics without a servicer (the account's total of human service).
 * - servicer, kf/get_servicer_statistic (pages 95490, 96433): a servicer's sessions are all human
 *   (session_cnt), reply rate, first reply, satisfaction, message rejections, upgraded service. No
 *   bot fields.
 */
import { ValidationError } from './errors.js';

import type { StatisticsEndpoint } from './types.js';
export type { StatisticsEndpoint };
export const STATISTICS_ENDPOINTS: readonly StatisticsEndpoint[] = ['component', 'corp', 'servicer'];

export type MetricKind = 'count' | 'ratio' | 'seconds';

/**
 * How a metric aggregates over several days.
 * - `sum`: counts add up.
 * - `weighted`: a mean weighted by the day's denominator, computed from other metrics of the same
 *   day. The denominator depends on the endpoint (e.g. human sessions are servicer_session_cnt in
 *   component statistics, session_cnt in servicer statistics), so the weight is given it.
 */
export type MetricAggregation =
  | { type: 'sum' }
  | {
      type: 'weighted';
      weight: (day: Readonly<Record<string, unknown>>, endpoint: StatisticsEndpoint) => number | null;
      weightDescription: string;
      approximate: boolean;
    };

export interface MetricDefinition {
  key: string;
  label: { en: string; zh: string };
  description: { en: string; zh: string };
  kind: MetricKind;
  /** Grafana unit id. */
  unit: 'short' | 'percentunit' | 's';
  /** The endpoints whose official field list has this metric. */
  endpoints: readonly StatisticsEndpoint[];
  aggregation: MetricAggregation;
}

const ALL: readonly StatisticsEndpoint[] = ['component', 'corp', 'servicer'];
/** Bot fields: component (page 99367) and corp (page 95492); a servicer's sessions are all human (page 96433). */
const BOT: readonly StatisticsEndpoint[] = ['component', 'corp'];
/** Human-service fields (reply, first reply, satisfaction): component (page 99367) and servicer (page 96433), not corp (page 95492). */
const HUMAN: readonly StatisticsEndpoint[] = ['component', 'servicer'];
const UNIT: Record<MetricKind, MetricDefinition['unit']> = { count: 'short', ratio: 'percentunit', seconds: 's' };

function num(day: Readonly<Record<string, unknown>>, key: string): number | null {
  const value = day[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
function product(day: Readonly<Record<string, unknown>>, a: string, b: string): number | null {
  const x = num(day, a);
  const y = num(day, b);
  return x === null || y === null ? null : x * y;
}

const SUM: MetricAggregation = { type: 'sum' };
/** Sessions a human handled: servicer_session_cnt in component statistics; session_cnt in servicer statistics (all human). */
function humanSessions(day: Readonly<Record<string, unknown>>, endpoint: StatisticsEndpoint): number | null {
  return num(day, endpoint === 'servicer' ? 'session_cnt' : 'servicer_session_cnt');
}
const byHumanSessions: MetricAggregation = {
  type: 'weighted',
  weight: humanSessions,
  weightDescription: 'sessions assigned to a human agent (servicer_session_cnt; session_cnt in servicer statistics)',
  approximate: false,
};
const byAnsweredSessions: MetricAggregation = {
  type: 'weighted',
  weight: (d, endpoint) => {
    const rate = num(d, 'reply_rate');
    const human = humanSessions(d, endpoint);
    return rate === null || human === null ? null : rate * human;
  },
  weightDescription: 'answered sessions = reply_rate × human sessions',
  approximate: false,
};
const bySurveysSent: MetricAggregation = {
  type: 'weighted',
  weight: (d) => num(d, 'satisfaction_investgate_cnt'),
  weightDescription: 'satisfaction_investgate_cnt (surveys sent)',
  approximate: false,
};
const byRatingsGiven: MetricAggregation = {
  type: 'weighted',
  weight: (d) => product(d, 'satisfaction_participation_rate', 'satisfaction_investgate_cnt'),
  weightDescription: 'ratings given = satisfaction_participation_rate × satisfaction_investgate_cnt',
  approximate: false,
};
const byBotSessions: MetricAggregation = {
  type: 'weighted',
  weight: (d) => num(d, 'ai_session_reply_cnt'),
  weightDescription: 'ai_session_reply_cnt (bot sessions)',
  approximate: false,
};
const byBotSessionsApprox: MetricAggregation = {
  type: 'weighted',
  weight: (d) => num(d, 'ai_session_reply_cnt'),
  weightDescription: 'ai_session_reply_cnt (bot sessions; the true denominator, bot questions, is not published)',
  approximate: true,
};

function metric(
  key: string,
  kind: MetricKind,
  en: string,
  zh: string,
  descriptionEn: string,
  descriptionZh: string,
  endpoints: readonly StatisticsEndpoint[],
  aggregation: MetricAggregation,
): MetricDefinition {
  return {
    key,
    kind,
    unit: UNIT[kind],
    label: { en, zh },
    description: { en: descriptionEn, zh: descriptionZh },
    endpoints,
    aggregation,
  };
}

export const METRICS: readonly MetricDefinition[] = [
  metric(
    'session_cnt',
    'count',
    'Sessions',
    '咨询会话数',
    'Sessions where the customer wrote and was assigned to an agent or the bot (servicer statistics: to a human agent)',
    '客户发过消息并分配给接待人员或智能助手的会话数（接待人员统计：分配给接待人员的会话）',
    ALL,
    SUM,
  ),
  metric(
    'customer_cnt',
    'count',
    'Customers',
    '咨询客户数',
    'Distinct customers who wrote in a session',
    '在会话中发送过消息的客户数',
    ALL,
    SUM,
  ),
  metric('customer_msg_cnt', 'count', 'Customer messages', '咨询消息总数', 'Messages customers sent', '客户在会话中发送的消息数', ALL, SUM),
  metric(
    'upgrade_service_customer_cnt',
    'count',
    'Upgraded-service customers',
    '升级服务客户数',
    'Customers offered an upgraded service',
    '通过升级服务的客户数',
    ALL,
    SUM,
  ),
  metric(
    'ai_session_reply_cnt',
    'count',
    'Bot sessions',
    '智能回复会话数',
    'Sessions assigned to the bot',
    '分配给智能助手的会话数',
    BOT,
    SUM,
  ),
  metric(
    'servicer_session_cnt',
    'count',
    'Human sessions',
    '接入人工会话数',
    'Sessions assigned to a human agent',
    '分配给接待人员的会话数',
    ['component'],
    SUM,
  ),
  metric(
    'reply_rate',
    'ratio',
    'Reply rate',
    '人工回复率',
    'Share of human-assigned sessions the agent answered',
    '接待人员回复的会话占接入人工会话的比例',
    HUMAN,
    byHumanSessions,
  ),
  metric(
    'first_reply_average_sec',
    'seconds',
    'Average first reply',
    '平均首次回复时长',
    'Total first-reply time / answered sessions, seconds',
    '首次回复总时长 / 已回复会话数（秒）',
    HUMAN,
    byAnsweredSessions,
  ),
  metric(
    'satisfaction_investgate_cnt',
    'count',
    'Surveys sent',
    '满意度评价发送数',
    'Satisfaction surveys sent (0 when the API manages session assignment)',
    '发送的满意度评价数（由 API 分配会话时为 0）',
    HUMAN,
    SUM,
  ),
  metric(
    'satisfaction_participation_rate',
    'ratio',
    'Survey participation',
    '满意度参评率',
    'Share of surveys answered',
    '满意度评价的参评比例',
    HUMAN,
    bySurveysSent,
  ),
  metric(
    'satisfied_rate',
    'ratio',
    'Satisfied',
    '满意率',
    'Share of ratings that were satisfied',
    '评价为满意的比例',
    HUMAN,
    byRatingsGiven,
  ),
  metric('middling_rate', 'ratio', 'Neutral', '一般率', 'Share of ratings that were neutral', '评价为一般的比例', HUMAN, byRatingsGiven),
  metric(
    'dissatisfied_rate',
    'ratio',
    'Dissatisfied',
    '不满意率',
    'Share of ratings that were dissatisfied',
    '评价为不满意的比例',
    HUMAN,
    byRatingsGiven,
  ),
  metric(
    'ai_transfer_rate',
    'ratio',
    'Transfer to human',
    '转人工率',
    'Share of bot sessions transferred to a human',
    '智能助手会话中转人工的比例',
    ['corp'],
    byBotSessions,
  ),
  metric(
    'ai_knowledge_hit_rate',
    'ratio',
    'Knowledge hit rate',
    '知识命中率',
    'Share of bot answers that hit the knowledge base',
    '智能助手回复命中知识库的比例',
    ['corp'],
    byBotSessionsApprox,
  ),
  metric(
    'msg_rejected_customer_cnt',
    'count',
    'Customers who rejected messages',
    '拒收消息客户数',
    'Customers who chose to reject messages',
    '选择拒收消息的客户数',
    ['corp', 'servicer'],
    SUM,
  ),
  metric(
    'upgrade_service_member_invite_cnt',
    'count',
    'Member invites',
    '邀请添加成员数',
    'Upgraded-service invitations to add a member',
    '升级服务中邀请客户添加成员的次数',
    ['servicer'],
    SUM,
  ),
  metric(
    'upgrade_service_member_customer_cnt',
    'count',
    'Customers who added a member',
    '添加成员客户数',
    'Customers who added the member',
    '通过邀请添加成员的客户数',
    ['servicer'],
    SUM,
  ),
  metric(
    'upgrade_service_groupchat_invite_cnt',
    'count',
    'Group-chat invites',
    '邀请入群数',
    'Upgraded-service invitations to a group chat',
    '升级服务中邀请客户入群的次数',
    ['servicer'],
    SUM,
  ),
  metric(
    'upgrade_service_groupchat_customer_cnt',
    'count',
    'Customers who joined a group',
    '入群客户数',
    'Customers who joined the group chat',
    '通过邀请入群的客户数',
    ['servicer'],
    SUM,
  ),
];

const BY_KEY = new Map(METRICS.map((m) => [m.key, m]));

export function getMetric(key: string): MetricDefinition | undefined {
  return BY_KEY.get(key);
}

const KEYS_BY_ENDPOINT = new Map(
  (['component', 'corp', 'servicer'] as const).map((e) => [e, METRICS.filter((m) => m.endpoints.includes(e)).map((m) => m.key)]),
);

export function metricsFor(endpoint: StatisticsEndpoint): MetricDefinition[] {
  return METRICS.filter((m) => m.endpoints.includes(endpoint));
}

export function metricKeysFor(endpoint: StatisticsEndpoint): string[] {
  return [...(KEYS_BY_ENDPOINT.get(endpoint) ?? [])];
}

/** The same keys, shared and read-only (hot path: one call per decoded day). */
export function metricKeysView(endpoint: StatisticsEndpoint): readonly string[] {
  return KEYS_BY_ENDPOINT.get(endpoint) ?? [];
}

/** A label in the requested language, falling back to the key for unknown fields. */
export function metricLabel(key: string, language: 'en' | 'zh' = 'en'): string {
  return BY_KEY.get(key)?.label[language] ?? key;
}

/** For a metric of other endpoints only: where it is, and how to get an account's human service. */
function elsewhere(endpoint: StatisticsEndpoint, key: string): string | undefined {
  const others = BY_KEY.get(key)?.endpoints.filter((e) => e !== endpoint);
  if (!others?.length) return undefined;
  const human =
    endpoint === 'corp' && others.includes('servicer')
      ? "; for an account's human service, ask servicer statistics without a servicer"
      : '';
  return `a field of ${others.join(' and ')} statistics only${human}`;
}

/** What a field name WeCom sends looks like: lower-case words joined by underscores. */
const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Parse a user's metric pick ("session_cnt,reply_rate" or a list) for an endpoint. Keys the
 * catalog does not know are taken as fields WeCom added since (they reach users by their key); a
 * known metric of another endpoint, or a key that cannot be a field name, is a ValidationError
 * naming what is allowed. Empty means every metric of the endpoint, unless `emptyMeansAll` is false
 * (a flag given with an empty value).
 */
export function parseMetricSelection(
  endpoint: StatisticsEndpoint,
  input: string | readonly string[] | undefined,
  field = 'metrics',
  options: { emptyMeansAll?: boolean } = {},
): string[] {
  const allowed = metricKeysFor(endpoint);
  const allowedText = `comma-separated metric keys of ${endpoint} statistics (${allowed.join(', ')}), or fields WeCom sends that this version does not know yet`;
  const keys = (typeof input === 'string' ? input.split(',') : (input ?? [])).map((k) => String(k).trim()).filter(Boolean);
  if (keys.length === 0) {
    if (options.emptyMeansAll === false)
      throw new ValidationError(field, typeof input === 'string' ? input : [...(input ?? [])], allowedText);
    return allowed;
  }
  for (const key of keys) {
    if (allowed.includes(key)) continue;
    const other = elsewhere(endpoint, key);
    if (other !== undefined) throw new ValidationError(field, key, `metrics of ${endpoint} statistics: ${allowed.join(', ')}`, other);
    if (!FIELD_NAME.test(key)) throw new ValidationError(field, key, allowedText, 'not a field name');
  }
  return [...new Set(keys)];
}
