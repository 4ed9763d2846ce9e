/**
 * Direct mode, locked down: a viewer holding the access_token (it does reach the browser in this
 * mode) tries, through the data proxy emulation and the real plugin.json routes, every way to reach
 * a KF API the plugin does not need. Each is refused by Grafana's own rules (no matching route, so
 * the data source's empty URL: 502; or a role check: 403), or goes only below one of the plugin's
 * own six paths, where WeCom has no API. The route matching itself is pinned against Grafana's
 * functions in the second part.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { cleanRelativePath, extractProxyPath, hasAccessToRoute, joinUrlFragments, pluginJson, type Route } from './data-proxy';
import { startGrafanaHost, type GrafanaHost } from './grafana-host';

const kf = useSimulator();

/** The WeCom paths the plugin needs in direct mode, each with its one method. */
const ALLOWED: Record<string, string> = {
  '/cgi-bin/gettoken': 'GET',
  '/cgi-bin/kf/get_corp_statistic': 'POST',
  '/cgi-bin/kf/get_servicer_statistic': 'POST',
  '/cgi-bin/kf/get_statistic': 'POST',
  '/cgi-bin/kf/account/list': 'POST',
  '/cgi-bin/kf/servicer/list': 'GET',
};
/** KF APIs a viewer must not reach (messages, accounts, servicers, customers, links). */
const FORBIDDEN = [
  'cgi-bin/kf/send_msg',
  'cgi-bin/kf/sync_msg',
  'cgi-bin/kf/send_msg_on_event',
  'cgi-bin/kf/account/del',
  'cgi-bin/kf/account/add',
  'cgi-bin/kf/account/update',
  'cgi-bin/kf/add_contact_way',
  'cgi-bin/kf/servicer/add',
  'cgi-bin/kf/servicer/del',
  'cgi-bin/kf/service_state/trans',
  'cgi-bin/kf/customer/batchget',
  'cgi-bin/kfx/send_msg',
  'cgi-bin/user/list',
];

let host: GrafanaHost;
let token: string;

beforeAll(async () => {
  host = startGrafanaHost({
    jsonData: { connection: 'direct', authMode: 'selfBuilt', corpId: kf.sim.fixtures.selfBuilt.corpId, apiBaseUrl: kf.sim.url },
    secureJsonData: { corpSecret: kf.sim.fixtures.selfBuilt.corpSecret },
  });
  // What any viewer can do in direct mode: ask the gettoken route for a token.
  const answer = await host.send('GET', 'cgi-bin/gettoken');
  token = (JSON.parse(answer.body) as { access_token: string }).access_token;
  expect(token).toMatch(/\S{20,}/);
});

type Attack = [method: string, path: string, body?: string];
const body = JSON.stringify({ touser: 'x', open_kfid: 'wkSIM0001presales', msgtype: 'text', text: { content: 'hi' } });

