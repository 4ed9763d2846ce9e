/**
 * `GET /api/v1/statistics?…&last=180` for one series whose 180 days the archive holds (collected
 * first from the simulator), on the embedded store and on PostgreSQL, against a bare node:http
 * server answering the same bytes from memory. The server runs as `serve` builds it (API key
 * check, validation, archive read, catalog shaping); the load comes from a worker thread over
 * keep-alive connections.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApi, collect, openStore, type Store } from '@wecom-kf-stats/server';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { median, type Figure } from './figures.js';
import { percentile, runLoad, type LoadResult } from './load.js';
import { API_KEY, serverRuntime, sharedPostgres, silentLog, tempStoreDir } from './server-common.js';

const REQUESTS = 2000;
const WARMUP = 300;
const CONCURRENCY = 8;
/** The probe of many clients at once (a wall of Grafana panels refreshing): connections. */
const WIDE = 50;
/** Loads per target: the figures are their medians (the first load after a collection runs on a colder heap and JIT). */
const RUNS = 3;
const OPEN_KFID = 'wkSIM0001presales';
const QUERY = `/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${OPEN_KFID}&last=180`;

interface Measured {
  p50: number;
  p99: number;
  perSecond: number;
  errors: number;
}

function measured(result: LoadResult): Measured {
  return {
    p50: percentile(result.latencies, 50),
    p99: percentile(result.latencies, 99),
    perSecond: (result.latencies.length / result.wallMs) * 1000,
    errors: result.errors,
  };
}

const loadOnce = (url: string, concurrency: number) =>
  runLoad({ url, headers: { authorization: `Bearer ${API_KEY}` }, requests: REQUESTS, warmup: WARMUP, concurrency });

