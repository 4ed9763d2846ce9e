/**
 * A 180-day fetch with 100 ms per call. Lower bound: one token call, then one parallel wave of
 * 6 statistics calls (180 days = 6 chunks of ≤31 days) = 2 round trips. Baseline: the same fetch
 * one chunk at a time, measured in the same run.
 */
import { createNodeClient, type NodeKfStatsClient } from '@wecom-kf-stats/core/node';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { median, type Figure } from './figures.js';

const LATENCY_MS = 100;
const RUNS = 3;

// 10:00 China time on both sides: yesterday is final, so the warm repeat measures the cache alone.
const now = chinaClock({ hour: 10 });

function client(sim: Simulator, concurrency: number): NodeKfStatsClient {
  const { selfBuilt } = sim.fixtures;
  return createNodeClient({
    baseUrl: sim.url,
    now,
    auth: { type: 'selfBuilt', corpId: selfBuilt.corpId, corpSecret: selfBuilt.corpSecret },
    concurrency,
  });
}

async function coldFetch(
  sim: Simulator,
  concurrency: number,
): Promise<{ ms: number; calls: number; days: number; warmMs: number; warmCalls: number }> {
  const c = client(sim, concurrency);
  const openKfid = sim.fixtures.accounts[0]!.open_kfid;
  try {
    sim.resetCalls();
    let start = performance.now();
    const result = await c.getStatistics({ endpoint: 'corp', openKfid, last: 180 });
    const ms = performance.now() - start;
    const calls = sim.calls.length;
    sim.resetCalls();
    start = performance.now();
    await c.getStatistics({ endpoint: 'corp', openKfid, last: 180 });
    return { ms, calls, days: result.days.length, warmMs: performance.now() - start, warmCalls: sim.calls.length };
  } finally {
    await c.close();
  }
}

/** 8 identical 180-day queries at once on one client, as 8 Grafana panels of one dashboard ask. */
async function identicalQueries(sim: Simulator): Promise<{ statisticsCalls: number; ms: number }> {
  const c = client(sim, 6);
  const openKfid = sim.fixtures.accounts[0]!.open_kfid;
  try {
    sim.resetCalls();
    const start = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => c.getStatistics({ endpoint: 'corp', openKfid, last: 180 })));
    return { statisticsCalls: sim.callCount('/cgi-bin/kf/get_corp_statistic'), ms: performance.now() - start };
  } finally {
    await c.close();
  }
}

export async function benchColdWarm(): Promise<Figure[]> {
  const sim = await startSimulator({ port: 0, latencyMs: LATENCY_MS, now });
  try {
    const parallel = [];
    const sequential = [];
    for (let i = 0; i < RUNS; i += 1) {
      parallel.push(await coldFetch(sim, 6));
      sequential.push(await coldFetch(sim, 1));
    }
    const lowerBound = 2 * LATENCY_MS;
    const cold = median(parallel.map((r) => r.ms));
    const seq = median(sequential.map((r) => r.ms));
    const warm = median(parallel.map((r) => r.warmMs));
    const last = parallel.at(-1)!;
    const shared = await identicalQueries(sim);
    return [
      { name: 'cold 180 days, parallel', value: cold, unit: 'ms', note: `${last.calls} calls (1 token + 6 statistics), ${last.days} days` },
      { name: 'lower bound (2 round trips × 100 ms)', value: lowerBound, unit: 'ms' },
      { name: 'cold / lower bound', value: cold / lowerBound, unit: 'ratio', note: 'target ≤ 1.05 (median of 5)' },
      { name: 'cold 180 days, sequential baseline', value: seq, unit: 'ms', note: `${sequential.at(-1)!.calls} calls one at a time` },
      { name: 'sequential / parallel', value: seq / cold, unit: 'ratio', note: 'speed-up from parallel chunks' },
      { name: 'warm repeat', value: warm, unit: 'ms', note: `${last.warmCalls} calls (day cache)` },
      { name: 'warm repeat calls', value: last.warmCalls, unit: 'calls', note: 'target 0' },
      {
        name: '8 identical concurrent 180-day queries',
        value: shared.statisticsCalls,
        unit: 'calls',
        note: `statistics calls, target 6 (one per distinct chunk in flight); ${shared.ms.toFixed(0)} ms for all 8`,
      },
    ];
  } finally {
    await sim.close();
  }
}
