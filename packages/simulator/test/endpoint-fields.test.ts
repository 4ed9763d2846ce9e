/**
 * Each statistics endpoint answers with its own official field list (corp: pages 95489 / 95492;
 * servicer: pages 95490 / 96433; component: page 99367), nothing invented.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STATISTIC_FIELDS, type ExpectedStatisticQuery, type Simulator } from '../src/index.js';
import { callKf, midnight, selfBuiltToken, simulatorPool, statisticList, suiteCorpToken, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const OFFICIAL = {
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
} as const;
/** Fields present on every day with data (counts); rates and averages may be absent. */
const ALWAYS = {
  component: OFFICIAL.component.filter((k) => k.endsWith('_cnt')),
  corp: OFFICIAL.corp.filter((k) => k.endsWith('_cnt')),
  servicer: OFFICIAL.servicer.filter((k) => k.endsWith('_cnt')),
};

const MAY = { start_time: midnight('2024-05-01'), end_time: midnight('2024-05-31') };

function manyDates(count: number): string[] {
  const start = Date.UTC(2021, 0, 1);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

function dataDays(sim: Simulator, query: Omit<ExpectedStatisticQuery, 'date'>, dates: string[]): Record<string, number>[] {
  return dates.flatMap((date) => {
    const statistic = sim.expectedStatistic({ ...query, date });
    return statistic ? [statistic] : [];
  });
}

/** Every day carries only official fields and always the counts; over many days every official field shows up. */
function expectOfficialFields(days: readonly Record<string, unknown>[], endpoint: keyof typeof OFFICIAL): void {
  expect(days.length).toBeGreaterThan(20);
  const seen = new Set<string>();
  for (const day of days) {
    for (const key of Object.keys(day)) {
      expect(OFFICIAL[endpoint], `${endpoint} field ${key}`).toContain(key);
      seen.add(key);
    }
    for (const key of ALWAYS[endpoint]) expect(day, `${endpoint} count ${key}`).toHaveProperty(key);
  }
  expect(OFFICIAL[endpoint].filter((key) => seen.has(key))).toEqual(OFFICIAL[endpoint]);
}

describe('each endpoint answers with its own official fields', () => {
  it('STATISTIC_FIELDS lists the official fields of each endpoint', () => {
    expect(STATISTIC_FIELDS).toEqual(OFFICIAL);
  });

  it('get_corp_statistic answers exactly the corp fields: no reply, first reply, human sessions or satisfaction', async () => {
    const sim = await pool.start({ now: testClock().now });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const list = statisticList(await callKf(sim, 'get_corp_statistic', await selfBuiltToken(sim), { open_kfid: openKfid, ...MAY }));
    const answered = list.flatMap((entry) => (entry.statistic ? [entry.statistic] : []));
    for (const day of answered) {
      for (const key of [
        'reply_rate',
        'first_reply_average_sec',
        'servicer_session_cnt',
        'satisfaction_investgate_cnt',
        'satisfied_rate',
      ]) {
        expect(day).not.toHaveProperty(key);
      }
    }
    expectOfficialFields(answered, 'corp');
    expectOfficialFields(dataDays(sim, { endpoint: 'corp', corpId: sim.fixtures.selfBuilt.corpId, openKfid }, manyDates(300)), 'corp');
  });

  it('get_servicer_statistic answers exactly the servicer fields, with no bot fields, for one servicer and for all', async () => {
    const sim = await pool.start({ now: testClock().now });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const servicerUserid = sim.fixtures.servicers[openKfid]?.[0] ?? '';
    const token = await selfBuiltToken(sim);
    for (const body of [
      { open_kfid: openKfid, ...MAY },
      { open_kfid: openKfid, servicer_userid: servicerUserid, ...MAY },
    ]) {
      const answered = statisticList(await callKf(sim, 'get_servicer_statistic', token, body)).flatMap((e) =>
        e.statistic ? [e.statistic] : [],
      );
      for (const day of answered) {
        expect(Object.keys(day).filter((key) => key.startsWith('ai_') || key === 'servicer_session_cnt')).toEqual([]);
      }
      expectOfficialFields(answered, 'servicer');
    }
    const corpId = sim.fixtures.selfBuilt.corpId;
    expectOfficialFields(dataDays(sim, { endpoint: 'servicer', corpId, openKfid }, manyDates(300)), 'servicer');
    expectOfficialFields(dataDays(sim, { endpoint: 'servicer', corpId, openKfid, servicerUserid }, manyDates(300)), 'servicer');
  });

  it('get_statistic answers exactly the component fields', async () => {
    const sim = await pool.start({ now: testClock().now });
    const answered = statisticList(await callKf(sim, 'get_statistic', await suiteCorpToken(sim), MAY)).flatMap((e) =>
      e.statistic ? [e.statistic] : [],
    );
    expectOfficialFields(answered, 'component');
    expectOfficialFields(dataDays(sim, { endpoint: 'component', corpId: sim.fixtures.suite.authCorpId }, manyDates(300)), 'component');
  });

  it('still adds the unknown fields of setExtraFields to every endpoint’s answer', async () => {
    const sim = await pool.start({ now: testClock().now });
    sim.setExtraFields({ brand_new_cnt: 3 });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const list = statisticList(await callKf(sim, 'get_servicer_statistic', await selfBuiltToken(sim), { open_kfid: openKfid, ...MAY }));
    const answered = list.flatMap((e) => (e.statistic ? [e.statistic] : []));
    expect(answered.length).toBeGreaterThan(0);
    for (const day of answered) expect(day['brand_new_cnt']).toBe(3);
  });
});
