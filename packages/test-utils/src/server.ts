/**
 * The wecom-kf-stats server for tests: its process, and configs built from the simulator's
 * fixtures. `startProviderServer` runs `serve` as a service provider would: a provider source
 * whose suite_ticket and authorized corps arrive only through the command callback, which the
 * simulator (playing WeCom) posts to; the hosts then take tokens from the server's token service
 * instead of a pasted ticket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { pinnedClockEnv } from './index.js';

export interface ProcessRun {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnedProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr as they came. */
  output(): string;
  /** Resolves with the first stdout match; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<ProcessRun>;
}

/** Run a Node script (a server's or a command's bin) with only the given variables, plus PATH. */
export function spawnProcess(bin: string, args: readonly string[], env: Record<string, string> = {}): SpawnedProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (chunk) => {
    stdout += String(chunk);
    output += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
    output += String(chunk);
  });
  const exited = new Promise<ProcessRun>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    output: () => output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const match = stdout.match(pattern);
          if (!match) return false;
          clearTimeout(timer);
          child.stdout!.off('data', look);
          resolve(match);
          return true;
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output: ${output}`)), timeoutMs);
        if (look()) return;
        child.stdout!.on('data', look);
        void exited.then((run) => {
          clearTimeout(timer);
          reject(new Error(`the process exited (${run.code ?? run.signal}) before ${pattern}; output: ${output}`));
        });
      });
    },
    exited,
  };
}

/** The sources of the simulator's fixtures: a self-built app (`acme`) and a provider with its one corp (`isv`). */
export function simulatorSources(sim: Simulator): [acme: Record<string, unknown>, isv: Record<string, unknown>] {
  const { selfBuilt, suite } = sim.fixtures;
  return [
    {
      id: 'acme',
      collect: ['corp', 'servicer'],
      auth: { type: 'selfBuilt', corpId: selfBuilt.corpId, corpSecretEnv: 'ACME_CORP_SECRET' },
    },
    {
      id: 'isv',
      collect: ['component'],
      auth: {
        type: 'serviceProvider',
        suiteId: suite.suiteId,
        suiteSecretEnv: 'ISV_SUITE_SECRET',
        suiteTicketEnv: 'ISV_SUITE_TICKET',
        corps: [{ authCorpId: suite.authCorpId, permanentCodeEnv: 'ISV_PERMANENT_CODE' }],
      },
    },
  ];
}

/** The environment the simulator's fixtures need, under the names `simulatorConfigJson` uses. */
export function simulatorEnv(sim: Simulator): Record<string, string> {
  const { selfBuilt, suite } = sim.fixtures;
  return {
    ACME_CORP_SECRET: selfBuilt.corpSecret,
    ISV_SUITE_SECRET: suite.suiteSecret,
    ISV_SUITE_TICKET: suite.suiteTicket,
    ISV_PERMANENT_CODE: suite.permanentCode,
    KF_STATS_API_KEYS: 'test-key-0123456789abcdef,second-key-0123456789abcdef',
  };
}

/** A server config over the simulator's fixtures, on a free port; `overrides` replace top-level fields. */
export function simulatorConfigJson(sim: Simulator, store: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    store,
    listen: { host: '127.0.0.1', port: 0 },
    apiKeysEnv: 'KF_STATS_API_KEYS',
    baseUrl: sim.url,
    logLevel: 'warn',
    sources: simulatorSources(sim),
    ...overrides,
  };
}

export interface ProviderServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** A key of tokenApiKeysEnv: may take tokens. */
  readonly tokenKey: string;
  /** A key of apiKeysEnv only: may read statistics, never take a token. */
  readonly readKey: string;
  /** A key made at run time for the authorized corp alone, with the right to take its tokens (a provider's customer). */
  readonly customerTokenKey: string;
  /** A key made at run time for another corp, with the right to take tokens: refused for this one. */
  readonly otherCustomerTokenKey: string;
  /** The source id of the provider. */
  readonly source: string;
  /** The corp that authorized the suite through the callback. */
  readonly corpId: string;
  /** The token service URL of that corp: GET with `Authorization: Bearer <tokenKey>`. */
  readonly tokenUrl: string;
  /** What the server wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface ProviderServerOptions {
  /** Path of the server's bin/wecom-kf-stats-server.js. */
  bin: string;
  /** Secrets the caller wants to see kept out of answers (appear only in the server's env). */
  canary?: string;
}

export async function startProviderServer(sim: Simulator, options: ProviderServerOptions): Promise<ProviderServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kf-provider-server-'));
  const source = 'isv';
  const tokenKey = `token-key-${randomBytes(12).toString('hex')}`;
  const readKey = `read-key-${randomBytes(12).toString('hex')}`;
  const adminKey = `admin-key-${randomBytes(12).toString('hex')}`;
  const callbackToken = `Cb${randomBytes(8).toString('hex')}`;
  const aesKey = randomBytes(32)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 43);
  const config = {
    store: join(dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    baseUrl: sim.url,
    apiKeysEnv: 'KF_KEYS',
    tokenApiKeysEnv: 'KF_TOKEN_KEYS',
    adminKeysEnv: 'KF_ADMIN_KEYS',
    storeKeyEnv: 'KF_STORE_KEY',
    logLevel: 'warn',
    schedule: { dailyAt: '06:30', runOnStart: false },
    sources: [
      {
        id: source,
        collect: ['component'],
        auth: {
          type: 'serviceProvider',
          suiteId: sim.fixtures.suite.suiteId,
          suiteSecretEnv: 'KF_SUITE_SECRET',
          callback: { tokenEnv: 'KF_CB_TOKEN', encodingAesKeyEnv: 'KF_CB_KEY' },
        },
      },
    ],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const server = spawnProcess(options.bin, ['serve', '--config', join(dir, 'config.json')], {
    ...pinnedClockEnv(),
    KF_KEYS: readKey,
    KF_TOKEN_KEYS: tokenKey,
    KF_ADMIN_KEYS: adminKey,
    KF_STORE_KEY: randomBytes(32).toString('base64'),
    KF_SUITE_SECRET: sim.fixtures.suite.suiteSecret,
    KF_CB_TOKEN: callbackToken,
    KF_CB_KEY: aesKey,
    ...(options.canary ? { KF_CANARY: options.canary } : {}),
  });
  const stop = async () => {
    sim.provider.stop();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [, url] = (await server.waitFor(/listening on (http:\/\/\S+)/)) as [string, string];
    sim.provider.configure({
      url: `${url}/callback/${source}`,
      token: callbackToken,
      encodingAesKey: aesKey,
      ticketIntervalMinutes: false,
    });
    if (!(await sim.provider.verifyUrl())) throw new Error(`the server did not pass the callback URL check:\n${server.output()}`);
    const ticket = await sim.provider.pushTicket();
    if (!ticket.ok) throw new Error(`the server refused the suite_ticket (${ticket.status} ${ticket.body}):\n${server.output()}`);
    const corp = await sim.provider.authorize({ corpName: 'Token service corp' });
    if (!corp.ok) throw new Error(`the server refused create_auth (${corp.status} ${corp.body}):\n${server.output()}`);
    // The server answers create_auth first and exchanges the code right after: wait until it serves the corp.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const listed = await fetch(`${url}/api/v1/sources`, { headers: { authorization: `Bearer ${readKey}` } });
      const body = (await listed.json()) as { sources?: { corps: string[] }[] };
      if (body.sources?.[0]?.corps.includes(corp.authCorpId)) break;
      if (Date.now() > deadline) throw new Error(`the server did not take in corp ${corp.authCorpId}:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const makeKey = async (name: string, corps: string[]) => {
      const made = await fetch(`${url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, corps, token: true }),
      });
      if (made.status !== 201) throw new Error(`the server did not make key ${name} (${made.status}): ${await made.text()}`);
      return ((await made.json()) as { key: string }).key;
    };
    return {
      url,
      tokenKey,
      readKey,
      customerTokenKey: await makeKey('customer', [corp.authCorpId]),
      otherCustomerTokenKey: await makeKey('other-customer', ['wwAnotherCustomer']),
      source,
      corpId: corp.authCorpId,
      tokenUrl: `${url}/api/v1/sources/${source}/token?corpid=${corp.authCorpId}`,
      output: server.output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
