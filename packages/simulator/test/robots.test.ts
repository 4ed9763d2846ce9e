import { afterEach, describe, expect, it } from 'vitest';
import { callKf, midnight, postJson, selfBuiltToken, simulatorPool, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

describe('group robots (page 91770)', () => {
  it('takes text and markdown to a known key, and keeps them in order', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now });
    const robot = sim.robots.add();
    expect(robot.url).toBe(`${sim.url}/cgi-bin/webhook/send?key=${robot.key}`);
    expect((await postJson(robot.url, { msgtype: 'text', text: { content: 'hello' } })).body).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await postJson(robot.url, { msgtype: 'markdown', markdown: { content: '## 日报' } })).body['errcode']).toBe(0);
    expect(sim.robots.messages(robot.key).map((m) => [m.msgtype, m.content, m.at])).toEqual([
      ['text', 'hello', clock.ms],
      ['markdown', '## 日报', clock.ms],
    ]);
    expect(sim.callCount('/cgi-bin/webhook/send')).toBe(2);
  });

  it("refuses a key that is not a robot's with 93000, also after the robot is removed", async () => {
    const sim = await pool.start({ now: testClock().now });
    const robot = sim.robots.add('0b6d2a57-1c4e-4bd1-9d55-3a6f0c2e9b11');
    const message = { msgtype: 'text', text: { content: 'x' } };
    expect((await postJson(`${sim.url}/cgi-bin/webhook/send?key=not-a-robot-key`, message)).body['errcode']).toBe(93000);
    expect((await postJson(`${sim.url}/cgi-bin/webhook/send`, message)).body['errcode']).toBe(93000);
    sim.robots.remove(robot.key);
    expect((await postJson(robot.url, message)).body['errcode']).toBe(93000);
    expect(sim.robots.messages()).toEqual([]);
  });

  it('checks the message: its type, and content of at most 2048 bytes (text) or 4096 (markdown)', async () => {
    const sim = await pool.start({ now: testClock().now });
    const { url } = sim.robots.add();
    const errcode = async (body: unknown) => (await postJson(url, body)).body['errcode'];
    expect(await errcode({ msgtype: 'image', image: {} })).toBe(40008);
    expect(await errcode({ markdown: { content: 'x' } })).toBe(40008);
    expect(await errcode({ msgtype: 'markdown', markdown: {} })).toBe(44004);
    // 4096 bytes: 1365 three-byte characters and one byte.
    expect(await errcode({ msgtype: 'markdown', markdown: { content: `${'日'.repeat(1365)}x` } })).toBe(0);
    const over = await postJson(url, { msgtype: 'markdown', markdown: { content: `${'日'.repeat(1365)}xy` } });
    expect(over.body).toMatchObject({ errcode: 40058, errmsg: expect.stringContaining('4096') });
    expect(await errcode({ msgtype: 'text', text: { content: 'a'.repeat(2048) } })).toBe(0);
    expect(await errcode({ msgtype: 'text', text: { content: 'a'.repeat(2049) } })).toBe(40058);
    const raw = await fetch(url, { method: 'POST', body: '{"msgtype":' });
    expect(((await raw.json()) as { errcode: number }).errcode).toBe(40058);
    expect(sim.robots.messages()).toHaveLength(2);
  });

  it('takes 20 messages in any 60 s, then answers 45009 until the oldest is a minute old', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now });
    const robot = sim.robots.add();
    const other = sim.robots.add();
    const send = async (url: string) => (await postJson(url, { msgtype: 'text', text: { content: 'n' } })).body['errcode'];
    for (let i = 0; i < 20; i += 1) {
      expect(await send(robot.url)).toBe(0);
      clock.ms += 1000;
    }
    expect(await send(robot.url)).toBe(45009);
    // Each robot has its own 20.
    expect(await send(other.url)).toBe(0);
    // The first was sent 20 s ago in the clock's terms; 40 s on it leaves the window.
    clock.ms += 39_000;
    expect(await send(robot.url)).toBe(45009);
    clock.ms += 1_000;
    expect(await send(robot.url)).toBe(0);
    expect(sim.robots.messages(robot.key)).toHaveLength(21);
  });
});

describe('shaped days', () => {
  it('sets figures of one series and day, in the answers and in expectedStatistic, and can be removed', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now });
    const token = await selfBuiltToken(sim);
    const corpId = sim.fixtures.selfBuilt.corpId;
    const openKfid = sim.fixtures.accounts[0]!.open_kfid;
    const query = { endpoint: 'servicer' as const, corpId, openKfid, date: '2024-06-10' };
    const before = sim.expectedStatistic(query)!;
    sim.shapeDay(query, { reply_rate: 0.5, first_reply_average_sec: undefined });
    const day = { open_kfid: openKfid, start_time: midnight('2024-06-10'), end_time: midnight('2024-06-10') };
    const answer = await callKf(sim, 'get_servicer_statistic', token, day);
    const statistic = (answer.body['statistic_list'] as { statistic: Record<string, number> }[])[0]!.statistic;
    expect(statistic['reply_rate']).toBe(0.5);
    expect(statistic).not.toHaveProperty('first_reply_average_sec');
    expect(statistic['session_cnt']).toBe(before['session_cnt']);
    expect(sim.expectedStatistic(query)).toEqual(statistic);
    // Other days and series are as generated.
    expect(sim.expectedStatistic({ ...query, date: '2024-06-11' })!['reply_rate']).not.toBe(0.5);
    expect(sim.expectedStatistic({ ...query, endpoint: 'corp' })).not.toHaveProperty('reply_rate');
    sim.shapeDay(query, undefined);
    expect(sim.expectedStatistic(query)).toEqual(before);
    expect(() => sim.shapeDay({ ...query, corpId: 'wwunknown' }, {})).toThrow(/Unknown corp/);
  });
});
