import { afterEach, describe, expect, it } from 'vitest';
import type { ExpectedStatisticQuery, Simulator } from '../src/index.js';
import { callKf, midnight, selfBuiltToken, simulatorPool, statisticList, suiteCorpToken, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const MAY = { start_time: midnight('2024-05-01'), end_time: midnight('2024-05-31') };

function mayDates(): string[] {
  return Array.from({ length: 31 }, (_, i) => `2024-05-${String(i + 1).padStart(2, '0')}`);
}

/** Many past China dates, for properties of the generator (expectedStatistic has no window). */
function manyDates(count: number): string[] {
  const start = Date.UTC(2021, 0, 1);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

type Query = Omit<ExpectedStatisticQuery, 'date'>;

/** The statistics of the given dates that have data. */
function dataDays(sim: Simulator, query: Query, dates: string[]): Record<string, number>[] {
  const days: Record<string, number>[] = [];
  for (const date of dates) {
    const statistic = sim.expectedStatistic({ ...query, date });
    if (statistic) days.push(statistic);
  }
  return days;
}

async function corpMay(sim: Simulator): Promise<unknown> {
  const token = await selfBuiltToken(sim);
  return statisticList(await callKf(sim, 'get_corp_statistic', token, { open_kfid: sim.fixtures.accounts[1]?.open_kfid, ...MAY }));
}

describe('synthetic data', () => {
  it('answers the same numbers after a restart with the same seed', async () => {
    const clock = testClock();
    const first = await corpMay(await pool.start({ now: clock.now }));
    await pool.closeAll();
    const second = await corpMay(await pool.start({ now: clock.now }));
    expect(second).toEqual(first);
  });

  it('answers different numbers with a different seed', async () => {
    const clock = testClock();
    const first = await corpMay(await pool.start({ now: clock.now }));
    const second = await corpMay(await pool.start({ now: clock.now, seed: 'another seed' }));
    expect(second).not.toEqual(first);
  });

  it('expectedStatistic matches what get_corp_statistic answers, day by day', async () => {
    const sim = await pool.start({ now: testClock().now });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const corpId = sim.fixtures.selfBuilt.corpId;
    const list = statisticList(await callKf(sim, 'get_corp_statistic', await selfBuiltToken(sim), { open_kfid: openKfid, ...MAY }));
    expect(list.map((entry) => entry.statistic)).toEqual(
      mayDates().map((date) => sim.expectedStatistic({ endpoint: 'corp', corpId, openKfid, date })),
    );
  });

  it('expectedStatistic matches what get_servicer_statistic answers for one servicer', async () => {
    const sim = await pool.start({ now: testClock().now });
    const openKfid = sim.fixtures.accounts[2]?.open_kfid ?? '';
    const servicerUserid = sim.fixtures.servicers[openKfid]?.[1] ?? '';
    const corpId = sim.fixtures.selfBuilt.corpId;
    const body = { open_kfid: openKfid, servicer_userid: servicerUserid, ...MAY };
    const list = statisticList(await callKf(sim, 'get_servicer_statistic', await selfBuiltToken(sim), body));
    expect(list.map((entry) => entry.statistic)).toEqual(
      mayDates().map((date) => sim.expectedStatistic({ endpoint: 'servicer', corpId, openKfid, servicerUserid, date })),
    );
  });

  it('expectedStatistic matches what get_statistic answers for the authorized corp', async () => {
    const sim = await pool.start({ now: testClock().now });
    const corpId = sim.fixtures.suite.authCorpId;
    const list = statisticList(await callKf(sim, 'get_statistic', await suiteCorpToken(sim), MAY));
    expect(list.map((entry) => entry.statistic)).toEqual(
      mayDates().map((date) => sim.expectedStatistic({ endpoint: 'component', corpId, date })),
    );
  });

  it('sums every servicer of the account when servicer_userid is absent', async () => {
    const sim = await pool.start({ now: testClock().now, quietDayShare: 0 });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const corpId = sim.fixtures.selfBuilt.corpId;
    const date = '2024-05-20';
    const whole = sim.expectedStatistic({ endpoint: 'servicer', corpId, openKfid, date });
    const parts = (sim.fixtures.servicers[openKfid] ?? []).map(
      (servicerUserid) => sim.expectedStatistic({ endpoint: 'servicer', corpId, openKfid, servicerUserid, date })?.['session_cnt'] ?? 0,
    );
    expect(whole?.['session_cnt']).toBe(parts.reduce((a, b) => a + b, 0));
  });

  it('leaves about quietDayShare of the days without statistic', async () => {
    const sim = await pool.start({ quietDayShare: 0.2 });
    const dates = manyDates(1000);
    const quiet = dates.filter(
      (date) =>
        sim.expectedStatistic({
          endpoint: 'corp',
          corpId: sim.fixtures.selfBuilt.corpId,
          openKfid: sim.fixtures.accounts[0]?.open_kfid ?? '',
          date,
        }) === undefined,
    ).length;
    expect(quiet).toBeGreaterThan(150);
    expect(quiet).toBeLessThan(250);
  });

  it('has no quiet days when quietDayShare is 0', async () => {
    const sim = await pool.start({ quietDayShare: 0 });
    const { corpId } = sim.fixtures.selfBuilt;
    expect(manyDates(200).every((date) => sim.expectedStatistic({ endpoint: 'component', corpId, date }) !== undefined)).toBe(true);
  });

  it('omits reply_rate and first_reply_average_sec on days without human sessions, and only then', async () => {
    const sim = await pool.start();
    const { corpId } = sim.fixtures.selfBuilt;
    const days = dataDays(sim, { endpoint: 'component', corpId }, manyDates(500));
    const humanless = days.filter((s) => s['servicer_session_cnt'] === 0);
    expect(humanless.length).toBeGreaterThan(20);
    for (const s of humanless) expect(s).not.toHaveProperty('reply_rate');
    for (const s of humanless) expect(s).not.toHaveProperty('first_reply_average_sec');
    for (const s of days.filter((d) => (d['servicer_session_cnt'] ?? 0) > 0)) expect(s).toHaveProperty('reply_rate');
  });

  it('omits the satisfaction shares on days nobody answered the survey', async () => {
    const sim = await pool.start();
    const { corpId } = sim.fixtures.selfBuilt;
    const days = dataDays(sim, { endpoint: 'component', corpId }, manyDates(500));
    const unrated = days.filter((s) => !s['satisfaction_participation_rate']);
    expect(unrated.length).toBeGreaterThan(20);
    for (const s of unrated) {
      expect(s).not.toHaveProperty('satisfied_rate');
      expect(s).not.toHaveProperty('middling_rate');
      expect(s).not.toHaveProperty('dissatisfied_rate');
    }
  });

  it('keeps counts consistent and rates within 0..1 with four decimals', async () => {
    const sim = await pool.start();
    const { corpId } = sim.fixtures.selfBuilt;
    const openKfid = sim.fixtures.accounts[2]?.open_kfid ?? '';
    const days = dataDays(sim, { endpoint: 'corp', corpId, openKfid }, manyDates(300));
    for (const s of days) {
      expect(s['customer_cnt']).toBeLessThanOrEqual(s['session_cnt'] ?? 0);
      for (const [key, value] of Object.entries(s)) {
        if (key.endsWith('_rate')) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
          expect(Math.round(value * 10_000)).toBeCloseTo(value * 10_000, 6);
        } else {
          expect(Number.isInteger(value)).toBe(true);
        }
      }
      if (s['satisfied_rate'] !== undefined) {
        const shares = (s['satisfied_rate'] ?? 0) + (s['middling_rate'] ?? 0) + (s['dissatisfied_rate'] ?? 0);
        expect(Math.abs(shares - 1)).toBeLessThan(0.001);
      }
    }
  });

  it('omits the bot rates of the corp statistic on days without bot sessions', async () => {
    const sim = await pool.start();
    const { corpId } = sim.fixtures.selfBuilt;
    const openKfid = sim.fixtures.accounts[1]?.open_kfid ?? '';
    const days = dataDays(sim, { endpoint: 'corp', corpId, openKfid }, manyDates(500));
    for (const s of days) {
      expect('ai_transfer_rate' in s).toBe((s['ai_session_reply_cnt'] ?? 0) > 0);
      expect('ai_knowledge_hit_rate' in s).toBe((s['ai_session_reply_cnt'] ?? 0) > 0);
    }
  });

  it('merges setExtraFields into every statistic answered but not into expectedStatistic', async () => {
    const sim = await pool.start({ now: testClock().now });
    sim.setExtraFields({ brand_new_cnt: 7 });
    const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
    const list = statisticList(await callKf(sim, 'get_corp_statistic', await selfBuiltToken(sim), { open_kfid: openKfid, ...MAY }));
    const withData = list.filter((entry) => entry.statistic);
    expect(withData.length).toBeGreaterThan(0);
    for (const entry of withData) expect(entry.statistic?.['brand_new_cnt']).toBe(7);
    const date = '2024-05-01';
    expect(sim.expectedStatistic({ endpoint: 'corp', corpId: sim.fixtures.selfBuilt.corpId, openKfid, date })).not.toHaveProperty(
      'brand_new_cnt',
    );
  });

  it('expectedStatistic throws for an unknown corp', async () => {
    const sim = await pool.start();
    expect(() => sim.expectedStatistic({ endpoint: 'component', corpId: 'wwnobody', date: '2024-05-01' })).toThrow(/Unknown corp/);
  });

  it('extraCorpCount adds self-built and suite-authorized corps with their own data', async () => {
    const sim = await pool.start({ now: testClock().now, extraCorpCount: 2 });
    const [extraSelfBuilt] = sim.fixtures.extraCorps.selfBuilt;
    const [extraAuth] = sim.fixtures.extraCorps.suiteAuth;
    expect(sim.fixtures.extraCorps.selfBuilt).toHaveLength(2);
    expect(sim.fixtures.extraCorps.suiteAuth).toHaveLength(2);
    if (!extraSelfBuilt || !extraAuth) throw new Error('extra corps missing');
    const selfBuiltReply = await callKf(sim, 'get_corp_statistic', await selfBuiltToken(sim, extraSelfBuilt), {
      open_kfid: sim.fixtures.accounts[0]?.open_kfid,
      ...MAY,
    });
    expect(statisticList(selfBuiltReply)).toHaveLength(31);
    expect(await corpMay(sim)).not.toEqual(statisticList(selfBuiltReply));
    const componentReply = await callKf(sim, 'get_statistic', await suiteCorpToken(sim, extraAuth), MAY);
    expect(statisticList(componentReply)).toHaveLength(31);
  });
});
