// @vitest-environment node
/**
 * The built plugin in a real browser (Chromium from the @sparticuz/chromium package, or the system's,
 * driven by playwright-core; see browser/chromium.ts), in server mode: dist/module.js is loaded
 * through an AMD `define` with the real @grafana packages (bundled for the browser by Vite),
 * queries go through the browser's fetch to a local server that answers like Grafana's data proxy
 * (routes from plugin.json) and forwards to a real wecom-kf-stats server process, which calls the
 * WeCom simulator; the editors render. Nothing the browser receives holds a WeCom secret or token.
 * With no Chromium the tests fail, unless KF_STATS_SKIP_BROWSER_TESTS=1 skips them.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chinaMidnightEpochSeconds } from '@wecom-kf-stats/core/internal';
import { startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { addDays, statisticsWindow } from '@wecom-kf-stats/core/internal';
import { chooseChromium, skipBrowserTests } from './browser/chromium';
import { createDataProxyHandler, pluginJson, type UpstreamRequest } from './data-proxy';
import { SERVER_API_KEY, startKfServer, type KfServer } from './kf-server';

const ACCOUNT = 'wkSIM0001presales';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const UID = 'kfstats-browser';

async function bundleGrafanaHost(): Promise<string> {
  const output = await build({
    root,
    configFile: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      write: false,
      minify: false,
      lib: { entry: resolve(here, 'browser/host-entry.ts'), formats: ['iife'], name: 'grafanaHostBundle', fileName: () => 'host.js' },
    },
  });
  const outputs = (Array.isArray(output) ? output : [output]) as Array<{
    output: Array<{ fileName: string; type: string; code?: string }>;
  }>;
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.fileName === 'host.js');
  if (!chunk?.code) throw new Error('the Grafana host bundle was not built');
  return chunk.code;
}

describe.skipIf(skipBrowserTests())('in Chromium', () => {
  let sim: Simulator;
  let kfServer: KfServer;
  let server: Server;
  /** Every body the test server sent the browser (pages, scripts and data proxy answers). */
  const served: string[] = [];
  /** The data proxy's answers among them. */
  const proxied: string[] = [];
  let browser: Browser;
  let page: Page;
  const upstreamRequests: UpstreamRequest[] = [];
  const browserUrls: string[] = [];

  beforeAll(async () => {
    const chromiumChoice = await chooseChromium();
    if (chromiumChoice.skip) throw new Error('unreachable: the suite is skipped');
    const moduleJs = readFileSync(resolve(root, 'dist/module.js'), 'utf8');
    const [hostJs, simulator] = await Promise.all([bundleGrafanaHost(), startSimulator({ port: 0 })]);
    sim = simulator;
    kfServer = await startKfServer({ sim, now: () => Date.now() });
    const jsonData = { connection: 'server' as const, serverUrl: kfServer.url, source: 'acme' };
    const prefix = `/api/datasources/proxy/uid/${UID}`;
    const proxy = createDataProxyHandler({
      jsonData,
      secureJsonData: { serverApiKey: SERVER_API_KEY },
      prefix,
      upstreamRequests,
      // The person on the data source page, who may edit it (Save & test, the sources list).
      user: () => ({ role: 'Admin' }),
    });
    const instanceSettings = {
      id: 1,
      uid: UID,
      type: pluginJson.id,
      name: 'WeCom KF',
      access: 'proxy',
      url: prefix,
      jsonData,
      meta: { id: pluginJson.id },
      readOnly: false,
    };
    const html = `<!doctype html><html><head><meta charset="utf-8"></head><body style="background:#111217;color:#ccccdc;font-family:Inter,Helvetica,Arial,sans-serif;margin:16px">
<div id="config-editor"></div><div id="query-editor"></div>
<script src="/host.js"></script>
<script>window.instanceSettings = ${JSON.stringify(instanceSettings)}; window.secureJsonFields = { serverApiKey: true };
window.define = function (deps, factory) { window.pluginExports = factory.apply(null, deps.map(function (d) { return window.grafanaHost.modules[d]; })); };
window.define.amd = true;</script>
<script src="/public/plugins/${pluginJson.id}/module.js"></script>
<script src="/page.js"></script></body></html>`;
    const pageJs = readFileSync(resolve(here, 'browser/page.js'), 'utf8');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const url = req.url ?? '/';
        const send = (status: number, type: string, body: string) => {
          served.push(body);
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        };
        if (url === '/') return send(200, 'text/html; charset=utf-8', html);
        if (url === '/host.js') return send(200, 'text/javascript; charset=utf-8', hostJs);
        if (url === '/page.js') return send(200, 'text/javascript; charset=utf-8', pageJs);
        if (url === `/public/plugins/${pluginJson.id}/module.js`) return send(200, 'text/javascript; charset=utf-8', moduleJs);
        if (url.startsWith(prefix)) {
          browserUrls.push(url);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
          const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
          const answer = await proxy({ method: req.method ?? 'GET', url, headers, body });
          proxied.push(answer?.body ?? '');
          return send(answer?.status ?? 502, 'application/json', answer?.body ?? '');
        }
        send(404, 'text/plain', 'not found');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    browser = await chromium.launch({ executablePath: chromiumChoice.executablePath, args: ['--no-sandbox'] });
    // A fixed locale: without one Chromium takes it from the environment (e.g. "en-US@posix" under LANG=C), which Intl rejects.
    page = await browser.newPage({ locale: 'en-US' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page
      .waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 20_000 })
      .catch(() => {
        throw new Error(`the page did not start: ${pageErrors.join('; ')}`);
      });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((done) => server.close(done));
    await kfServer?.stop();
    await sim?.close();
  });

  test('the AMD bundle runs a query in the browser and returns frames at China midnights', async () => {
    const { newest } = statisticsWindow(Date.now());
    const days = { from: addDays(newest, -4), to: newest };
    const fromMs = chinaMidnightEpochSeconds(days.from) * 1000;
    const toMs = chinaMidnightEpochSeconds(days.to) * 1000 + 3_600_000;
    const targets = [
      {
        refId: 'A',
        endpoint: 'corp',
        openKfid: ACCOUNT,
        metrics: ['session_cnt', 'ai_transfer_rate'],
        format: 'time_series',
        aggregation: 'daily',
        fillPolicy: 'null',
        language: 'zh',
      },
    ];
    type Answer = {
      errors: unknown[];
      frames: Array<{ fields: Array<{ name: string; unit?: string; displayName?: string; values: unknown[] }> }>;
    };
    const answer = (await page.evaluate(
      ([t, f, to]) => (window as unknown as { runQuery: (...a: unknown[]) => Promise<unknown> }).runQuery(t, f, to),
      [targets, fromMs, toMs] as const,
    )) as Answer;
    expect(answer.errors).toEqual([]);
    const [time, sessions, rate] = answer.frames[0]!.fields;
    expect(time!.values).toEqual([0, 1, 2, 3, 4].map((i) => fromMs + i * 86_400_000));
    const expected = time!.values.map(
      (_, i) =>
        sim.expectedStatistic({ endpoint: 'corp', corpId: sim.fixtures.selfBuilt.corpId, openKfid: ACCOUNT, date: addDays(days.from, i) })
          ?.session_cnt ?? null,
    );
    expect(sessions!.values).toEqual(expected);
    expect(sessions!.displayName).toBe('咨询会话数');
    expect(rate!.unit).toBe('percentunit');
    // The browser only ever called the server routes of the data proxy; the key was added on the Grafana side.
    expect(browserUrls.length).toBeGreaterThan(0);
    expect(browserUrls.every((u) => u.startsWith(`/api/datasources/proxy/uid/${UID}/kf-server/api/v1/`))).toBe(true);
    expect(upstreamRequests.every((r) => r.url.startsWith(`${kfServer.url}/api/v1/`))).toBe(true);
    expect(upstreamRequests.some((r) => r.headers.authorization === `Bearer ${SERVER_API_KEY}`)).toBe(true);
  });

  test('Save & test answers from the browser', async () => {
    const answer = (await page.evaluate(() => (window as unknown as { testDatasource: () => Promise<unknown> }).testDatasource())) as {
      status: string;
      message: string;
    };
    expect(answer.status).toBe('success');
    expect(answer.message).toMatch(/^Connected to the server\. Source "acme", 3 customer-service account\(s\)/);
  });

  test('the editors render: the config editor lists the server sources, the account picker the accounts', async () => {
    await expect(page.getByText('The browser receives statistics only').isVisible()).resolves.toBe(true);
    await page.getByRole('combobox', { name: 'Source' }).click();
    await expect(page.getByText('serviceProvider: component statistics', { exact: false }).isVisible()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('combobox', { name: 'Account' }).click();
    await page.getByText('会员中心', { exact: true }).click();
    const changes = (await page.evaluate(
      () => (window as unknown as { queryChanges: Array<{ openKfid?: string }> }).queryChanges,
    )) as Array<{ openKfid?: string }>;
    expect(changes.at(-1)?.openKfid).toBe('wkSIM0003membership');
    // KF_SCREENSHOT=path keeps a picture of the editors (the README's screenshot is made this way).
    if (process.env.KF_SCREENSHOT) await page.screenshot({ path: process.env.KF_SCREENSHOT, fullPage: true });
  });

  test('nothing the browser received holds a WeCom secret, the canary, the API key or a token WeCom issued', async () => {
    expect(kfServer.tokens.size).toBeGreaterThan(0);
    const everything = [...served, await page.content()].join('\n');
    expect(served.length).toBeGreaterThan(5);
    for (const secret of kfServer.secrets) expect(everything.includes(secret), secret).toBe(false);
    for (const token of kfServer.tokens) expect(everything.includes(token), 'a WeCom token').toBe(false);
    // Nor any token WeCom gave anyone else (a gettoken answer reaching the browser would hold this field).
    expect(proxied.length).toBeGreaterThan(3);
    expect(proxied.join('\n')).not.toMatch(/access_token/);
  });
});
