import { request, Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { callKf, midnight, postJson, selfBuiltToken, simulatorPool, suiteCorpToken, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const DAY = { start_time: midnight('2024-06-01'), end_time: midnight('2024-06-01') };

/** GETs a path over a given agent; resolves with whether the socket was reused. */
function getOver(agent: Agent, url: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server', () => {
  it('listens on a free port of 127.0.0.1 and reports a URL without trailing slash', async () => {
    const sim = await pool.start();
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('logs each call with its path without query, status, errcode, corp and clock time', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now });
    const token = await selfBuiltToken(sim);
    clock.ms += 5_000;
    await callKf(sim, 'get_corp_statistic', token, { open_kfid: 'wkUNKNOWN', ...DAY });
    expect(sim.calls).toEqual([
      { method: 'GET', path: '/cgi-bin/gettoken', status: 200, errcode: 0, corpId: sim.fixtures.selfBuilt.corpId, at: clock.ms - 5_000 },
      {
        method: 'POST',
        path: '/cgi-bin/kf/get_corp_statistic',
        status: 200,
        errcode: 95004,
        corpId: sim.fixtures.selfBuilt.corpId,
        at: clock.ms,
      },
    ]);
  });

  it('never keeps tokens, secrets, tickets or permanent codes in the call log', async () => {
    const sim = await pool.start({ now: testClock().now });
    const tokens = [await selfBuiltToken(sim), await suiteCorpToken(sim)];
    await callKf(sim, 'get_statistic', tokens[1] ?? '', DAY);
    const log = JSON.stringify(sim.calls);
    const { selfBuilt, suite } = sim.fixtures;
    for (const secret of [...tokens, selfBuilt.corpSecret, suite.suiteSecret, suite.suiteTicket, suite.permanentCode]) {
      expect(log).not.toContain(secret);
    }
  });

  it('counts calls by exact path or pattern, and resetCalls starts over', async () => {
    const sim = await pool.start({ now: testClock().now });
    const token = await selfBuiltToken(sim);
    await callKf(sim, 'account/list', token, {});
    await callKf(sim, 'account/list', token, {});
    expect(sim.callCount()).toBe(3);
    expect(sim.callCount('/cgi-bin/kf/account/list')).toBe(2);
    expect(sim.callCount('/cgi-bin/kf/account')).toBe(0);
    expect(sim.callCount(/^\/cgi-bin\/kf\//)).toBe(2);
    sim.resetCalls();
    expect(sim.calls).toHaveLength(0);
  });

  it('answers 45009 over the rate limit of a corp and path within one clock minute', async () => {
    const clock = testClock(Date.parse('2024-06-15T12:00:00+08:00'));
    const sim = await pool.start({ now: clock.now, rateLimitPerMinute: 2 });
    const token = await selfBuiltToken(sim);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await callKf(sim, 'account/list', token, {})).body['errcode']);
    expect(codes).toEqual([0, 0, 45009]);
    expect(sim.calls.at(-1)).toMatchObject({ errcode: 45009, corpId: sim.fixtures.selfBuilt.corpId });
  });

  it('counts the rate limit separately per path and starts again the next minute', async () => {
    const clock = testClock(Date.parse('2024-06-15T12:00:00+08:00'));
    const sim = await pool.start({ now: clock.now });
    const token = await selfBuiltToken(sim);
    sim.setRateLimit(1);
    expect((await callKf(sim, 'account/list', token, {})).body['errcode']).toBe(0);
    expect((await callKf(sim, 'account/list', token, {})).body['errcode']).toBe(45009);
    const other = await callKf(sim, 'get_corp_statistic', token, { open_kfid: sim.fixtures.accounts[0]?.open_kfid, ...DAY });
    expect(other.body['errcode']).toBe(0);
    clock.ms += 60_000;
    expect((await callKf(sim, 'account/list', token, {})).body['errcode']).toBe(0);
  });

  it('setRateLimit(undefined) lifts the limit', async () => {
    const sim = await pool.start({ now: testClock().now, rateLimitPerMinute: 1 });
    const token = await selfBuiltToken(sim);
    sim.setRateLimit(undefined);
    for (let i = 0; i < 3; i++) expect((await callKf(sim, 'account/list', token, {})).body['errcode']).toBe(0);
  });

  it('answers 404 for an unknown path', async () => {
    const sim = await pool.start();
    expect((await fetch(`${sim.url}/cgi-bin/kf/nothing`)).status).toBe(404);
  });

  it('answers 405 for a wrong method', async () => {
    const sim = await pool.start();
    const response = await fetch(`${sim.url}/cgi-bin/kf/get_statistic?access_token=x`);
    expect(response.status).toBe(405);
  });

  it('answers 47001 for a POST body that is not JSON', async () => {
    const sim = await pool.start({ now: testClock().now });
    const token = await selfBuiltToken(sim);
    const response = await fetch(`${sim.url}/cgi-bin/kf/account/list?access_token=${token}`, { method: 'POST', body: 'offset=0' });
    expect(await response.json()).toEqual({ errcode: 47001, errmsg: 'data format error' });
  });

  it('answers 47001 when get_suite_token gets no JSON object', async () => {
    const sim = await pool.start();
    expect((await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, [1, 2])).body['errcode']).toBe(47001);
  });

  it('serves several requests over one keep-alive connection', async () => {
    const sim = await pool.start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getOver(agent, `${sim.url}/cgi-bin/gettoken`);
      const second = await getOver(agent, `${sim.url}/cgi-bin/gettoken`);
      expect([first.reused, second.reused]).toEqual([false, true]);
    } finally {
      agent.destroy();
    }
  });

  it('close ends idle keep-alive connections promptly', async () => {
    const sim = await pool.start();
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      await getOver(agent, `${sim.url}/cgi-bin/gettoken`);
      const startedAt = performance.now();
      await sim.close();
      expect(performance.now() - startedAt).toBeLessThan(1_000);
      await expect(fetch(`${sim.url}/cgi-bin/gettoken`)).rejects.toThrow();
    } finally {
      agent.destroy();
    }
  });

  it('close also ends a request that is still waiting on a delay', async () => {
    const sim = await pool.start({ now: testClock().now });
    const token = await selfBuiltToken(sim);
    sim.inject({ kind: 'delay', ms: 60_000 });
    const pending = callKf(sim, 'account/list', token, {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sim.close();
    await expect(pending).rejects.toThrow();
  });
});
