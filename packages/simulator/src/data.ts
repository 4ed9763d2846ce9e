/**
 * Deterministic synthetic statistics.
 *
 * Every (seed, endpoint, corp, account, servicer, day) key feeds its own small PRNG, so a day's
 * numbers never depend on which other days or scopes were asked for, and are the same after a
 * restart. Counts are generated first as raw activity (sessions, answered sessions, ratings …);
 * rates and averages are derived from them, and are left out when their denominator is 0, as
 * WeCom does.
 */

import { formatDay, weekday } from './china-day.js';

export type StatisticEndpoint = 'component' | 'corp' | 'servicer';

export interface DataSettings {
  seed: string;
  /** Share of days without any `statistic`, 0..1. */
  quietDayShare: number;
}

export interface StatisticScope {
  endpoint: StatisticEndpoint;
  corpId: string;
  /** Required for 'corp' and 'servicer'; ignored for 'component'. */
  openKfid?: string | undefined;
  /** 'servicer' only: one servicer, or every servicer of the account summed when absent. */
  servicerUserid?: string | undefined;
}

/** 32-bit FNV-1a hash of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function randomFor(...parts: string[]): () => number {
  return mulberry32(fnv1a(parts.join('\u001f')));
}

/** A stable factor in [low, high) for a scope, so corps and accounts differ in size. */
function scaleFor(low: number, high: number, ...parts: string[]): number {
  return low + (high - low) * randomFor('scale', ...parts)();
}

const WEEKDAY_FACTOR = [0.6, 1.1, 1, 1, 1, 0.95, 0.7] as const; // Sunday … Saturday

