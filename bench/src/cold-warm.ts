/**
 * A 180-day fetch with 100 ms per call (each answer leaves the simulator 100 ms after its request
 * arrived). Lower bound: one token call, then one parallel wave of 6 statistics calls (180 days =
 * 6 chunks of ≤31 days) = 2 round trips. Baselines: the same two round trips with bare undici
 * requests, and the same fetch one chunk at a time, measured in the same run. "Cold" is a new
 * client (no token, no cached day) in a process that has fetched before: unmeasured rounds first.
 */
import { Agent, request } from 'undici';
import { chinaDayOfEpochMs, chinaMidnightEpochSeconds } from '@wecom-kf-stats/core';
import { createNodeClient, type NodeKfStatsClient } from '@wecom-kf-stats/core/node';
import { chinaClock } from '@wecom-kf-stats/simulator';
import { median, type Figure } from './figures.js';
import { startSimProcess, type SimProcess } from './sim-process.js';

const LATENCY_MS = 100;
const RUNS = 5;
const WARM_UP_ROUNDS = 20;

// 10:00 China time on both sides: yesterday is final, so the warm repeat measures the cache alone.
const start = chinaClock({ hour: 10 })();
const realStart = Date.now();
const now = () => start + (Date.now() - realStart);

function client(sim: SimProcess, concurrency: number): NodeKfStatsClient {
  const { selfBuilt } = sim.fixtures;
  return createNodeClient({
    baseUrl: sim.url,
    now,
    auth: { type: 'selfBuilt', corpId: selfBuilt.corpId, corpSecret: selfBuilt.corpSecret },
    concurrency,
  });
}

async function coldFetch(
  sim: SimProcess,
  concurrency: number,
): Promise<{ ms: number; calls: number; days: number; warmMs: number; warmCalls: number }> {
  const c = client(sim, concurrency);
  const openKfid = sim.fixtures.accounts[0]!.open_kfid;
  try {
    await sim.resetCalls();
    let started = performance.now();
    const result = await c.getStatistics({ endpoint: 'corp', openKfid, last: 180 });
    const ms = performance.now() - started;
    const { calls } = await sim.summary();
    await sim.resetCalls();
    started = performance.now();
    await c.getStatistics({ endpoint: 'corp', openKfid, last: 180 });
    const warmMs = performance.now() - started;
    return { ms, calls, days: result.days.length, warmMs, warmCalls: (await sim.summary()).calls };
  } finally {
    await c.close();
  }
}

/**
 * The same two round trips without the client: a bare undici request for the token, then the 6
 * chunks' requests at once, each body read and parsed. What this takes above 200 ms is the
 * network stack's and the simulator's (its timers, its answers); what the client takes above this
 * is the client's own.
 */
async function bareFetch(sim: SimProcess): Promise<number> {
  const { selfBuilt } = sim.fixtures;
  const openKfid = sim.fixtures.accounts[0]!.open_kfid;
  const today = chinaMidnightEpochSeconds(chinaDayOfEpochMs(now()));
  const DAY = 86_400;
  const chunks = Array.from({ length: 6 }, (_, i) => {
    const from = today - (180 - 31 * i) * DAY;
    return { start_time: from, end_time: Math.min(from + 30 * DAY, today - DAY) };
  });
  const agent = new Agent({ connections: 8 });
  try {
    const started = performance.now();
    const tokenAnswer = await request(`${sim.url}/cgi-bin/gettoken?corpid=${selfBuilt.corpId}&corpsecret=${selfBuilt.corpSecret}`, {
      dispatcher: agent,
    });
    const token = (JSON.parse(await tokenAnswer.body.text()) as { access_token: string }).access_token;
    await Promise.all(
      chunks.map(async (chunk) => {
        const answer = await request(`${sim.url}/cgi-bin/kf/get_corp_statistic?access_token=${token}`, {
          dispatcher: agent,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ open_kfid: openKfid, ...chunk }),
        });
        const parsed = JSON.parse(await answer.body.text()) as { errcode: number };
        if (parsed.errcode !== 0) throw new Error(`the bare fetch got errcode ${parsed.errcode}`);
      }),
    );
    return performance.now() - started;
  } finally {
    await agent.close();
  }
}

/** 8 identical 180-day queries at once on one client, as 8 Grafana panels of one dashboard ask. */
async function identicalQueries(sim: SimProcess): Promise<{ statisticsCalls: number; ms: number }> {
  const c = client(sim, 6);
  const openKfid = sim.fixtures.accounts[0]!.open_kfid;
  try {
    await sim.resetCalls();
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => c.getStatistics({ endpoint: 'corp', openKfid, last: 180 })));
    const ms = performance.now() - started;
    return { statisticsCalls: (await sim.summary()).byPath['/cgi-bin/kf/get_corp_statistic'] ?? 0, ms };
  } finally {
    await c.close();
  }
}

export async function benchColdWarm(): Promise<Figure[]> {
  // The simulator (WeCom's side) in its own process: its CPU is not the client's.
  const sim = await startSimProcess({
    extraCorpCount: 0,
    latencyMs: LATENCY_MS,
    clock: { startMs: start, realStartMs: realStart, speedup: 1 },
  });
  try {
    const parallel = [];
    const sequential = [];
    const bare = [];
    // Unmeasured rounds first: both processes' code compiled, as in a host that has served before.
    for (let i = 0; i < WARM_UP_ROUNDS; i += 1) {
      await bareFetch(sim);
      await coldFetch(sim, 6);
    }
    for (let i = 0; i < RUNS; i += 1) {
      bare.push(await bareFetch(sim));
      parallel.push(await coldFetch(sim, 6));
      sequential.push(await coldFetch(sim, 1));
    }
    const lowerBound = 2 * LATENCY_MS;
    const cold = median(parallel.map((r) => r.ms));
    const bareMs = median(bare);
    const seq = median(sequential.map((r) => r.ms));
    const warm = median(parallel.map((r) => r.warmMs));
    const last = parallel.at(-1)!;
    const shared = await identicalQueries(sim);
    return [
      { name: 'cold 180 days, parallel', value: cold, unit: 'ms', note: `${last.calls} calls (1 token + 6 statistics), ${last.days} days` },
      { name: 'lower bound (2 round trips × 100 ms)', value: lowerBound, unit: 'ms' },
      {
        name: 'cold / lower bound',
        value: cold / lowerBound,
        unit: 'ratio',
        note: `target ≤ 1.05 (median of ${RUNS}, after ${WARM_UP_ROUNDS} unmeasured rounds)`,
      },
      {
        name: 'bare HTTP, same 2 round trips',
        value: bareMs,
        unit: 'ms',
        note: `undici alone, median of ${RUNS}: ${(bareMs / lowerBound).toFixed(2)}× the bound is the network stack's and the simulator's`,
      },
      { name: 'cold / bare HTTP', value: cold / bareMs, unit: 'ratio', note: "the client's own share above the two round trips" },
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
