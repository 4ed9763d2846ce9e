/**
 * A real wecom-kf-stats server process for the server-mode tests, as the server's own tests run
 * it: a config file in a temp folder (secrets only by environment variable name), the embedded
 * store in that folder, and WeCom played by the simulator on 127.0.0.1. Between the server and the
 * simulator sits a small recorder that forwards every call unchanged and keeps every access token
 * and suite token WeCom handed out, so a test can check that none of them reaches the browser.
 *
 * `archiveDaysAgo` first runs `collect` on a clock that many days in the past (the simulator's clock
 * must be moved with it: `setSimulatorOffset`), so the archive holds days WeCom no longer serves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { simulatorConfigJson, simulatorEnv, simulatorSources, spawnProcess } from '@wecom-kf-stats/test-utils/server';

const require = createRequire(import.meta.url);
const SERVER_BIN = join(dirname(require.resolve('@wecom-kf-stats/server/package.json')), 'bin', 'wecom-kf-stats-server.js');
/** test-utils' clock preload (its pinnedClockEnv builds a file URL, which jsdom's URL class cannot give Node). */
const PIN_CLOCK = join(dirname(require.resolve('@wecom-kf-stats/test-utils')), 'pin-clock.js');

/** The environment that makes a child process's Date start at `nowMs` and move on with real time. */
function pinnedClockEnv(nowMs: number): Record<string, string> {
  return { NODE_OPTIONS: `--import=${PIN_CLOCK}`, KF_STATS_TEST_NOW: String(nowMs) };
}

/** The server's read key given to Grafana, and a second key (both ordinary read keys). */
export const SERVER_API_KEY = 'grafana-read-key-5b1e0c7d9a';
/** A key of the server's adminKeysEnv: it makes keys for customers. Grafana never gets it. */
export const SERVER_ADMIN_KEY = 'admin-key-for-tenants-3c8d21f0';
/** A key of the server's tokenApiKeysEnv: it may take access tokens. Grafana never gets it. */
export const SERVER_TOKEN_KEY = 'token-service-key-7e2f9c1a04';
/** A canary: the suite_ticket of the provider source. It opens doors on the simulator only. */
export const CANARY_SUITE_TICKET = 'canary-suite-ticket-9d4e2a71c3';
export const DAY_MS = 86_400_000;

/** GET (or, with a body, POST as JSON) a path of the server directly (not through Grafana), with a key. */
export function serverGet(url: string, key: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export interface KfServer {
  /** The server's origin, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Every access_token and suite_access_token the simulator gave the server. */
  tokens: Set<string>;
  /** Every secret the server holds: none may reach a browser. */
  secrets: string[];
  stop(): Promise<void>;
  readonly stderr: string;
}

/** Forwards to the simulator and keeps the tokens in its answers. */
async function startRecorder(simUrl: string, tokens: Set<string>): Promise<Server> {
  const target = new URL(simUrl);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = request(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            const text = Buffer.concat(body).toString('utf8');
            for (const m of text.matchAll(/"(?:access_token|suite_access_token)"\s*:\s*"([^"]+)"/g)) tokens.add(m[1]!);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

export interface StartOptions {
  sim: Simulator;
  /** The simulator's clock, in epoch ms (before any offset is set). */
  now: () => number;
  /** Collect first on a clock this many days in the past (the simulator's clock moved by setSimulatorOffset). */
  archiveDaysAgo?: number;
  setSimulatorOffset?: (ms: number) => void;
}

export async function startKfServer(options: StartOptions): Promise<KfServer> {
  const { sim } = options;
  const tokens = new Set<string>();
  const recorder = await startRecorder(sim.url, tokens);
  const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kf-grafana-server-'));
  const { selfBuilt, suite } = sim.fixtures;
  sim.addSuiteTicket(CANARY_SUITE_TICKET);
  const env = {
    ...simulatorEnv(sim),
    ISV_SUITE_TICKET: CANARY_SUITE_TICKET,
    KF_STATS_API_KEYS: `${SERVER_API_KEY},another-read-key-0123456789`,
    KF_STATS_TOKEN_KEYS: SERVER_TOKEN_KEY,
    KF_STATS_ADMIN_KEYS: SERVER_ADMIN_KEY,
    // A second corp of the provider source, when the simulator has one (extraCorpCount).
    ISV_SECOND_PERMANENT_CODE: sim.fixtures.extraCorps.suiteAuth[0]?.permanentCode ?? '',
  };
  const config = (sources: unknown[]) =>
    simulatorConfigJson(sim, './data', {
      tokenApiKeysEnv: 'KF_STATS_TOKEN_KEYS',
      adminKeysEnv: 'KF_STATS_ADMIN_KEYS',
      baseUrl: recorderUrl,
      schedule: { runOnStart: false },
      sources,
    });
  const [acme, isv] = simulatorSources(sim);
  const configFile = join(dir, 'kf-stats.config.json');
  const cleanup = () => {
    recorder.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.archiveDaysAgo) {
      // An archive made long ago: one account's series, collected when these days were in WeCom's window.
      writeFileSync(configFile, JSON.stringify(config([{ ...acme, accounts: ['wkSIM0001presales'] }])));
      const offset = -options.archiveDaysAgo * DAY_MS;
      const then = options.now() + offset;
      options.setSimulatorOffset?.(offset);
      const collect = spawnProcess(SERVER_BIN, ['collect', '--config', configFile], { ...env, ...pinnedClockEnv(then) });
      const { code } = await collect.exited;
      options.setSimulatorOffset?.(0);
      if (code !== 0) throw new Error(`collect exited ${code}: ${collect.output()}`);
    }
    // A service provider serving several corps, as a provider's customers share it.
    const second = sim.fixtures.extraCorps.suiteAuth[0];
    const isvAuth = isv.auth as { corps: unknown[] };
    const provider = second
      ? {
          ...isv,
          auth: { ...isvAuth, corps: [...isvAuth.corps, { authCorpId: second.authCorpId, permanentCodeEnv: 'ISV_SECOND_PERMANENT_CODE' }] },
        }
      : isv;
    writeFileSync(configFile, JSON.stringify(config([acme, provider])));
    const serve = spawnProcess(SERVER_BIN, ['serve', '--config', configFile], { ...env, ...pinnedClockEnv(options.now()) });
    const [, url] = (await serve.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/).catch((error: Error) => {
      serve.child.kill('SIGTERM');
      throw error;
    })) as [string, string];
    return {
      url,
      tokens,
      secrets: [
        selfBuilt.corpSecret,
        suite.suiteSecret,
        suite.permanentCode,
        CANARY_SUITE_TICKET,
        SERVER_API_KEY,
        SERVER_TOKEN_KEY,
        SERVER_ADMIN_KEY,
        ...(second ? [second.permanentCode] : []),
      ],
      get stderr() {
        return serve.output();
      },
      async stop() {
        serve.child.kill('SIGTERM');
        await serve.exited;
        cleanup();
      },
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
