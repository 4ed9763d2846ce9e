/**
 * The package as Node-RED itself loads it: `red.js` with a fresh userDir in which the package is
 * installed (linked), found through its package.json `node-red` field, with its locales and help;
 * flows deployed and exported through the admin HTTP API, as the editor does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { startProviderServer, type ProviderServer } from '@wecom-kf-stats/test-utils/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedDir } from './host.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const redJs = path.join(nodeRedDir, 'red.js');
const CANARY = 'canary-b41d07-secret';

const require = createRequire(import.meta.url);
const serverBin = path.join(path.dirname(require.resolve('@wecom-kf-stats/server/package.json')), 'bin', 'wecom-kf-stats-server.js');

const kf = useSimulator();
let server: ProviderServer;
let red: ChildProcess;
let userDir: string;
let base: string;
let log = '';

/** The package's scoped name: Node-RED names the node set, its locales and its examples after it. */
const MODULE = '@wecom-kf-stats/node-red-wecom-kf-stats';

async function api(pathname: string, init: RequestInit = {}) {
  const response = await fetch(base + pathname, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  return { status: response.status, text: await response.text() };
}

beforeAll(async () => {
  server = await startProviderServer(kf.sim, { bin: serverBin });
  userDir = await mkdtemp(path.join(os.tmpdir(), 'wecom-kf-nr-'));
  await mkdir(path.join(userDir, 'node_modules', '@wecom-kf-stats'), { recursive: true });
  await symlink(root, path.join(userDir, 'node_modules', MODULE), 'dir');
  await writeFile(
    path.join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: 0, flowFile: 'flows.json', credentialSecret: 'a-test-key', logging: { console: { level: 'info' } }, editorTheme: { tours: false } };\n`,
  );
  red = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${log}`)), 15_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Server now running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    red.stdout!.on('data', onData);
    red.stderr!.on('data', onData);
    red.on('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${log}`)));
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (red && red.exitCode === null) {
    const exited = new Promise((r) => red.once('exit', r));
    red.kill('SIGINT');
    await exited;
  }
  await kf.sim?.close();
  if (userDir) await rm(userDir, { recursive: true, force: true });
});

