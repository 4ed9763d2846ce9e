/**
 * The server's first run for a service provider with 1,000 authorized corps: 180 days of component
 * statistics each (6 calls of ≤31 days per corp, plus each corp's token), into the embedded store,
 * under a per-IP minute limit that the simulator enforces with 45009.
 *
 * The limit is page 90454's per-IP 20,000 a minute scaled down (with the server's `pacing` scaled
 * alike), so that the run spans several limit windows instead of one burst; the simulated clock
 * (simulator, pacer, collector) runs faster than real time so those minutes pass in seconds.
 */
import { openStore } from '@wecom-kf-stats/server';
import { daysBetween, statisticsWindow } from '@wecom-kf-stats/core/internal';
import { chinaClock } from '@wecom-kf-stats/simulator';
import type { Figure } from './figures.js';
import { startSimProcess } from './sim-process.js';
import { fastClock, providerConfig, scaledPacing, serverRuntime, timedCollect, tempStoreDir } from './server-common.js';

const CORPS = 1000;
/** Per-IP calls a minute: 20,000 × 0.05. */
const FACTOR = 0.05;
/**
 * Clock 5× real time: the pacer's 1 s margin is 200 real ms of delay between its count and the
 * simulator's. At 10× (100 ms) a busy moment of the 2-core machine let a few calls cross into a
 * full minute (5 answers of 45009 in 1 of 3 runs).
 */
const SPEEDUP = 5;
const CONCURRENCY = 64;

function daysInWindow(nowMs: number): number {
  const { oldest, newest } = statisticsWindow(nowMs);
  return daysBetween(oldest, newest) + 1;
}

export async function benchServerBackfill(): Promise<Figure[]> {
  const pacing = scaledPacing(FACTOR);
  const ipLimit = pacing.perIpPerMinute!;
  // 10:00 China time: yesterday is final, and the run cannot cross China midnight.
  const clock = { startMs: chinaClock({ hour: 10 })(), realStartMs: Date.now(), speedup: SPEEDUP };
  const now = fastClock(clock.startMs, SPEEDUP, clock.realStartMs);
  const sim = await startSimProcess({ clock, extraCorpCount: CORPS, ipRateLimitPerMinute: ipLimit });
  const storeDir = tempStoreDir('backfill');
  const store = await openStore(storeDir.dir);
  const { json, env } = providerConfig(sim, CORPS, storeDir.dir, { pacing, concurrency: CONCURRENCY });
  const runtime = serverRuntime(json, env, store, now, SPEEDUP);
  const windowDays = daysInWindow(now());
  try {
    const { summary, simStart, simMinutes, wallMs } = await timedCollect(runtime, store, now, sim);
    const [row] = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_days');
    const stored = Number(row?.n ?? 0);
    const log = await sim.summary();
    const calls = log.calls;
    const limited = log.byErrcode['45009'] ?? 0;
    const statisticsCalls = log.byPath['/cgi-bin/kf/get_statistic'] ?? 0;
    // Every request counts against the IP in the pacer (token calls too): the share of the limit
    // used is requests per simulated minute of the whole run (discovery included) over the limit.
    const perMinute = calls / simMinutes;
    const lowerBoundMinutes = calls / ipLimit;
    return [
      {
        name: `${CORPS} corps × ${windowDays} days, wall time`,
        value: wallMs,
        unit: 'ms',
        note: `${simMinutes.toFixed(2)} simulated minutes (clock ${SPEEDUP}× real time), embedded store, ${CONCURRENCY} series at once`,
      },
      { name: 'days stored', value: stored, unit: 'days', note: `of ${CORPS * windowDays}; ${summary.failures} series failed` },
      { name: 'lost days', value: CORPS * windowDays - stored, unit: 'days', note: 'target 0' },
      {
        name: 'requests sent',
        value: calls,
        unit: 'calls',
        note: `${statisticsCalls} statistics (minimum ${CORPS * Math.ceil(windowDays / 31)}), ${log.byPath['/cgi-bin/service/get_corp_token'] ?? 0} corp tokens, ${log.byPath['/cgi-bin/service/get_suite_token'] ?? 0} suite tokens; busiest simulated minute ${log.busiestMinute} statistics calls`,
      },
      { name: '45009 answers', value: limited, unit: 'count', note: 'target 0' },
      {
        name: 'throughput',
        value: perMinute,
        unit: 'calls/min',
        note: `per-IP limit ${ipLimit}/min (page 90454's 20,000 × ${FACTOR}), enforced by the simulator`,
      },
      {
        name: 'throughput / limit',
        value: perMinute / ipLimit,
        unit: 'ratio',
        note: `target ≥ 0.95 in each of 3 consecutive runs (lower bound ${lowerBoundMinutes.toFixed(2)} min, took ${simMinutes.toFixed(2)})`,
      },
      {
        name: 'before the first request',
        value: (log.firstAt - simStart) / SPEEDUP,
        unit: 'ms',
        note: `real time: discovery of ${CORPS} corps and series registration (${((log.firstAt - simStart) / 1000).toFixed(0)} simulated s)`,
      },
    ];
  } finally {
    await runtime.close();
    await store.close();
    await sim.close();
    storeDir.remove();
  }
}
