/**
 * The server process as the internet treats it, in bounded time: slow and silent clients, more
 * connections than it takes, a flood of health checks and forged callbacks while the API is in
 * use, kill -9, and the modes of the files it keeps tokens in.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { pinnedClockEnv, useSimulator } from '@wecom-kf-stats/test-utils';
import { openStore } from '../src/store/store.js';
import { simulatorConfigJson, simulatorEnv, simulatorSeriesCount, tempDir, writeConfig } from './helpers.js';
import { BIN, runServer, spawnServer, type Spawned } from './run-server.js';

const kf = useSimulator();
const KEY = 'test-key-0123456789abcdef';
let sim: Simulator;
let env: Record<string, string>;
beforeAll(() => {
  sim = kf.sim;
  env = { ...simulatorEnv(sim), ...pinnedClockEnv(Math.round(kf.now())) };
});

async function serve(overrides: Record<string, unknown>): Promise<{ proc: Spawned; url: string; port: number }> {
  const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data', { schedule: { runOnStart: false }, ...overrides }));
  const proc = spawnServer(['serve', '--config', config], env);
  const [, url] = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { proc, url: url!, port: Number(new URL(url!).port) };
}

async function stop(proc: Spawned) {
  proc.child.kill('SIGTERM');
  expect((await proc.exited).code).toBe(0);
}

/** Resolves with how long the socket stayed open (ms), or Infinity when still open after `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<number> {
  const opened = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Infinity);
    }, withinMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - opened);
    });
    socket.on('error', () => {});
  });
}

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });

describe('slow, silent and too many clients', () => {
  it('closes connections whose body trickles, whose headers never end, and that say nothing', async () => {
    const { proc, port } = await serve({
      http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, idleTimeoutMs: 1000, maxConnections: 200 },
    });
    const trickles: NodeJS.Timeout[] = [];
    try {
      const sockets = await Promise.all(Array.from({ length: 45 }, () => open(port)));
      sockets.slice(0, 15).forEach((socket, i) => {
        // A body of 100 kB announced, one byte every 200 ms.
        socket.write(`POST /callback/isv?n=${i} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n`);
        trickles.push(setInterval(() => socket.writable && socket.write('a'), 200));
      });
      sockets.slice(15, 30).forEach((socket) => {
        // Headers that never end, one header line every 200 ms.
        socket.write('GET /healthz HTTP/1.1\r\n');
        trickles.push(setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200));
      });
      // The last 15 say nothing at all.
      const lifetimes = await Promise.all(sockets.map((s) => closedWithin(s, 8000)));
      expect(lifetimes.filter((ms) => ms === Infinity)).toEqual([]);
      // The API still answers.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      trickles.forEach(clearInterval);
      await stop(proc);
    }
  }, 30_000);

  it('refuses connections over maxConnections at once and still answers once they are gone', async () => {
    // Timeouts far longer than the test: only the cap can close a connection here.
    const { proc, port } = await serve({
      http: { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, idleTimeoutMs: 60_000, maxConnections: 20 },
    });
    try {
      const sockets = await Promise.all(Array.from({ length: 30 }, () => open(port)));
      for (const socket of sockets) socket.on('error', () => {});
      const closed = () => sockets.filter((s) => s.closed).length;
      for (let i = 0; i < 200 && closed() < 10; i += 1) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 100));
      expect(closed()).toBe(10);
      sockets.forEach((s) => s.destroy());
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i += 1) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(200);
    } finally {
      await stop(proc);
    }
  }, 30_000);
});

describe('a flood of unauthenticated requests while the API is in use', () => {
  it('fails no API request and leaves none hanging', async () => {
    const { proc, url } = await serve({});
    const account = sim.fixtures.accounts[0]!.open_kfid;
    const statistics = `${url}/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=180`;
    const auth = { authorization: `Bearer ${KEY}` };
    try {
      // Archive the series first: what the API then measures is the server, not WeCom.
      expect((await fetch(statistics, { headers: auth })).status).toBe(200);
      const junk = randomBytes(300 * 1024).toString('base64');
      const forged = `<xml><Encrypt><![CDATA[${junk}]]></Encrypt></xml>`;
      const until = Date.now() + 3000;
      let floodRequests = 0;
      const flooder = async (send: () => Promise<Response>) => {
        while (Date.now() < until) {
          await (await send()).arrayBuffer();
          floodRequests += 1;
        }
      };
      const floods = [
        ...Array.from({ length: 10 }, () => flooder(() => fetch(`${url}/healthz`))),
        ...Array.from({ length: 10 }, () =>
          flooder(() =>
            fetch(`${url}/callback/isv?msg_signature=${'a'.repeat(40)}&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1`, {
              method: 'POST',
              body: forged,
              headers: { 'content-type': 'text/xml' },
            }),
          ),
        ),
      ];
      const answers: number[] = [];
      const reader = (async () => {
        while (Date.now() < until) {
          const response = await fetch(statistics, { headers: auth, signal: AbortSignal.timeout(10_000) });
          const body = (await response.json()) as { days: unknown[] };
          answers.push(response.status === 200 && body.days.length === 180 ? 200 : response.status);
        }
      })();
      await Promise.all([...floods, reader]);
      expect(floodRequests).toBeGreaterThan(100);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await stop(proc);
    }
  }, 60_000);
});

describe('the embedded store on disk', () => {
  const modesOf = (dir: string): string[] => {
    const found: string[] = [];
    const visit = (path: string) => {
      const stat = statSync(path);
      if (stat.mode & 0o077) found.push(`${(stat.mode & 0o777).toString(8)} ${path}`);
      if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    };
    visit(dir);
    return found;
  };

  it("keeps every file of a new store the server user's alone (0700 / 0600), whatever the umask", async () => {
    const dir = tempDir();
    const config = writeConfig(
      dir,
      simulatorConfigJson(sim, './data', { sources: [{ ...(simulatorConfigJson(sim, '.').sources as object[])[0], collect: ['corp'] }] }),
    );
    const run = await runServer(['collect', '--config', config], env);
    expect(run.code).toBe(0);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(modesOf(join(dir, 'data'))).toEqual([]);
  });

  it('tightens a store an earlier version left readable and writable by everyone', async () => {
    const dir = tempDir();
    const config = writeConfig(
      dir,
      simulatorConfigJson(sim, './data', { sources: [{ ...(simulatorConfigJson(sim, '.').sources as object[])[0], collect: ['corp'] }] }),
    );
    const store = await openStore(join(dir, 'data'));
    await store.close();
    const loosen = (path: string) => {
      const stat = statSync(path);
      chmodSync(path, stat.isDirectory() ? 0o777 : 0o666);
      if (stat.isDirectory()) for (const name of readdirSync(path)) loosen(join(path, name));
    };
    loosen(join(dir, 'data'));
    expect(modesOf(join(dir, 'data')).length).toBeGreaterThan(100);
    expect((await runServer(['collect', '--config', config], env)).code).toBe(0);
    expect(modesOf(join(dir, 'data'))).toEqual([]);
  });

  it('refuses a store others can write when it cannot change that, with a clear message', async () => {
    // The server runs as another user (nobody) than the one owning the store folder.
    const dir = mkdtempSync(join(tmpdir(), 'kf-nobody-'));
    chmodSync(dir, 0o755);
    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o777 });
    chmodSync(data, 0o777);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(simulatorConfigJson(sim, data)));
    chmodSync(config, 0o644);
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'collect', '--config', config],
        { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
    rmSync(dir, { recursive: true, force: true });
    expect(run.stderr).toContain(`cannot open the store: the embedded store ${data} can be written by other users`);
    expect(run.stderr).toMatch(/run the server as the user who owns it/);
    expect(run.code).toBe(1);
  });

  it('takes over the series of a process killed with kill -9 at once, not after leaseSeconds', async () => {
    const dir = tempDir();
    // Leases that would outlast the test: the next run must not wait for them.
    const config = writeConfig(dir, simulatorConfigJson(sim, './data', { concurrency: 2, leaseSeconds: 3600 }));
    sim.setLatency(40);
    try {
      const proc = spawnServer(['collect', '--config', config], env);
      while (sim.callCount(/get_(corp|servicer)_statistic/) < 6) await new Promise((r) => setTimeout(r, 20));
      proc.child.kill('SIGKILL');
      expect((await proc.exited).signal).toBe('SIGKILL');
    } finally {
      sim.setLatency(0);
    }
    const next = await runServer(['collect', '--config', config], env);
    expect(next.code).toBe(0);
    const store = await openStore(join(dir, 'data'));
    const [row] = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_days');
    await store.close();
    expect(row!.n).toBe(simulatorSeriesCount(sim) * 180);
  }, 60_000);
});
