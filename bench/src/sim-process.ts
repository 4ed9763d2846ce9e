/**
 * The simulator in a child process of its own (its own event loop and CPU), on a simulated clock
 * shared with the benchmark process: both derive it from the same real start instant.
 * The parent asks for a summary of the call log over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createFixtures, startSimulator, type SimulatorFixtures } from '@wecom-kf-stats/simulator';

export interface SimProcessOptions {
  extraCorpCount: number;
  ipRateLimitPerMinute?: number;
  /** Added to every answer, in real ms. */
  latencyMs?: number;
  /** Simulated epoch ms at `realStartMs`, and how much faster than real time the clock runs. */
  clock: { startMs: number; realStartMs: number; speedup: number };
}

export interface CallSummary {
  calls: number;
  byErrcode: Record<string, number>;
  byPath: Record<string, number>;
  /** The most requests counted against the IP limit in one simulated minute (token calls are not). */
  busiestMinute: number;
  /** Simulated epoch ms of the first and the last request (NaN without requests). */
  firstAt: number;
  lastAt: number;
}

export interface SimProcess {
  url: string;
  fixtures: SimulatorFixtures;
  summary(): Promise<CallSummary>;
  resetCalls(): Promise<void>;
  close(): Promise<void>;
}

type Request = { id: number; op: 'summary' | 'reset' | 'close' };

const TOKEN_PATHS = new Set(['/cgi-bin/gettoken', '/cgi-bin/service/get_suite_token', '/cgi-bin/service/get_corp_token']);

async function child(options: SimProcessOptions): Promise<void> {
  const { startMs, realStartMs, speedup } = options.clock;
  const now = () => startMs + (Date.now() - realStartMs) * speedup;
  const sim = await startSimulator({
    port: 0,
    now,
    extraCorpCount: options.extraCorpCount,
    ...(options.ipRateLimitPerMinute ? { ipRateLimitPerMinute: options.ipRateLimitPerMinute } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  process.on('message', (message: Request) => {
    void (async () => {
      let result: unknown;
      if (message.op === 'summary') {
        const byErrcode: Record<string, number> = {};
        const byPath: Record<string, number> = {};
        const perMinute = new Map<number, number>();
        for (const call of sim.calls) {
          const code = String(call.errcode ?? `http ${call.status}`);
          byErrcode[code] = (byErrcode[code] ?? 0) + 1;
          byPath[call.path] = (byPath[call.path] ?? 0) + 1;
          if (!TOKEN_PATHS.has(call.path)) {
            const minute = Math.floor(call.at / 60_000);
            perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
          }
        }
        result = {
          calls: sim.calls.length,
          byErrcode,
          byPath,
          busiestMinute: Math.max(0, ...perMinute.values()),
          firstAt: sim.calls[0]?.at ?? Number.NaN,
          lastAt: sim.calls.at(-1)?.at ?? Number.NaN,
        } satisfies CallSummary;
      } else if (message.op === 'reset') {
        sim.resetCalls();
      } else {
        await sim.close();
      }
      process.send!({ id: message.id, result });
      if (message.op === 'close') process.disconnect();
    })();
  });
  process.send!({ ready: sim.url });
}

/** Starts the simulator in a child process; resolves once it listens. */
export function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const proc: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, (value: unknown) => void>();
  const ask = (op: Request['op']) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      pending.set(id, resolve);
      proc.send({ id, op } satisfies Request, (error) => error && reject(error));
    });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`the simulator process exited with ${code}`)));
    proc.on('message', (message: { ready?: string; id?: number; result?: unknown }) => {
      if (message.ready) {
        resolve({
          url: message.ready,
          fixtures: createFixtures(options.extraCorpCount),
          summary: () => ask('summary') as Promise<CallSummary>,
          resetCalls: async () => {
            await ask('reset');
          },
          close: async () => {
            const exited = new Promise((done) => proc.once('exit', done));
            await ask('close');
            await exited;
          },
        });
      } else if (message.id !== undefined) {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      }
    });
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  await child(JSON.parse(process.argv[2]!) as SimProcessOptions);
}
