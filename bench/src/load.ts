/**
 * A small HTTP load generator in a worker thread (its own event loop, so it does not compete with
 * the server under test for the benchmark's main thread): `requests` GETs of one URL over
 * `concurrency` keep-alive connections, each body read in full; latency per request.
 */
import { setPriority } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  requests: number;
  concurrency: number;
  /** Requests before the measured ones (connections, JIT, caches). */
  warmup?: number;
  /** @default 'GET' */
  method?: 'GET' | 'POST';
  body?: string;
  /** Keep sending until this long has passed instead of stopping after `requests` (a flood). */
  durationMs?: number;
  /**
   * The generator thread's niceness (Linux: setpriority of the calling thread). An attacker's
   * CPU is not the server's: a flood at 19 yields the machine's cores to the server and to the
   * measured load, so the figure is what the flood costs the server, not what generating it costs.
   */
  niceness?: number;
}

export interface LoadResult {
  /** Per request, ms, sorted. */
  latencies: number[];
  wallMs: number;
  /** Answers other than 200. */
  errors: number;
  bytes: number;
}

interface WorkerInput extends LoadOptions {
  kind: 'kf-bench-load';
}

async function fire(options: LoadOptions, count: number): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1 });
  const path = `${target.pathname}${target.search}`;
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  const until = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const loop = async () => {
    while (options.durationMs === undefined ? next < count : performance.now() < until) {
      next += 1;
      const t = performance.now();
      const response = await pool.request({
        method: options.method ?? 'GET',
        path,
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      const body = await response.body.text();
      latencies.push(performance.now() - t);
      bytes += body.length;
      if (response.statusCode !== 200) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const wallMs = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { latencies, wallMs, errors, bytes };
}

/** Runs the load in a worker thread. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { ...options, kind: 'kf-bench-load' } satisfies WorkerInput });
    worker.once('message', (result: LoadResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the load worker exited with ${code}`)));
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.kind === 'kf-bench-load') {
  const options = workerData as WorkerInput;
  if (options.niceness !== undefined) setPriority(options.niceness);
  if (options.warmup) await fire(options, options.warmup);
  parentPort!.postMessage(await fire(options, options.requests));
}
