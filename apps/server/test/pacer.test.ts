import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { collect } from '../src/collector.js';
import { createPacer, type PacingLimits } from '../src/pacer.js';
import { openStore, type Store } from '../src/store/store.js';
import { maxInWindow, pacerTime } from '@wecom-kf-stats/test-utils';
import { createRuntime, silentLog, simulatorConfigJson, simulatorEnv, simulatorSeriesCount, tempDir } from './helpers.js';
import { startPostgres, type TestPostgres } from './postgres.js';

const limits = (overrides: Partial<PacingLimits> = {}): PacingLimits => ({
  perCorpPerMinute: 10_000,
  perCorpPerHour: 150_000,
  perIpPerMinute: 20_000,
  perIpPerHour: 600_000,
  blockSeconds: 60,
  marginMs: 0,
  ...overrides,
});

describe('a collection under a per-IP minute limit', () => {
  // 1 real second is one minute of the simulator's and the server's clock.
  const SPEEDUP = 60;
  const now = chinaClock({ hour: 10, speedup: SPEEDUP });
  const realSleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      setTimeout(resolve, Math.ceil(ms / SPEEDUP));
    });
  let sim: Simulator;
  let store: Store;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, now, ipRateLimitPerMinute: 30 });
    store = await openStore(tempDir('kf-pace-'));
  });
  afterAll(async () => {
    await store?.close();
    await sim?.close();
  });

  it('meets no 45009 when paced at the limit, and stores every day', async () => {
    const rt = createRuntime(
      simulatorConfigJson(sim, 'unused', { pacing: { perIpPerMinute: 30, marginMs: 10_000 }, concurrency: 4 }),
      simulatorEnv(sim),
      store,
      now,
      'o',
      realSleep,
    );
    try {
      const summary = await collect({ config: rt.config, store, clients: rt.clients, now, owner: 'o', log: silentLog, pollMs: 10 });
      const series = simulatorSeriesCount(sim);
      expect(summary).toMatchObject({ failures: 0, daysStored: series * 180, statisticsCalls: series * 6 });
      expect(sim.calls.filter((c) => c.errcode === 45009)).toEqual([]);
      expect(sim.callCount()).toBeGreaterThan(90);
      const minutes = new Map<number, number>();
      for (const call of sim.calls) minutes.set(Math.floor(call.at / 60_000), (minutes.get(Math.floor(call.at / 60_000)) ?? 0) + 1);
      expect(Math.max(...minutes.values())).toBeLessThanOrEqual(30);
    } finally {
      await rt.close();
    }
  }, 60_000);

  it('a 45009 that still comes pauses the corp for the block before it calls again', async () => {
    const fresh = await openStore(tempDir('kf-pace-'));
    const rt = createRuntime(
      simulatorConfigJson(sim, 'unused', {
        pacing: { blockSeconds: 60 },
        concurrency: 4,
        sources: [(simulatorConfigJson(sim, 'unused').sources as object[])[1]],
      }),
      simulatorEnv(sim),
      fresh,
      now,
      'o',
      realSleep,
    );
    sim.resetCalls();
    try {
      sim.inject({ kind: 'errcode', errcode: 45009, path: '/cgi-bin/kf/get_statistic', times: 1 });
      const summary = await collect({ config: rt.config, store: fresh, clients: rt.clients, now, owner: 'o', log: silentLog, pollMs: 10 });
      expect(summary).toMatchObject({ failures: 0, daysStored: 180 });
      const stats = sim.calls.filter((c) => c.path === '/cgi-bin/kf/get_statistic');
      const blocked = stats.findIndex((c) => c.errcode === 45009);
      expect(blocked).toBeGreaterThanOrEqual(0);
      expect(stats[blocked + 1]!.at - stats[blocked]!.at).toBeGreaterThanOrEqual(60_000);
      expect(await rt.metrics.registry.getSingleMetricAsString('kf_pacer_pauses_total')).toContain(
        'kf_pacer_pauses_total{source="isv",scope="corp"} 1',
      );
      // The pause is logged by the WeCom part's child logger, with fields to filter on.
      const line = rt.logs
        .text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.errcode === 45009);
      expect(line).toMatchObject({ component: 'wecom', source: 'isv', path: '/cgi-bin/kf/get_statistic', scope: 'corp', level: 40 });
    } finally {
      await rt.close();
      await fresh.close();
    }
  }, 60_000);
});

