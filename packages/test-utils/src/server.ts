/**
 * A real `wecom-kf-stats-server serve` process for the hosts' tests, set up as a service provider
 * would run it: a provider source whose suite_ticket and authorized corps arrive only through the
 * command callback, which the simulator (playing WeCom) posts to. The hosts then take tokens from
 * the server's token service instead of a pasted ticket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { pinnedClockEnv } from './index.js';

export interface ProviderServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** A key of tokenApiKeysEnv: may take tokens. */
  readonly tokenKey: string;
  /** A key of apiKeysEnv only: may read statistics, never take a token. */
  readonly readKey: string;
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
  const child: ChildProcess = spawn(process.execPath, [options.bin, 'serve', '--config', join(dir, 'config.json')], {
    env: {
      PATH: process.env.PATH ?? '',
      ...pinnedClockEnv(),
      KF_KEYS: readKey,
      KF_TOKEN_KEYS: tokenKey,
      KF_STORE_KEY: randomBytes(32).toString('base64'),
      KF_SUITE_SECRET: sim.fixtures.suite.suiteSecret,
      KF_CB_TOKEN: callbackToken,
      KF_CB_KEY: aesKey,
      ...(options.canary ? { KF_CANARY: options.canary } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    sim.provider.stop();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s:\n${output}`)), 30_000);
      child.stdout!.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code}:\n${output}`));
      });
    });
    sim.provider.configure({
      url: `${url}/callback/${source}`,
      token: callbackToken,
      encodingAesKey: aesKey,
      ticketIntervalMinutes: false,
    });
    if (!(await sim.provider.verifyUrl())) throw new Error(`the server did not pass the callback URL check:\n${output}`);
    const ticket = await sim.provider.pushTicket();
    if (!ticket.ok) throw new Error(`the server refused the suite_ticket (${ticket.status} ${ticket.body}):\n${output}`);
    const corp = await sim.provider.authorize({ corpName: 'Token service corp' });
    if (!corp.ok) throw new Error(`the server refused create_auth (${corp.status} ${corp.body}):\n${output}`);
    return {
      url,
      tokenKey,
      readKey,
      source,
      corpId: corp.authCorpId,
      tokenUrl: `${url}/api/v1/sources/${source}/token?corpid=${corp.authCorpId}`,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
