/**
 * The pacer: sliding windows per corp and API and per IP, pauses after 45009, and clients that
 * share one pacer staying under the simulator's per-IP limit over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { maxInWindow, pacerTime } from '@wecom-kf-stats/test-utils';
import { createNodeClient } from '../src/node.js';
import { createMemoryTokenStore, createPacer, ValidationError, type PacingLimits } from '../src/index.js';

const limits = (overrides: Partial<PacingLimits> = {}): Partial<PacingLimits> => ({ marginMs: 0, ...overrides });

describe('the pacer', () => {
  it('counts each window a margin longer than WeCom does', async () => {
    const time = pacerTime();
    const pacer = createPacer({ limits: limits({ perCorpPerMinute: 2, marginMs: 1000 }), ...time });
    const t0 = time.now();
    for (let i = 0; i < 3; i += 1) await pacer.acquire('wwA', '/p');
    expect(time.now() - t0).toBe(61_001);
  });

  it("defaults to page 90454's limits", () => {
    expect(createPacer().limits).toEqual({
      perCorpPerMinute: 10_000,
      perCorpPerHour: 150_000,
      perIpPerMinute: 20_000,
      perIpPerHour: 600_000,
      blockSeconds: 60,
      marginMs: 1000,
    });
  });

  it('keeps every 60 s window of one corp and API under the per-minute limit, at full speed otherwise', async () => {
    const time = pacerTime();
    const pacer = createPacer({ limits: limits({ perCorpPerMinute: 100 }), ...time });
    const times: number[] = [];
    for (let i = 0; i < 450; i += 1) {
      await pacer.acquire('wwA', '/cgi-bin/kf/get_corp_statistic');
      times.push(time.now());
    }
    expect(maxInWindow(times, 60_000)).toBe(100);
    // 450 calls at 100 per minute: the last one starts in the fifth minute.
    expect(times.at(-1)! - times[0]!).toBeLessThan(4 * 60_000 + 1000);
  });

  it('counts each API of a corp on its own, and every corp against the one IP limit', async () => {
    const time = pacerTime();
    const pacer = createPacer({ limits: limits({ perCorpPerMinute: 50, perIpPerMinute: 120 }), ...time });
    const byCorp: Record<string, number[]> = {};
    const all: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      const corp = `ww${i % 3}`;
      await pacer.acquire(corp, '/cgi-bin/kf/get_corp_statistic');
      (byCorp[corp] ??= []).push(time.now());
      all.push(time.now());
    }
    for (const times of Object.values(byCorp)) expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(all, 60_000)).toBeLessThanOrEqual(120);
    // Another API of the same corp is not held back by the first one's count.
    const before = time.now();
    await pacer.acquire('ww0', '/cgi-bin/kf/account/list');
    expect(time.now()).toBeLessThan(before + 60_000);
  });

  it('keeps the hour limit too', async () => {
    const time = pacerTime();
    const pacer = createPacer({ limits: limits({ perCorpPerMinute: 1000, perCorpPerHour: 1500 }), ...time });
    const times: number[] = [];
    for (let i = 0; i < 3100; i += 1) {
      await pacer.acquire('wwA', '/p');
      times.push(time.now());
    }
    expect(maxInWindow(times, 3_600_000)).toBe(1500);
    expect(maxInWindow(times, 60_000)).toBe(1000);
  });

  it('pauses the whole corp for the block after a 45009, and the IP when the IP is the one near its limit', async () => {
    const time = pacerTime();
    const pacer = createPacer({ limits: limits({ blockSeconds: 60, perIpPerMinute: 10 }), ...time });
    for (let i = 0; i < 6; i += 1) await pacer.acquire(`ww${i}`, '/cgi-bin/kf/get_corp_statistic');
    expect(pacer.frequencyLimited('wwA', '/cgi-bin/kf/get_corp_statistic')).toEqual({ scope: 'ip', untilMs: time.now() + 60_000 });
    const t0 = time.now();
    await pacer.acquire('wwB', '/cgi-bin/kf/get_corp_statistic');
    expect(time.now() - t0).toBe(60_000);

    const time2 = pacerTime();
    const corpPacer = createPacer({ limits: limits({ blockSeconds: 60, perCorpPerMinute: 10 }), ...time2 });
    await corpPacer.acquire('wwA', '/p');
    expect(corpPacer.frequencyLimited('wwA', '/p').scope).toBe('corp');
    const t1 = time2.now();
    await corpPacer.acquire('wwOther', '/p');
    expect(time2.now()).toBe(t1);
    await corpPacer.acquire('wwA', '/p');
    expect(time2.now() - t1).toBe(60_000);
  });

  it('turns bad limits into one error naming the field, the value and what is allowed', () => {
    const attempt = () => createPacer({ limits: { perIpPerMinute: 0 } });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/pacer\.limits\.perIpPerMinute.*0.*a whole number of 1 or more/);
    expect(() => createPacer({ limits: { marginMs: -5 } })).toThrow(/marginMs.*-5.*from 0 to 60000/);
    expect(() => createPacer({ limits: { perMinute: 5 } as never })).toThrow(/perMinute/);
  });

  it('is checked as a client option', () => {
    expect(() => createNodeClient({ auth: { type: 'selfBuilt', corpId: 'ww1', corpSecret: 's' }, pacer: { acquire: 1 } as never })).toThrow(
      /pacer.*a pacer from createPacer\(\)/,
    );
  });
});

describe('clients sharing one pacer, over real HTTP under a per-IP limit', () => {
  // The simulated clock runs 20× faster: a limit window lasts 3 real seconds.
  const SPEEDUP = 20;
  const LIMIT = 20;
  const CORPS = 6;
  const start = chinaClock({ hour: 10 })();
  const realStart = Date.now();
  const now = () => start + (Date.now() - realStart) * SPEEDUP;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.ceil(ms / SPEEDUP)));
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, now, extraCorpCount: CORPS, ipRateLimitPerMinute: LIMIT });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('fetches every day with no 45009 and keeps each minute under the limit', async () => {
    // Margin 3 simulated s: 150 ms of real delay between the pacer's count and the simulator's.
    const pacer = createPacer({ limits: { perIpPerMinute: LIMIT, marginMs: 3000 }, now, sleep });
    const tokenStore = createMemoryTokenStore();
    const { suite } = sim.fixtures;
    const results = await Promise.all(
      sim.fixtures.extraCorps.suiteAuth.slice(0, CORPS).map(async (corp) => {
        const client = createNodeClient({
          baseUrl: sim.url,
          now,
          tokenStore,
          pacer,
          concurrency: 3,
          // A 45009 blocks one simulated minute.
          retry: { rateLimitDelayMs: 60_000 / SPEEDUP },
          auth: {
            type: 'serviceProvider',
            suiteId: suite.suiteId,
            suiteSecret: suite.suiteSecret,
            suiteTicket: suite.suiteTicket,
            authCorpId: corp.authCorpId,
            permanentCode: corp.permanentCode,
          },
        });
        try {
          return await client.getStatistics({ endpoint: 'component', last: 93 });
        } finally {
          await client.close();
        }
      }),
    );
    expect(results.map((r) => r.days.length)).toEqual(Array(CORPS).fill(93));
    expect(sim.calls.filter((c) => c.errcode === 45009)).toHaveLength(0);
    // 6 corps × (1 corp token + 3 statistics calls) + 1 suite token: more than one window's worth.
    const perMinute = new Map<number, number>();
    for (const call of sim.calls) perMinute.set(Math.floor(call.at / 60_000), (perMinute.get(Math.floor(call.at / 60_000)) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(LIMIT);
    expect(sim.calls.length).toBeGreaterThan(LIMIT);
  }, 30_000);
});