const attacks: Attack[] = [
  ['POST', 'cgi-bin/kf/send_msg', body],
  ['POST', 'cgi-bin/kf/sync_msg', '{"limit":1000}'],
  ['POST', 'cgi-bin/kf/account/del', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kfx/send_msg', body],
  ['POST', 'cgi-bin/kf', body],
  // Other methods on the plugin's own paths.
  ['GET', 'cgi-bin/kf/get_corp_statistic'],
  ['PUT', 'cgi-bin/kf/account/list', '{}'],
  ['DELETE', 'cgi-bin/kf/account/list'],
  ['POST', 'cgi-bin/kf/servicer/list', '{}'],
  ['POST', 'cgi-bin/gettoken', '{}'],
  ['PATCH', 'cgi-bin/gettoken'],
  ['get', 'cgi-bin/gettoken'],
  // Path tricks.
  ['POST', 'cgi-bin/kf/get_corp_statistic/../send_msg', body],
  ['POST', 'cgi-bin/kf/account/list/../del', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kf/account/list/../../kf/account/del', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kf/account/list/%2e%2e/del', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kf/account/list%2F..%2Fdel', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kf/account/list%2f%2e%2e%2fdel', '{"open_kfid":"wkSIM0001presales"}'],
  ['POST', 'cgi-bin/kf/send_msg/../account/list', body],
  ['POST', 'cgi-bin/kf/account/listdel', '{}'],
  ['POST', 'cgi-bin//kf/send_msg', body],
  ['POST', 'cgi-bin/kf/./send_msg', body],
  ['POST', './cgi-bin/kf/sync_msg', '{}'],
  ['POST', 'x/../../../cgi-bin/kf/sync_msg', '{}'],
  ['POST', 'cgi-bin%2Fkf%2Fsync_msg', '{}'],
  ['POST', 'cgi-bin/kf/get_statistic%00/../../send_msg', body],
  ['POST', 'cgi-bin/kf/account/list/%zz/../del', '{}'],
];

describe('direct mode: what a viewer with the token can reach', () => {
  test.each(attacks)('%s %s is refused', async (method, path, payload) => {
    kf.sim.resetCalls();
    const before = host.upstreamRequests.length;
    const answer = await host.send(method, `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`, payload);
    const forwarded = host.upstreamRequests.slice(before);
    // Either Grafana did not forward it at all (502: no route and no data source URL) …
    if (forwarded.length === 0) {
      expect(answer.status).toBe(502);
    } else {
      // … or only below one of the plugin's own paths, with that path's method.
      for (const r of forwarded) {
        const base = Object.keys(ALLOWED).find((p) => r.resolvedPath === p || r.resolvedPath.startsWith(`${p}/`));
        expect(base, `${method} ${path} went to ${r.resolvedPath}`).toBeDefined();
        expect(r.method).toBe(ALLOWED[base!]);
      }
      // Where WeCom answers nothing useful: the simulator, like WeCom, has no API there.
      expect(answer.status).not.toBe(200);
    }
    // The simulator saw no call to any forbidden API.
    expect(kf.sim.calls.filter((c) => !Object.keys(ALLOWED).includes(c.path) && c.status === 200)).toEqual([]);
    expect(kf.sim.callCount(/send_msg|sync_msg|account\/del/)).toBe(0);
  });

  test('the plugin own calls still work in direct mode (a query and Save & test)', async () => {
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('success');
  });

  test('the routes of the previous release would have let these through (so the tests above can fail)', async () => {
    const broad: Route = {
      path: 'cgi-bin/kf',
      url: '{{ if .JsonData.apiBaseUrl }}{{ .JsonData.apiBaseUrl }}{{ else }}https://qyapi.weixin.qq.com{{ end }}/cgi-bin/kf',
    };
    const { createDataProxyHandler } = await import('./data-proxy');
    const upstream: Parameters<typeof createDataProxyHandler>[0]['upstreamRequests'] = [];
    const old = createDataProxyHandler({
      jsonData: { apiBaseUrl: kf.sim.url },
      secureJsonData: {},
      prefix: '/api/datasources/proxy/uid/old',
      upstreamRequests: upstream,
      routes: [broad],
    });
    for (const path of ['cgi-bin/kf/send_msg', 'cgi-bin/kfx/send_msg', 'cgi-bin/kf/account/del']) {
      await old({ method: 'POST', url: `/api/datasources/proxy/uid/old/${path}?access_token=${token}`, headers: {}, body: '{}' });
    }
    expect(upstream.map((r) => r.resolvedPath)).toEqual(['/cgi-bin/kf/send_msg', '/cgi-bin/kf/x/send_msg', '/cgi-bin/kf/account/del']);
  });
});

describe("plugin.json routes under Grafana's matching rules (no emulation involved)", () => {
  const routes = pluginJson.routes;
  /** Grafana's rule (validateRequest): method equal (or unset / "*"), cleaned route path a string prefix of the cleaned request path. */
  const matching = (method: string, path: string) =>
    routes.filter(
      (r) => (!r.method || r.method === '*' || r.method === method) && cleanRelativePath(path).startsWith(cleanRelativePath(r.path)),
    );

  test('every route names one method, and no route path is a prefix of another', () => {
    for (const r of routes) expect(['GET', 'POST']).toContain(r.method);
    for (const a of routes)
      for (const b of routes) if (a !== b) expect(cleanRelativePath(b.path).startsWith(cleanRelativePath(a.path))).toBe(false);
  });

  test('each WeCom route goes to exactly its own upstream path; the data source URL is never used', () => {
    for (const r of routes.filter((x) => x.path.startsWith('cgi-bin/'))) {
      expect(r.url.endsWith(`{{ end }}/${r.path}`)).toBe(true);
      expect(ALLOWED[`/${r.path}`]).toBe(r.method);
    }
    expect(Object.keys(ALLOWED).every((p) => routes.some((r) => `/${r.path}` === p))).toBe(true);
  });

  test('no route matches a forbidden KF API, under any method', () => {
    for (const path of FORBIDDEN)
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) expect(matching(method, path), `${method} ${path}`).toEqual([]);
  });

  test('the server routes go to their own API path with the key header; only the sources list needs more than a viewer', () => {
    for (const r of routes.filter((x) => x.path.startsWith('kf-server/'))) {
      const api = r.path.slice('kf-server'.length);
      expect(r.url).toBe(`{{ if .JsonData.serverUrl }}{{ .JsonData.serverUrl }}${api}{{ end }}`);
      expect(r.headers).toEqual([{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.serverApiKey }}' }]);
      expect(r.method).toBe('GET');
    }
    const sources = routes.find((r) => r.path === 'kf-server/api/v1/sources')!;
    expect(sources).toMatchObject({ reqRole: 'Admin', reqAction: 'datasources:write' });
    for (const r of routes.filter((x) => x !== sources)) expect(r).toMatchObject({ reqRole: 'Viewer', reqAction: 'datasources:query' });
  });
});

describe("the emulation follows Grafana's functions", () => {
  test('util.CleanRelativePath: dot segments, double slashes and trailing slashes cleaned, never above the root; escapes kept', () => {
    expect(cleanRelativePath('cgi-bin/kf/account/list/../del')).toBe('cgi-bin/kf/account/del');
    expect(cleanRelativePath('../../cgi-bin//kf/./x/')).toBe('cgi-bin/kf/x');
    expect(cleanRelativePath('/a/b')).toBe('a/b');
    expect(cleanRelativePath('')).toBe('.');
    expect(cleanRelativePath('a/%2e%2e/b')).toBe('a/%2e%2e/b');
  });

  test('util.JoinURLFragments: one slash between, nothing added for an empty rest', () => {
    expect(joinUrlFragments('/cgi-bin/kf', '')).toBe('/cgi-bin/kf');
    expect(joinUrlFragments('/cgi-bin/kf', 'x')).toBe('/cgi-bin/kf/x');
    expect(joinUrlFragments('/cgi-bin/kf/', '/x')).toBe('/cgi-bin/kf/x');
    expect(joinUrlFragments('/cgi-bin/kf', '/x')).toBe('/cgi-bin/kf/x');
  });

  test('extractProxyPath: the escaped path after the uid (or id), one slash dropped', () => {
    expect(extractProxyPath('/api/datasources/proxy/uid/abc-1/cgi-bin/x%2Fy')).toBe('cgi-bin/x%2Fy');
    expect(extractProxyPath('/api/datasources/proxy/12/a')).toBe('a');
    expect(extractProxyPath('/api/datasources/proxy/uid/abc//a')).toBe('/a');
  });

  test('hasAccessToRoute: reqAction when route RBAC is on, else reqRole (a higher role passes)', () => {
    const route: Route = { path: 'p', url: 'http://x', reqRole: 'Admin', reqAction: 'datasources:write' };
    expect(hasAccessToRoute(route, { role: 'Viewer' })).toBe(false);
    expect(hasAccessToRoute(route, { role: 'Editor' })).toBe(false);
    expect(hasAccessToRoute(route, { role: 'Admin' })).toBe(true);
    expect(hasAccessToRoute(route, { role: 'Viewer', actions: ['datasources:write'] })).toBe(true);
    expect(hasAccessToRoute(route, { role: 'Viewer', actions: ['datasources:write'] }, false)).toBe(false);
    expect(hasAccessToRoute({ path: 'p', url: 'x', reqRole: 'Viewer' }, { role: 'Editor' }, false)).toBe(true);
    expect(hasAccessToRoute({ path: 'p', url: 'x', reqRole: 'Viewer' }, { role: 'None' }, false)).toBe(false);
  });
});
