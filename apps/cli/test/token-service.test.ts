/**
 * The command line with no pasted suite_ticket: a wecom-kf-stats server keeps the provider's ticket
 * (pushed to its callback by the simulator, playing WeCom) and hands corp tokens to a token key.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { startProviderServer, type ProviderServer } from '@wecom-kf-stats/test-utils/server';
import { runCli } from './run-cli.js';

const SERVER_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@wecom-kf-stats/server/package.json')),
  'bin',
  'wecom-kf-stats-server.js',
);
const kf = useSimulator();
let server: ProviderServer;

beforeAll(async () => {
  server = await startProviderServer(kf.sim, { bin: SERVER_BIN });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const tokenEnv = (key: string) => ({
  WECOM_BASE_URL: kf.sim.url,
  WECOM_TOKEN_SERVICE_URL: server.tokenUrl,
  WECOM_TOKEN_SERVICE_HEADER: `Authorization: Bearer ${key}`,
});

describe('the server as token service', () => {
  it('fetches component statistics of a corp that authorized the suite, with no ticket anywhere', async () => {
    const run = await runCli(['fetch', '--endpoint', 'component', '--last', '7', '--format', 'json'], tokenEnv(server.tokenKey));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.days).toHaveLength(7);
    expect(out.days.filter((d: { statistic: unknown }) => d.statistic !== null).length).toBeGreaterThan(0);
    // The statistics were asked for that corp, with the token the server handed out.
    const statistic = kf.sim.calls.filter((c) => c.path === '/cgi-bin/kf/get_statistic');
    expect(statistic.length).toBeGreaterThan(0);
    expect(new Set(statistic.map((c) => c.corpId))).toEqual(new Set([server.corpId]));
    expect(run.stdout).not.toContain(server.tokenKey);
  });

  it('says in one line that a read-only key may not take tokens, without the key', async () => {
    const run = await runCli(['fetch', '--endpoint', 'component', '--last', '7'], tokenEnv(server.readKey));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/may read statistics but not take access tokens/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr + run.stdout).not.toContain(server.readKey);
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(0);
  });
});