describe('in Node-RED (red.js, package installed in the userDir)', () => {
  it('runs the Node-RED named by the test host', async () => {
    const settings = JSON.parse((await api('/settings')).text);
    const installed = JSON.parse(await readFile(path.join(nodeRedDir, 'package.json'), 'utf8')).version;
    expect(settings.version).toBe(installed);
    console.info(`Node-RED ${settings.version} on Node ${process.version}`);
  });

  it('registers the three node types from the package, with English and Chinese help and labels', async () => {
    const nodes = JSON.parse((await api('/nodes', { headers: { accept: 'application/json' } })).text);
    const ours = nodes.filter((set: { module: string }) => set.module === MODULE);
    expect(ours.flatMap((set: { types: string[] }) => set.types).sort()).toEqual([
      'wecom-kf-accounts',
      'wecom-kf-config',
      'wecom-kf-stats',
    ]);
    for (const set of ours) expect({ enabled: set.enabled, err: set.err }, log).toEqual({ enabled: true, err: undefined });

    const html = (await api('/nodes', { headers: { accept: 'text/html', 'accept-language': 'en-US' } })).text;
    expect(html).toContain('data-template-name="wecom-kf-stats"');
    expect(html).toContain('data-help-name="wecom-kf-stats"');
    const zhHtml = (await api('/nodes', { headers: { accept: 'text/html', 'accept-language': 'zh-CN' } })).text;
    expect(zhHtml).toContain('获取企业微信「微信客服」的统计数据');

    const zh = JSON.parse((await api(`/locales/${MODULE}/wecom-kf-stats?lng=zh-CN`)).text);
    expect(zh['wecom-kf-stats'].paletteLabel).toBe('客服统计');
  });

  it('keeps the app secret out of the exported flow and flows.json, and serves statistics over HTTP', async () => {
    const account = kf.sim.fixtures.accounts[0]!.open_kfid;
    const flows = [
      { id: 'tab1', type: 'tab', label: 'kf' },
      {
        id: 'cfg1',
        type: 'wecom-kf-config',
        authType: 'selfBuilt',
        corpId: kf.sim.fixtures.selfBuilt.corpId,
        baseUrl: kf.sim.url,
        concurrency: 3,
        credentials: { corpSecret: kf.sim.fixtures.selfBuilt.corpSecret, accessToken: CANARY },
      },
      { id: 'in1', type: 'http in', z: 'tab1', url: '/kf', method: 'get', x: 100, y: 100, wires: [['st1']] },
      {
        id: 'st1',
        type: 'wecom-kf-stats',
        z: 'tab1',
        config: 'cfg1',
        endpoint: 'corp',
        openKfid: account,
        rangeType: 'last',
        last: '3',
        output: 'all',
        x: 300,
        y: 100,
        wires: [['res1']],
      },
      { id: 'res1', type: 'http response', z: 'tab1', x: 500, y: 100, wires: [] },
    ];
    const deployed = await api('/flows', { method: 'POST', body: JSON.stringify(flows), headers: { 'node-red-deployment-type': 'full' } });
    expect([200, 204]).toContain(deployed.status);

    const exported = await api('/flows');
    expect(exported.text).toContain('wecom-kf-config');
    expect(exported.text).not.toContain(kf.sim.fixtures.selfBuilt.corpSecret);
    expect(exported.text).not.toContain(CANARY);
    const credentials = JSON.parse((await api('/credentials/wecom-kf-config/cfg1')).text);
    expect(credentials).toMatchObject({ has_corpSecret: true, has_accessToken: true });
    expect(JSON.stringify(credentials)).not.toContain(CANARY);
    const files =
      (await readFile(path.join(userDir, 'flows.json'), 'utf8')) + (await readFile(path.join(userDir, 'flows_cred.json'), 'utf8'));
    expect(files).not.toContain(CANARY);
    expect(files).not.toContain(kf.sim.fixtures.selfBuilt.corpSecret);

    let answer = { status: 404, text: '' };
    for (let i = 0; i < 50 && answer.status === 404; i += 1) {
      answer = await api('/kf');
      if (answer.status === 404) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer.status).toBe(200);
    const days = JSON.parse(answer.text);
    expect(days).toHaveLength(3);
    expect(log).not.toContain(CANARY);
  });
  it('keeps the token service key out of the exported flow and flows.json, and serves component statistics through the server', async () => {
    const flows = [
      { id: 'tab2', type: 'tab', label: 'kf via server' },
      {
        id: 'cfg2',
        type: 'wecom-kf-config',
        authType: 'tokenService',
        tokenServiceUrl: server.tokenUrl,
        tokenServiceHeader: 'Authorization',
        baseUrl: kf.sim.url,
        concurrency: 3,
        credentials: { tokenServiceHeaderValue: `Bearer ${server.tokenKey}` },
      },
      { id: 'in2', type: 'http in', z: 'tab2', url: '/kf-component', method: 'get', x: 100, y: 100, wires: [['st2']] },
      {
        id: 'st2',
        type: 'wecom-kf-stats',
        z: 'tab2',
        config: 'cfg2',
        endpoint: 'component',
        rangeType: 'last',
        last: '5',
        output: 'all',
        x: 300,
        y: 100,
        wires: [['res2']],
      },
      { id: 'res2', type: 'http response', z: 'tab2', x: 500, y: 100, wires: [] },
    ];
    const deployed = await api('/flows', { method: 'POST', body: JSON.stringify(flows), headers: { 'node-red-deployment-type': 'full' } });
    expect([200, 204]).toContain(deployed.status);

    const exported = await api('/flows');
    expect(exported.text).toContain(server.tokenUrl);
    expect(exported.text).not.toContain(server.tokenKey);
    const credentials = JSON.parse((await api('/credentials/wecom-kf-config/cfg2')).text);
    expect(credentials).toMatchObject({ has_tokenServiceHeaderValue: true });
    expect(JSON.stringify(credentials)).not.toContain(server.tokenKey);

    let answer = { status: 404, text: '' };
    for (let i = 0; i < 50 && answer.status === 404; i += 1) {
      answer = await api('/kf-component');
      if (answer.status === 404) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer.status, answer.text).toBe(200);
    const days = JSON.parse(answer.text) as { date: string; statistic: Record<string, unknown> | null }[];
    expect(days).toHaveLength(5);
    for (const day of days) {
      const expected = kf.sim.expectedStatistic({ endpoint: 'component', corpId: server.corpId, date: day.date });
      expect(day.statistic?.session_cnt ?? null, day.date).toBe(expected?.session_cnt ?? null);
    }
    const files =
      (await readFile(path.join(userDir, 'flows.json'), 'utf8')) + (await readFile(path.join(userDir, 'flows_cred.json'), 'utf8'));
    expect(files).not.toContain(server.tokenKey);
    expect(log).not.toContain(server.tokenKey);
  });
});