describe('replicas on PostgreSQL share the limits', () => {
  let postgres: TestPostgres;
  let stores: Store[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase();
    stores = [await openStore(url), await openStore(url)];
  }, 120_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await postgres?.stop();
  });

  it('keeps the calls of two replicas together under the per-IP limit in every window, at nearly its pace', async () => {
    // A clock 12 times faster than real time, the same for both (each replica's waits are real
    // waits on it, as two processes' would be). The margin covers the time between a call's
    // place and its start, which a busy machine stretches (at 12 times, a 250 ms stall).
    const speedup = 12;
    const realStart = Date.now();
    const start = Date.UTC(2026, 5, 1, 2);
    const time = {
      now: () => start + (Date.now() - realStart) * speedup,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.ceil(ms / speedup))),
    };
    // When each call went, on the shared clock.
    const counted: number[] = [];
    const pacers = stores.map((store) =>
      createPacer({ limits: limits({ perIpPerMinute: 40, perCorpPerMinute: 1000, marginMs: 3000 }), ...time, shared: store.pacing! }),
    );
    // Each replica calls for its own corps, two at a time: only the IP limit binds them together.
    await Promise.all(
      pacers.flatMap((pacer, r) =>
        [0, 1].map(async (lane) => {
          for (let i = 0; i < 50; i += 1) {
            await pacer.acquire(`ww${r}-${(i + lane) % 7}`, '/cgi-bin/kf/get_statistic');
            counted.push(time.now());
          }
        }),
      ),
    );
    counted.sort((a, b) => a - b);
    expect(counted).toHaveLength(200);
    expect(maxInWindow(counted, 60_000)).toBeLessThanOrEqual(40);
    // The store holds the same count: every call in the IP's slots.
    const [row] = await stores[0]!.query<{ n: number }>(
      `SELECT sum(calls)::int AS n FROM kf_pacing_slots WHERE scope = 'ip:default' AND unit = 'm'`,
    );
    expect(row!.n).toBeGreaterThanOrEqual(200);
    // 200 calls at 40 a minute: the last is counted in the fifth minute (slots of a second, the
    // margin and the store's round trips cost a little of the pace; a busy machine more).
    expect(counted.at(-1)! - counted[0]!).toBeLessThan(6 * 60_000);
  }, 120_000);

  it("a 45009 one replica meets pauses the other's calls for the same scope", async () => {
    const time = pacerTime();
    const [a, b] = stores.map((store) =>
      createPacer({ limits: limits({ blockSeconds: 60 }), ...time, shared: store.pacing!, ipGroup: 'pause-test' }),
    ) as [ReturnType<typeof createPacer>, ReturnType<typeof createPacer>];
    await a.acquire('wwP', '/cgi-bin/kf/get_statistic');
    expect(a.frequencyLimited('wwP', '/cgi-bin/kf/get_statistic')).toBe('corp');
    // The pause reaches the store in the background: wait for it.
    for (let i = 0; i < 50 && (await stores[1]!.query(`SELECT 1 FROM kf_pacing_pauses WHERE scope LIKE 'corp:wwP %'`)).length === 0; i += 1)
      await new Promise((r) => setTimeout(r, 20));
    const before = time.now();
    await b.acquire('wwP', '/cgi-bin/kf/get_statistic');
    expect(time.now() - before).toBeGreaterThanOrEqual(59_000);
    // Another corp is not paused.
    const other = time.now();
    await b.acquire('wwQ', '/cgi-bin/kf/get_statistic');
    expect(time.now()).toBe(other);
  }, 60_000);
});
