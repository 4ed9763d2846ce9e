import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.js';
import { callKf, midnight, selfBuiltToken, simulatorPool, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const DAY = { start_time: midnight('2024-06-01'), end_time: midnight('2024-06-01') };

async function started(): Promise<{ sim: Simulator; token: string; corpStats: (days?: typeof DAY) => Promise<Response> }> {
  const sim = await pool.start({ now: testClock().now });
  const token = await selfBuiltToken(sim);
  const corpStats = (days = DAY) =>
    fetch(`${sim.url}/cgi-bin/kf/get_corp_statistic?access_token=${token}`, {
      method: 'POST',
      body: JSON.stringify({ open_kfid: sim.fixtures.accounts[0]?.open_kfid, ...days }),
    });
  return { sim, token, corpStats };
}

/** Resolves once the simulator took a request for `path`, and the next turns of its event loop ran (its answer worked out). */
async function arrived(sim: Simulator, path: string): Promise<void> {
  while (sim.callCount(path) === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
}

async function errcodeOf(response: Promise<Response>): Promise<unknown> {
  return ((await (await response).json()) as { errcode?: unknown }).errcode;
}

describe('faults', () => {
  it('an errcode fault answers that errcode once, then the endpoint answers normally', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: -1 });
    const faulted = await corpStats();
    expect(faulted.status).toBe(200);
    expect(await faulted.json()).toEqual({ errcode: -1, errmsg: 'system busy' });
    expect(await errcodeOf(corpStats())).toBe(0);
  });

  it('a fault with times 3 hits the next three matching requests', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: 45033, times: 3 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await errcodeOf(corpStats()));
    expect(codes).toEqual([45033, 45033, 45033, 0]);
  });

  it('a fault with skip 2 lets two matching requests through, then hits', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: 48002, skip: 2 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await errcodeOf(corpStats()));
    expect(codes).toEqual([0, 0, 48002, 0]);
  });

  it('a per-IP minute limit counts every corp together', async () => {
    const sim = await pool.start({ now: testClock().now, ipRateLimitPerMinute: 3 });
    const token = await selfBuiltToken(sim);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await callKf(sim, 'account/list', token, {})).body['errcode']);
    // gettoken counted too: the third list call is the fourth request of the minute.
    expect(codes).toEqual([0, 0, 45009]);
  });

  it('faults are used in the order they were injected', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: -1 });
    sim.inject({ kind: 'errcode', errcode: 45009, errmsg: 'api freq out of limit' });
    expect([await errcodeOf(corpStats()), await errcodeOf(corpStats()), await errcodeOf(corpStats())]).toEqual([-1, 45009, 0]);
  });

  it('a fault for one path is not used by requests to other paths', async () => {
    const { sim, token, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: -1, path: '/cgi-bin/kf/account/list' });
    expect(await errcodeOf(corpStats())).toBe(0);
    expect((await callKf(sim, 'account/list', token, {})).body['errcode']).toBe(-1);
  });

  it('a pattern path hits every path it matches', async () => {
    const { sim, token } = await started();
    sim.inject({ kind: 'errcode', errcode: -1, path: /statistic$/g, times: 2 });
    const body = { open_kfid: sim.fixtures.accounts[0]?.open_kfid, ...DAY };
    expect((await callKf(sim, 'get_corp_statistic', token, body)).body['errcode']).toBe(-1);
    expect((await callKf(sim, 'get_servicer_statistic', token, body)).body['errcode']).toBe(-1);
  });

  it('a fault without a path leaves the token endpoints alone', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: -1 });
    await selfBuiltToken(sim);
    expect(await errcodeOf(corpStats())).toBe(-1);
  });

  it('an http fault answers that status with a small HTML body', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'http', status: 502 });
    const response = await corpStats();
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/502 Bad Gateway/);
  });

  it('a drop fault closes the connection without an answer', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'drop' });
    await expect(corpStats()).rejects.toThrow();
    expect(sim.calls.at(-1)).toMatchObject({ path: '/cgi-bin/kf/get_corp_statistic', status: 0, fault: 'drop' });
  });

  it('a malformed fault answers JSON content that does not parse', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'malformed' });
    const response = await corpStats();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('a schema fault answers errcode 0 with a statistic_list that is not a list', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'schema' });
    const body = (await (await corpStats()).json()) as Record<string, unknown>;
    expect(body['errcode']).toBe(0);
    expect(typeof body['statistic_list']).toBe('string');
  });

  it('a delay fault answers normally after the extra delay', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'delay', ms: 150 });
    const started_ = performance.now();
    expect(await errcodeOf(corpStats())).toBe(0);
    expect(performance.now() - started_).toBeGreaterThanOrEqual(140);
  });

  it('clearFaults drops every queued fault', async () => {
    const { sim, corpStats } = await started();
    sim.inject({ kind: 'errcode', errcode: -1, times: 5 });
    sim.clearFaults();
    expect(await errcodeOf(corpStats())).toBe(0);
  });

  it('latency applies to the token endpoints too', async () => {
    const sim = await pool.start({ latencyMs: 120 });
    const started_ = performance.now();
    await selfBuiltToken(sim);
    expect(performance.now() - started_).toBeGreaterThanOrEqual(110);
  });

  it('with a latency, an answer is worked out when its request arrives and leaves latencyMs later', async () => {
    const { sim, corpStats } = await started();
    const openKfid = sim.fixtures.accounts[0]!.open_kfid;
    // A day with figures: extra fields ride on a day's statistic.
    const date = ['2024-06-01', '2024-06-02', '2024-06-03', '2024-06-04'].find((d) =>
      sim.expectedStatistic({ endpoint: 'corp', corpId: sim.fixtures.selfBuilt.corpId, openKfid, date: d }),
    )!;
    const ask = async () => {
      const response = await corpStats({ start_time: midnight(date), end_time: midnight(date) });
      return ((await response.json()) as { statistic_list: { statistic: Record<string, unknown> }[] }).statistic_list[0]!.statistic;
    };
    sim.setLatency(300);
    const waiting = ask();
    await arrived(sim, '/cgi-bin/kf/get_corp_statistic');
    // Set while the first request waits: only a request that arrives afterwards carries it.
    sim.setExtraFields({ added_later: 1 });
    const [first, second] = await Promise.all([waiting, ask()]);
    expect(first).not.toHaveProperty('added_later');
    expect(second).toHaveProperty('added_later', 1);
  });

  it('a fault injected while a request waits out the latency still hits that request', async () => {
    const { sim, corpStats } = await started();
    sim.setLatency(300);
    const waiting = corpStats();
    await arrived(sim, '/cgi-bin/kf/get_corp_statistic');
    sim.inject({ kind: 'errcode', errcode: -1 });
    expect(await errcodeOf(waiting)).toBe(-1);
    expect(await errcodeOf(corpStats())).toBe(0);
  });

  it('inject refuses a fault with times 0', async () => {
    const sim = await pool.start();
    expect(() => sim.inject({ kind: 'drop', times: 0 })).toThrow(RangeError);
  });
});