/** Raw activity of one scope on one day. */
interface Activity {
  sessions: number;
  customers: number;
  customerMsgs: number;
  upgradeServiceCustomers: number;
  botSessions: number;
  transferredSessions: number;
  knowledgeHits: number;
  humanSessions: number;
  answeredSessions: number;
  firstReplyTotalSec: number;
  surveysSent: number;
  ratings: number;
  satisfied: number;
  middling: number;
  dissatisfied: number;
  msgRejectedCustomers: number;
  memberInvites: number;
  memberCustomers: number;
  groupchatInvites: number;
  groupchatCustomers: number;
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/**
 * Generates one day of activity. `mixed` scopes (component, corp) have bot and human sessions;
 * `human` scopes (one servicer) only human ones.
 */
function generateActivity(random: () => number, volume: number, kind: 'mixed' | 'human', slowDay: boolean): Activity {
  const noHuman = random() < 0.1;
  const sessions = kind === 'human' && noHuman ? 0 : Math.max(1, Math.round(volume * (0.7 + 0.6 * random())));
  let botSessions = 0;
  let transferredSessions = 0;
  let humanSessions = sessions;
  if (kind === 'mixed') {
    if (noHuman) {
      botSessions = sessions;
      humanSessions = 0;
    } else {
      botSessions = Math.round(sessions * (0.25 + 0.45 * random()));
      transferredSessions = Math.round(botSessions * (0.05 + 0.3 * random()));
      humanSessions = sessions - botSessions + transferredSessions;
    }
  }
  const customers = sessions === 0 ? 0 : Math.max(1, Math.round(sessions * (0.7 + 0.3 * random())));
  const customerMsgs = Math.round(sessions * (2 + 6 * random()));
  const answeredSessions = humanSessions - Math.floor(humanSessions * 0.08 * random());
  const averageFirstReply = (10 + 170 * random()) * (slowDay ? 1.3 : 1);
  const firstReplyTotalSec = Math.round(averageFirstReply * answeredSessions);
  const noSurvey = random() < 0.06;
  const surveysSent = noSurvey ? 0 : Math.round(humanSessions * (0.4 + 0.5 * random()));
  const nobodyRated = random() < 0.1;
  const ratings = nobodyRated ? 0 : Math.round(surveysSent * (0.1 + 0.5 * random()));
  const satisfied = Math.round(ratings * (0.6 + 0.35 * random()));
  const middling = Math.round((ratings - satisfied) * random());
  const dissatisfied = ratings - satisfied - middling;
  const knowledgeHits = Math.round(botSessions * (0.4 + 0.55 * random()));
  const msgRejectedCustomers = Math.floor(random() * (1 + customers * 0.03));
  const memberInvites = Math.round(humanSessions * 0.1 * random());
  const memberCustomers = Math.round(memberInvites * random());
  const groupchatInvites = Math.round(humanSessions * 0.08 * random());
  const groupchatCustomers = Math.round(groupchatInvites * random());
  const upgradeServiceCustomers = Math.min(customers, Math.round((memberCustomers + groupchatCustomers) * (0.7 + 0.3 * random())));
  return {
    sessions,
    customers,
    customerMsgs,
    upgradeServiceCustomers,
    botSessions,
    transferredSessions,
    knowledgeHits,
    humanSessions,
    answeredSessions,
    firstReplyTotalSec,
    surveysSent,
    ratings,
    satisfied,
    middling,
    dissatisfied,
    msgRejectedCustomers,
    memberInvites,
    memberCustomers,
    groupchatInvites,
    groupchatCustomers,
  };
}

function sumActivities(activities: readonly Activity[]): Activity {
  const total: Activity = {
    sessions: 0,
    customers: 0,
    customerMsgs: 0,
    upgradeServiceCustomers: 0,
    botSessions: 0,
    transferredSessions: 0,
    knowledgeHits: 0,
    humanSessions: 0,
    answeredSessions: 0,
    firstReplyTotalSec: 0,
    surveysSent: 0,
    ratings: 0,
    satisfied: 0,
    middling: 0,
    dissatisfied: 0,
    msgRejectedCustomers: 0,
    memberInvites: 0,
    memberCustomers: 0,
    groupchatInvites: 0,
    groupchatCustomers: 0,
  };
  const keys = Object.keys(total) as (keyof Activity)[];
  for (const activity of activities) {
    for (const key of keys) total[key] += activity[key];
  }
  return total;
}

/**
 * The official fields of each endpoint's `statistic`, in the order WeCom documents them. The three
 * lists differ: corp statistics have no human reply or satisfaction fields, servicer statistics no
 * bot fields. Rates and averages among them are left out on days they cannot be computed.
 */
export const STATISTIC_FIELDS: Readonly<Record<StatisticEndpoint, readonly string[]>> = {
  // kf/get_statistic, page 99367
  component: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'ai_session_reply_cnt',
    'servicer_session_cnt',
    'reply_rate',
    'first_reply_average_sec',
    'satisfaction_investgate_cnt',
    'satisfaction_participation_rate',
    'satisfied_rate',
    'middling_rate',
    'dissatisfied_rate',
  ],
  // kf/get_corp_statistic, pages 95489 and 95492
  corp: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'ai_session_reply_cnt',
    'ai_transfer_rate',
    'ai_knowledge_hit_rate',
    'msg_rejected_customer_cnt',
  ],
  // kf/get_servicer_statistic, pages 95490 and 96433
  servicer: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'reply_rate',
    'first_reply_average_sec',
    'satisfaction_investgate_cnt',
    'satisfaction_participation_rate',
    'satisfied_rate',
    'middling_rate',
    'dissatisfied_rate',
    'msg_rejected_customer_cnt',
    'upgrade_service_member_invite_cnt',
    'upgrade_service_member_customer_cnt',
    'upgrade_service_groupchat_invite_cnt',
    'upgrade_service_groupchat_customer_cnt',
  ],
};

/** Human-service and satisfaction fields (component and servicer statistics), with WeCom's absence rules. */
function humanFields(activity: Activity, humanSessionCount: number): Record<string, number> {
  const fields: Record<string, number> = {};
  if (humanSessionCount > 0) {
    fields['reply_rate'] = round4(activity.answeredSessions / humanSessionCount);
    if (activity.answeredSessions > 0) {
      fields['first_reply_average_sec'] = Math.round(activity.firstReplyTotalSec / activity.answeredSessions);
    }
  }
  fields['satisfaction_investgate_cnt'] = activity.surveysSent;
  if (activity.surveysSent > 0) {
    fields['satisfaction_participation_rate'] = round4(activity.ratings / activity.surveysSent);
  }
  if (activity.ratings > 0) {
    fields['satisfied_rate'] = round4(activity.satisfied / activity.ratings);
    fields['middling_rate'] = round4(activity.middling / activity.ratings);
    fields['dissatisfied_rate'] = round4(activity.dissatisfied / activity.ratings);
  }
  return fields;
}

function componentStatistic(activity: Activity): Record<string, number> {
  return {
    session_cnt: activity.sessions,
    customer_cnt: activity.customers,
    customer_msg_cnt: activity.customerMsgs,
    upgrade_service_customer_cnt: activity.upgradeServiceCustomers,
    ai_session_reply_cnt: activity.botSessions,
    servicer_session_cnt: activity.humanSessions,
    ...humanFields(activity, activity.humanSessions),
  };
}

