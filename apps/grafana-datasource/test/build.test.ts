/**
 * What the production build ships (`pnpm build` runs first): dist/module.js as an AMD module with
 * Grafana's shared packages as externals and core bundled, a plugin.json Grafana accepts, and the
 * dashboard. The bundle itself is then loaded the way Grafana loads it (AMD `define`) with the real
 * @grafana packages, and runs a query through the data proxy against the simulator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import { parseMetricSelection, type StatisticsEndpoint } from '@wecom-kf-stats/core/internal';
import { startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { startGrafanaHost } from './grafana-host';
import { ACCOUNT, lastDays, request } from './helpers';
import type { DataSource } from '../src/datasource';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path: string) => resolve(root, 'dist', path);
const packageJson = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };

function readDist(path: string): string {
  if (!existsSync(dist(path))) throw new Error(`dist/${path} is missing: run the build (pnpm build) before the tests`);
  return readFileSync(dist(path), 'utf8');
}

describe('plugin.json in dist', () => {
  const plugin = () => JSON.parse(readDist('plugin.json'));

  test('names a data source plugin with a valid id and the package version', () => {
    const p = plugin();
    expect(p.type).toBe('datasource');
    // Grafana plugin ids: <org>-<name>-<type>, lower case.
    expect(p.id).toMatch(/^[a-z0-9]+-[a-z0-9]+-datasource$/);
    expect(p.info.version).toBe(packageJson.version);
    expect(p.info.updated).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(readDist('plugin.json')).not.toMatch(/%[A-Z_]+%/);
    expect(p.buildMode).toBe('production');
    for (const logo of Object.values(p.info.logos) as string[]) expect(existsSync(dist(logo))).toBe(true);
  });

  test('declares the current and previous Grafana major', () => {
    const range = plugin().dependencies.grafanaDependency as string;
    const min = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range);
    expect(min).not.toBeNull();
    expect(Number(min![1])).toBeLessThanOrEqual(12);
    // 13.x, the version of @grafana/* this plugin builds against, is covered too (no upper bound).
  });

  test('routes inject the secrets from secureJsonData, server-side, one exact path and method each', () => {
    const routes = plugin().routes as Array<{
      path: string;
      method: string;
      url: string;
      urlParams?: Array<{ name: string; content: string }>;
      headers?: Array<{ name: string; content: string }>;
    }>;
    const byPath = new Map(routes.map((r) => [r.path, r]));
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET kf-server/api/v1/sources',
      'GET kf-server/api/v1/accounts',
      'GET kf-server/api/v1/servicers',
      'GET kf-server/api/v1/statistics',
      'GET cgi-bin/gettoken',
      'POST cgi-bin/kf/get_corp_statistic',
      'POST cgi-bin/kf/get_servicer_statistic',
      'POST cgi-bin/kf/get_statistic',
      'POST cgi-bin/kf/account/list',
      'GET cgi-bin/kf/servicer/list',
      'GET token-service/authorization',
      'GET token-service/key',
    ]);
    expect(byPath.get('cgi-bin/gettoken')!.urlParams).toContainEqual({ name: 'corpsecret', content: '{{ .SecureJsonData.corpSecret }}' });
    expect(byPath.get('token-service/key')!.headers).toEqual([
      { name: 'X-Token-Service-Key', content: '{{ .SecureJsonData.tokenServiceSecret }}' },
    ]);
    expect(byPath.get('kf-server/api/v1/statistics')!.headers).toEqual([
      { name: 'Authorization', content: 'Bearer {{ .SecureJsonData.serverApiKey }}' },
    ]);
    for (const r of routes)
      expect(r.url).toMatch(
        /^(\{\{ if \.JsonData\.apiBaseUrl \}\}.*\{\{ end \}\}\/cgi-bin\/|\{\{ \.JsonData\.tokenServiceUrl \}\}$|\{\{ if \.JsonData\.serverUrl \}\}\{\{ \.JsonData\.serverUrl \}\}\/api\/v1\/)/,
      );
    // No route path is a prefix of another one: Grafana takes the first route whose path prefixes the request.
    for (const a of routes) for (const b of routes) if (a !== b) expect(b.path.startsWith(a.path)).toBe(false);
  });

  test('includes the dashboard, which is shipped', () => {
    const includes = plugin().includes as Array<{ type: string; path: string }>;
    expect(includes).toContainEqual(expect.objectContaining({ type: 'dashboard', path: 'dashboards/kf-overview.json' }));
    for (const include of includes) expect(existsSync(dist(include.path))).toBe(true);
  });
});

describe('dashboard in dist', () => {
  test('every panel queries this plugin with metrics from the catalog', () => {
    const dashboard = JSON.parse(readDist('dashboards/kf-overview.json'));
    const pluginId = JSON.parse(readDist('plugin.json')).id;
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.type).toBe(pluginId);
      for (const target of panel.targets) {
        expect(() => parseMetricSelection(target.endpoint as StatisticsEndpoint, target.metrics)).not.toThrow();
      }
    }
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual(['datasource', 'account', 'language']);
  });
});

describe('dist/module.js', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  test('is an AMD module whose only dependencies are the ones Grafana provides', () => {
    const code = readDist('module.js');
    // create-plugin's banner, then the AMD define; "module" is the AMD loader's own module record,
    // from which the bundle takes its public path.
    expect(code).toMatch(/^\/\* \[create-plugin\] version: \d+\.\d+\.\d+ \*\//);
    const deps = JSON.parse(/^define\((\[[^\]]*\])/m.exec(code)![1]!) as string[];
    expect(deps.sort()).toEqual(['@grafana/data', '@grafana/runtime', '@grafana/ui', 'module', 'react', 'react/jsx-runtime']);
    // Core (and its zod schemas) are inside the bundle.
    expect(code).toContain('qyapi.weixin.qq.com');
    expect(code).toContain('get_corp_statistic');
  });

  test('loads through AMD with the real @grafana packages and answers a query from the simulator', async () => {
    const modules: Record<string, unknown> = {
      '@grafana/data': grafanaData,
      '@grafana/runtime': grafanaRuntime,
      '@grafana/ui': grafanaUi,
      react: React,
      'react/jsx-runtime': jsxRuntime,
      module: { uri: `public/plugins/${JSON.parse(readDist('plugin.json')).id}/module.js` },
    };
    let exported: { plugin?: grafanaData.DataSourcePlugin<DataSource> } = {};
    const define = (deps: string[], factory: (...args: unknown[]) => typeof exported) => {
      exported = factory(...deps.map((d) => modules[d]));
    };
    new Function('define', readDist('module.js'))(define);
    const plugin = exported.plugin!;
    expect(plugin).toBeInstanceOf(grafanaData.DataSourcePlugin);
    expect(plugin.components.ConfigEditor).toBeTypeOf('function');
    expect(plugin.components.QueryEditor).toBeTypeOf('function');

    const host = startGrafanaHost({
      jsonData: { authMode: 'selfBuilt', corpId: sim.fixtures.selfBuilt.corpId, apiBaseUrl: sim.url },
      secureJsonData: { corpSecret: sim.fixtures.selfBuilt.corpSecret },
    });
    const bundled = new plugin.DataSourceClass(host.instanceSettings) as DataSource;
    const response = await bundled.query(request([{ endpoint: 'corp', openKfid: ACCOUNT, metrics: ['session_cnt'] }], lastDays(3)));
    expect(response.errors).toBeUndefined();
    expect(response.data[0].fields.map((f: { name: string }) => f.name)).toEqual(['Time', 'session_cnt']);
    expect(response.data[0].length).toBe(3);
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(1);
  });
});
