/**
 * Replicas on one PostgreSQL sharing WeCom's per-IP limit (page 90454) through the store, with no
 * division by hand: the first run of 1,000 provider corps (180 days each) and the daily run of
 * 10,000, each with 1 and with 3 replicas collecting at once. The simulator enforces the limit
 * with 45009; the clock runs faster than real time. Ratios: calls a simulated minute over the
 * limit (backfill), run time over requests / limit (daily).
 */
import { openStore, type SeriesKey, type Store } from '@wecom-kf-stats/server';
import { addDays, chinaDayOfEpochMs } from '@wecom-kf-stats/core/internal';
import { chinaClock } from '@wecom-kf-stats/simulator';
import type { Figure } from './figures.js';
import { startSimProcess } from './sim-process.js';
import { fastClock, providerConfig, scaledPacing, serverRuntime, sharedPostgres, silentLog } from './server-common.js';
import { collect } from '@wecom-kf-stats/server';

interface Run {
  replicas: number;
  corps: number;
  factor: number;
  speedup: number;
  /** China hour the simulated clock starts at. */
  hour: number;
  /** The archive as yesterday's run left it (every day but yesterday), or empty. */
  seeded: boolean;
  concurrency: number;
}

async function replicaRun(run: Run) {
  const pacing = scaledPacing(run.factor);
  const ipLimit = pacing.perIpPerMinute!;
  const postgres = await sharedPostgres();
  const url = await postgres.createDatabase();
  const clock = { startMs: chinaClock({ hour: run.hour })(), realStartMs: Date.now(), speedup: run.speedup };
  const sim = await startSimProcess({ clock, extraCorpCount: run.corps, ipRateLimitPerMinute: ipLimit });
  const now = fastClock(clock.startMs, run.speedup, clock.realStartMs);
  const { json, env } = providerConfig(sim, run.corps, url, { pacing, concurrency: run.concurrency });
  const stores: Store[] = [];
  try {
    for (let i = 0; i < run.replicas; i += 1) stores.push(await openStore(url));
    if (run.seeded) {
      const today = chinaDayOfEpochMs(now());
      const corps = sim.fixtures.extraCorps.suiteAuth.slice(0, run.corps).map((c) => c.authCorpId);
      await stores[0]!.query(
        `INSERT INTO kf_days (source, endpoint, corp_id, open_kfid, servicer_userid, day, stat_time, statistic, fetched_at)
         SELECT 'isv', 'component', c.corp_id, '', '', d::date, ((d::date - DATE '1970-01-01') * 86400 - 28800)::bigint, NULL,
                to_timestamp($4::float8 / 1000)
         FROM unnest($1::text[]) AS c(corp_id) CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS d`,
        [corps, addDays(today, -181), addDays(today, -2), now() - 86_400_000],
      );
      await stores[0]!.registerSeries(
        corps.map((corpId): SeriesKey => ({ source: 'isv', endpoint: 'component', corpId, openKfid: '', servicerUserid: '' })),
      );
    }
    const runtimes = stores.map((store, i) => serverRuntime(json, env, store, now, run.speedup, `replica-${i + 1}`));
    try {
      await sim.resetCalls();
      const wallStart = performance.now();
      const simStart = now();
      const summaries = await Promise.all(
        runtimes.map((rt, i) =>
          collect({ config: rt.config, store: stores[i]!, clients: rt.clients, now, owner: rt.owner, log: silentLog }),
        ),
      );
      const simMinutes = (now() - simStart) / 60_000;
      const wallMs = performance.now() - wallStart;
      const log = await sim.summary();
      const [row] = await stores[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_days');
      return {
        ipLimit,
        log,
        simMinutes,
        wallMs,
        simStart,
        stored: Number(row?.n ?? 0),
        failures: summaries.reduce((n, s) => n + s.failures, 0),
      };
    } finally {
      for (const rt of runtimes) await rt.close();
    }
  } finally {
    for (const store of stores) await store.close();
    await sim.close();
  }
}

export async function benchServerReplicas(): Promise<Figure[]> {
  const figures: Figure[] = [];
  // The first run: 1,000 corps × 180 days under 20,000 × 0.05 = 1,000 calls a minute for the IP.
  // Three replicas in this one process: their clock runs 5× real time (at 10× the 2-core machine's
  // CPU, not the pacing, sets the pace).
  const backfill = await replicaRun({ replicas: 3, corps: 1000, factor: 0.05, speedup: 5, hour: 10, seeded: false, concurrency: 32 });
  {
    const { log, ipLimit, simMinutes } = backfill;
    const windowDays = 180;
    figures.push(
      {
        name: '3 replicas: 1,000 corps × 180 days, wall time',
        value: backfill.wallMs,
        unit: 'ms',
        note: `${simMinutes.toFixed(2)} simulated minutes (clock 5× real time), PostgreSQL, 32 series at once per replica; ${backfill.stored} of ${1000 * windowDays} days stored, ${backfill.failures} series failed`,
      },
      { name: '3 replicas: 45009 answers', value: log.byErrcode['45009'] ?? 0, unit: 'count', note: 'target 0' },
      {
        name: '3 replicas: throughput / shared per-IP limit',
        value: log.calls / simMinutes / ipLimit,
        unit: 'ratio',
        note: `${log.calls} requests in ${simMinutes.toFixed(2)} simulated minutes, limit ${ipLimit}/min for the three together; target ≥ 0.95`,
      },
    );
  }
  // The daily run: 10,000 corps, one new day each, 20,000 × 0.2 = 4,000 calls a minute. The
  // sliding windows let each minute's 4,000 calls go at once, and the replicas' work for them
  // (pacing and claims through PostgreSQL, the simulator's answers) comes in one burst: the
  // clock is slowed until the burst takes at most about a third of its (real) window on the
  // 2-core machine, so that a busier machine still finishes each burst within its window. One
  // replica: clock 2× (a window lasts 30 real seconds); three in this one process: 1×.
  for (const replicas of [1, 3]) {
    const speedup = replicas === 1 ? 2 : 1;
    const daily = await replicaRun({ replicas, corps: 10_000, factor: 0.2, speedup, hour: 6.5, seeded: true, concurrency: 64 });
    const needed = 2 * 10_000 + 1;
    const lowerBound = needed / daily.ipLimit;
    figures.push(
      {
        name: `daily, ${replicas} replica${replicas > 1 ? 's' : ''}: run time / lower bound`,
        value: daily.simMinutes / lowerBound,
        unit: 'ratio',
        note: `${daily.simMinutes.toFixed(2)} simulated minutes (clock ${speedup}× real time) for ${daily.log.calls} requests (${needed} needed) at ${daily.ipLimit}/min; ${daily.log.byErrcode['45009'] ?? 0} answers of 45009; ${daily.failures} series failed; target ≤ 1.05`,
      },
      {
        name: `daily, ${replicas} replica${replicas > 1 ? 's' : ''}: first to last request / lower bound`,
        value: (daily.log.lastAt - daily.log.firstAt) / 60_000 / lowerBound,
        unit: 'ratio',
        note: `the pacing alone; ${((daily.log.firstAt - daily.simStart) / 1000).toFixed(0)} simulated s before the first request`,
      },
    );
  }
  return figures;
}