/** `RUNS` loads one after the other: the median of each figure, the errors of all. */
async function load(url: string, concurrency = CONCURRENCY): Promise<Measured> {
  const runs: Measured[] = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(measured(await loadOnce(url, concurrency)));
  return {
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    perSecond: median(runs.map((r) => r.perSecond)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** The API over `store` with the series archived; returns the answer's bytes and the measurement. */
async function measureStore(
  sim: Simulator,
  store: Store,
  location: string,
  now: () => number,
  flood = false,
): Promise<{ body: string; result: Measured; wide: Measured; liveCalls: number; flooded?: Measured & { floodRequests: number } }> {
  const { selfBuilt } = sim.fixtures;
  const json = {
    store: location,
    listen: { host: '127.0.0.1', port: 0 },
    apiKeysEnv: 'KF_STATS_API_KEYS',
    baseUrl: sim.url,
    logLevel: 'error',
    sources: [
      {
        id: 'acme',
        collect: ['corp'],
        accounts: [OPEN_KFID],
        auth: { type: 'selfBuilt', corpId: selfBuilt.corpId, corpSecretEnv: 'ACME_CORP_SECRET' },
      },
    ],
  };
  const env = { ACME_CORP_SECRET: selfBuilt.corpSecret, KF_STATS_API_KEYS: API_KEY };
  const runtime = serverRuntime(json, env, store, now);
  const app = await buildApi({
    config: runtime.config,
    store,
    clients: runtime.clients,
    metrics: runtime.metrics,
    providers: runtime.providers,
    authEvents: runtime.authEvents,
    apiKeys: [API_KEY],
    now,
    logger: runtime.logger,
  });
  try {
    const summary = await collect({ config: runtime.config, store, clients: runtime.clients, now, owner: runtime.owner, log: silentLog });
    if (summary.daysStored !== 180 || summary.failures > 0) throw new Error(`the archive was not filled: ${JSON.stringify(summary)}`);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const answer = await fetch(`${address}${QUERY}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const body = await answer.text();
    const days = (JSON.parse(body) as { days?: unknown[] }).days?.length;
    if (answer.status !== 200 || days !== 180) throw new Error(`unexpected answer ${answer.status}: ${body.slice(0, 200)}`);
    sim.resetCalls();
    const started = performance.now();
    const result = await load(`${address}${QUERY}`);
    const wide = await load(`${address}${QUERY}`, WIDE);
    if (!flood) return { body, result, wide, liveCalls: sim.calls.length };
    // The same load while two more threads flood what needs no key: /healthz, and callbacks with
    // 300 KB bodies and a forged signature. The flood threads run at the lowest priority: an
    // attacker's CPU is elsewhere, so what is measured is what the flood costs the server.
    const floodMs = 2 * (performance.now() - started) + 2000;
    const junk = randomBytes(225 * 1024).toString('base64');
    const floods = [
      runLoad({ url: `${address}/healthz`, requests: 0, concurrency: 10, durationMs: floodMs, niceness: 19 }),
      runLoad({
        url: `${address}/callback/acme?msg_signature=${'a'.repeat(40)}&timestamp=${Math.floor(now() / 1000)}&nonce=1`,
        method: 'POST',
        body: `<xml><Encrypt><![CDATA[${junk}]]></Encrypt></xml>`,
        headers: { 'content-type': 'text/xml' },
        requests: 0,
        concurrency: 10,
        durationMs: floodMs,
        niceness: 19,
      }),
    ];
    await new Promise((r) => setTimeout(r, 300));
    const flooded = await load(`${address}${QUERY}`);
    const floodRequests = (await Promise.all(floods)).reduce((n, r) => n + r.latencies.length, 0);
    return { body, result, wide, liveCalls: sim.calls.length, flooded: { ...flooded, floodRequests } };
  } finally {
    await app.close();
    await runtime.close();
  }
}

/** The same JSON from memory: no key check, no store, no shaping. */
async function measureBaseline(body: string): Promise<{ result: Measured; wide: Measured }> {
  const bytes = Buffer.from(body);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}${QUERY}`;
    return { result: await load(url), wide: await load(url, WIDE) };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function benchServerApi(): Promise<Figure[]> {
  // 10:00 China time, fixed: yesterday is final, so every day comes from the archive.
  const now = chinaClock({ hour: 10, speedup: 1 });
  const sim = await startSimulator({ port: 0, now });
  const dir = tempStoreDir('api');
  const figures: Figure[] = [];
  try {
    const embeddedStore = await openStore(dir.dir);
    let embedded;
    try {
      embedded = await measureStore(sim, embeddedStore, dir.dir, now, true);
    } finally {
      await embeddedStore.close();
    }
    const url = await (await sharedPostgres()).createDatabase();
    const pgStore = await openStore(url);
    let postgres;
    try {
      postgres = await measureStore(sim, pgStore, url, now);
    } finally {
      await pgStore.close();
    }
    if (postgres.body !== embedded.body) throw new Error('the embedded store and PostgreSQL answered differently');
    const { result: baseline, wide: baselineWide } = await measureBaseline(embedded.body);
    const kb = (Buffer.byteLength(embedded.body) / 1024).toFixed(1);
    const setup = `median of ${RUNS} loads of ${REQUESTS} requests (after ${WARMUP}), ${CONCURRENCY} connections`;
    figures.push(
      { name: 'baseline (same JSON from memory): p50', value: baseline.p50, unit: 'ms', note: `node:http, ${kb} KB answer; ${setup}` },
      { name: 'baseline p99', value: baseline.p99, unit: 'ms' },
      { name: 'baseline requests/s', value: baseline.perSecond, unit: 'req/s' },
    );
    for (const [name, m] of [
      ['embedded store', embedded],
      ['PostgreSQL', postgres],
    ] as const) {
      const r = m.result;
      figures.push(
        { name: `${name}: p50`, value: r.p50, unit: 'ms', note: `${r.errors} errors, ${m.liveCalls} WeCom calls during the load` },
        { name: `${name}: p99`, value: r.p99, unit: 'ms' },
        { name: `${name}: requests/s`, value: r.perSecond, unit: 'req/s' },
        { name: `${name}: p50 / baseline p50`, value: r.p50 / baseline.p50, unit: 'ratio', note: 'target ≤ 2' },
        { name: `${name}: p99 / baseline p99`, value: r.p99 / baseline.p99, unit: 'ratio', note: 'target ≤ 2' },
        { name: `${name}: requests/s / baseline`, value: r.perSecond / baseline.perSecond, unit: 'ratio' },
        {
          name: `${name}, ${WIDE} connections: requests/s`,
          value: m.wide.perSecond,
          unit: 'req/s',
          note: `p50 ${m.wide.p50.toFixed(1)} ms, ${m.wide.errors} errors; baseline ${baselineWide.perSecond.toFixed(0)} req/s, p50 ${baselineWide.p50.toFixed(1)} ms`,
        },
        {
          name: `${name}, ${WIDE} connections: requests/s / baseline`,
          value: m.wide.perSecond / baselineWide.perSecond,
          unit: 'ratio',
          note: 'target ≥ 0.5',
        },
      );
    }
    const flooded = embedded.flooded!;
    figures.push(
      {
        name: 'embedded store under a flood of /healthz and forged callbacks: p50',
        value: flooded.p50,
        unit: 'ms',
        note: `${flooded.floodRequests} unauthenticated requests from 20 connections meanwhile; ${flooded.errors} errors`,
      },
      { name: 'flooded p50 / unflooded p50 (target <= 1.5)', value: flooded.p50 / embedded.result.p50, unit: 'ratio' },
    );
    return figures;
  } finally {
    await sim.close();
    dir.remove();
  }
}
