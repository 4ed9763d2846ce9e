import { afterEach, describe, expect, it } from 'vitest';
import { callKf, midnight, selfBuiltToken, simulatorPool, statisticList, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

/** A simulator at 2024-06-15 12:00 China time, a token, and a corp-statistics caller. */
async function corpStats(clockMs?: number, quietDayShare?: number) {
  const clock = testClock(clockMs);
  const sim = await pool.start({ now: clock.now, ...(quietDayShare === undefined ? {} : { quietDayShare }) });
  const token = await selfBuiltToken(sim);
  const openKfid = sim.fixtures.accounts[0]?.open_kfid ?? '';
  const query = (body: Record<string, unknown>) => callKf(sim, 'get_corp_statistic', token, { open_kfid: openKfid, ...body });
  return { sim, clock, query, openKfid };
}

describe('statistics window', () => {
  it('answers one entry per day in order, each stamped with its China midnight', async () => {
    const { query } = await corpStats();
    const reply = await query({ start_time: midnight('2024-06-01'), end_time: midnight('2024-06-05') });
    expect(reply.body['errcode']).toBe(0);
    expect(statisticList(reply).map((entry) => entry.stat_time)).toEqual(
      ['2024-06-01', '2024-06-02', '2024-06-03', '2024-06-04', '2024-06-05'].map(midnight),
    );
  });

  it('floors a time that is not midnight to that China day, as in the official example', async () => {
    const { query } = await corpStats(Date.parse('2019-04-10T12:00:00+08:00'));
    const reply = await query({ start_time: 1554296400, end_time: 1554296400 });
    expect(statisticList(reply).map((entry) => entry.stat_time)).toEqual([1554220800]);
  });

  it('accepts a span of exactly 31 days inclusive', async () => {
    const { query } = await corpStats();
    const reply = await query({ start_time: midnight('2024-05-01'), end_time: midnight('2024-05-31') });
    expect(statisticList(reply)).toHaveLength(31);
  });

  it('refuses a span of 32 days with 40058 naming the 31-day limit', async () => {
    const { query } = await corpStats();
    const { body } = await query({ start_time: midnight('2024-05-01'), end_time: midnight('2024-06-01') });
    expect(body['errcode']).toBe(40058);
    expect(String(body['errmsg'])).toMatch(/31 days/);
  });

  it('refuses today with 40058 naming the window', async () => {
    const { query } = await corpStats();
    const { body } = await query({ start_time: midnight('2024-06-14'), end_time: midnight('2024-06-15') });
    expect(body['errcode']).toBe(40058);
    expect(String(body['errmsg'])).toMatch(/window.*2023-12-18.*2024-06-14/);
  });

  it('accepts the day 180 days ago and refuses the day before it', async () => {
    const { query } = await corpStats();
    const oldest = await query({ start_time: midnight('2023-12-18'), end_time: midnight('2023-12-18') });
    expect(oldest.body['errcode']).toBe(0);
    const tooOld = await query({ start_time: midnight('2023-12-17'), end_time: midnight('2023-12-18') });
    expect(tooOld.body['errcode']).toBe(40058);
  });

  it('refuses an end before the start with 40058', async () => {
    const { query } = await corpStats();
    const { body } = await query({ start_time: midnight('2024-06-10'), end_time: midnight('2024-06-09') });
    expect(body['errcode']).toBe(40058);
  });

  it('refuses a missing or non-integer start_time with 40058', async () => {
    const { query } = await corpStats();
    expect((await query({ end_time: midnight('2024-06-09') })).body['errcode']).toBe(40058);
    expect((await query({ start_time: String(midnight('2024-06-09')), end_time: midnight('2024-06-09') })).body['errcode']).toBe(40058);
  });

  it('judges today by China time, not UTC, just after China midnight', async () => {
    // 2024-06-15 00:30 China is still 2024-06-14 in UTC.
    const { query } = await corpStats(Date.parse('2024-06-15T00:30:00+08:00'));
    const yesterday = await query({ start_time: midnight('2024-06-14'), end_time: midnight('2024-06-14') });
    expect(yesterday.body['errcode']).toBe(0);
    const today = await query({ start_time: midnight('2024-06-15'), end_time: midnight('2024-06-15') });
    expect(today.body['errcode']).toBe(40058);
  });

  it('leaves yesterday without statistic before 06:00 China time and fills it from 06:00', async () => {
    const { clock, query } = await corpStats(Date.parse('2024-06-15T05:59:59+08:00'), 0);
    const range = { start_time: midnight('2024-06-13'), end_time: midnight('2024-06-14') };
    const early = statisticList(await query(range));
    expect(early[0]?.statistic).toBeDefined();
    expect(early[1]).toEqual({ stat_time: midnight('2024-06-14') });
    clock.ms = Date.parse('2024-06-15T06:00:00+08:00');
    const ready = statisticList(await query(range));
    expect(ready[1]?.statistic).toBeDefined();
  });
});