/** Sessions and bot figures of one account; no human reply or satisfaction fields (page 95492). */
function corpStatistic(activity: Activity): Record<string, number> {
  const statistic: Record<string, number> = {
    session_cnt: activity.sessions,
    customer_cnt: activity.customers,
    customer_msg_cnt: activity.customerMsgs,
    upgrade_service_customer_cnt: activity.upgradeServiceCustomers,
    ai_session_reply_cnt: activity.botSessions,
  };
  if (activity.botSessions > 0) {
    statistic['ai_transfer_rate'] = round4(activity.transferredSessions / activity.botSessions);
    statistic['ai_knowledge_hit_rate'] = round4(activity.knowledgeHits / activity.botSessions);
  }
  statistic['msg_rejected_customer_cnt'] = activity.msgRejectedCustomers;
  return statistic;
}

/** A servicer's sessions are all human sessions: `session_cnt` plays the part of servicer_session_cnt; no bot fields (page 96433). */
function servicerStatistic(activity: Activity): Record<string, number> {
  return {
    session_cnt: activity.sessions,
    customer_cnt: activity.customers,
    customer_msg_cnt: activity.customerMsgs,
    upgrade_service_customer_cnt: activity.upgradeServiceCustomers,
    ...humanFields(activity, activity.sessions),
    msg_rejected_customer_cnt: activity.msgRejectedCustomers,
    upgrade_service_member_invite_cnt: activity.memberInvites,
    upgrade_service_member_customer_cnt: activity.memberCustomers,
    upgrade_service_groupchat_invite_cnt: activity.groupchatInvites,
    upgrade_service_groupchat_customer_cnt: activity.groupchatCustomers,
  };
}

/** Activity of one scope on one day, or undefined on a quiet day. */
function activityFor(
  settings: DataSettings,
  endpoint: StatisticEndpoint,
  corpId: string,
  openKfid: string,
  servicerUserid: string,
  dayNumber: number,
  servicerCount: number,
): Activity | undefined {
  const random = randomFor(settings.seed, endpoint, corpId, openKfid, servicerUserid, formatDay(dayNumber));
  if (random() < settings.quietDayShare) return undefined;
  const day = weekday(dayNumber);
  const dayFactor = WEEKDAY_FACTOR[day] ?? 1;
  const slowDay = day === 0 || day === 6;
  const corpScale = scaleFor(0.5, 2, settings.seed, corpId);
  if (endpoint === 'component') {
    return generateActivity(random, 40 * corpScale * dayFactor, 'mixed', slowDay);
  }
  const accountScale = scaleFor(0.5, 1.5, settings.seed, corpId, openKfid);
  if (endpoint === 'corp') {
    return generateActivity(random, 90 * corpScale * accountScale * dayFactor, 'mixed', slowDay);
  }
  const servicerScale = scaleFor(0.6, 1.4, settings.seed, corpId, openKfid, servicerUserid);
  const volume = ((60 * corpScale * accountScale) / Math.max(1, servicerCount)) * servicerScale * dayFactor;
  return generateActivity(random, volume, 'human', slowDay);
}

/**
 * The `statistic` object of one day for a scope, or undefined when the day is quiet (no data).
 * `accountServicers` lists every servicer of the account ('servicer' only; it sets how the
 * account's volume is shared). Without a servicer in the scope they are all summed and the rates
 * derived from the sums; such a day is quiet only if it is quiet for every servicer.
 */
export function dayStatistic(
  settings: DataSettings,
  scope: StatisticScope,
  dayNumber: number,
  accountServicers: readonly string[],
): Record<string, number> | undefined {
  const openKfid = scope.endpoint === 'component' ? '' : (scope.openKfid ?? '');
  if (scope.endpoint === 'component' || scope.endpoint === 'corp') {
    const activity = activityFor(settings, scope.endpoint, scope.corpId, openKfid, '', dayNumber, 0);
    if (!activity) return undefined;
    return scope.endpoint === 'component' ? componentStatistic(activity) : corpStatistic(activity);
  }
  const servicers = scope.servicerUserid ? [scope.servicerUserid] : accountServicers;
  const activities: Activity[] = [];
  for (const userid of servicers) {
    const activity = activityFor(settings, 'servicer', scope.corpId, openKfid, userid, dayNumber, accountServicers.length);
    if (activity) activities.push(activity);
  }
  if (activities.length === 0) return undefined;
  return servicerStatistic(sumActivities(activities));
}
