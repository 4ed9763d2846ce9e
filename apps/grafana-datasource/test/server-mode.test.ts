/**
 * Server mode end to end: the plugin (real @grafana packages) → the data proxy emulation (the real
 * plugin.json routes) → a real wecom-kf-stats server process → the WeCom simulator. Its archive
 * was made by a `collect` run 100 days ago, so it holds days WeCom no longer serves.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { addDays, listDays, summarizeDays } from '@wecom-kf-stats/core/internal';
import { pinChinaClock, useSimulator } from '@wecom-kf-stats/test-utils';
import { startGrafanaHost, type GrafanaHost, type GrafanaHostOptions } from './grafana-host';
import { ACCOUNT, expectedDays, field, request, window } from './helpers';
import { SERVER_ADMIN_KEY, SERVER_API_KEY, SERVER_TOKEN_KEY, serverGet, startKfServer, type KfServer } from './kf-server';

let simOffsetMs = 0;
// Registered before useSimulator's own hook: this file's clock is pinned to 10:00 China time.
beforeAll(() => {
  pinChinaClock(10);
});
// One corp more for the provider source: a service provider serving two customers.
const kf = useSimulator({ now: () => Date.now() + simOffsetMs, extraCorpCount: 1 });
afterAll(() => {
  vi.useRealTimers();
});

let server: KfServer;
const hosts: GrafanaHost[] = [];

beforeAll(async () => {
  server = await startKfServer({ sim: kf.sim, now: kf.now, archiveDaysAgo: 100, setSimulatorOffset: (ms) => (simOffsetMs = ms) });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

function serverHost(
  patch: Partial<GrafanaHostOptions['jsonData']> = {},
  extra: Partial<GrafanaHostOptions> = {},
  serverApiKey = SERVER_API_KEY,
): GrafanaHost {
  const host = startGrafanaHost({
    jsonData: { connection: 'server', serverUrl: server.url, source: 'acme', ...patch },
    secureJsonData: { serverApiKey },
    ...extra,
  });
  hosts.push(host);
  return host;
}

const admin = { role: 'Admin' as const };

describe('server mode: queries', () => {
  test('a query answers from the server with the days WeCom has, and the browser only calls the server routes', async () => {
    const host = serverHost();
    const { newest } = window();
    const days = { from: addDays(newest, -6), to: newest };
    const response = await host.datasource.query(
      request([{ endpoint: 'corp', openKfid: ACCOUNT, metrics: ['session_cnt', 'ai_transfer_rate'] }], days),
    );
    expect(response.errors).toBeUndefined();
    const frame = response.data[0];
    const expected = expectedDays(kf.sim, { endpoint: 'corp', openKfid: ACCOUNT }, days.from, days.to);
    expect(field(frame, 'Time').values).toEqual(expected.map((d) => d.stat_time * 1000));
    expect(field(frame, 'session_cnt').values).toEqual(expected.map((d) => d.statistic?.session_cnt ?? null));
    expect(field(frame, 'ai_transfer_rate').config).toMatchObject({ unit: 'percentunit' });
    expect(host.browserRequests.map((r) => new URL(r.url, 'http://g').pathname)).toEqual([
      '/api/datasources/proxy/uid/kfstats-test/kf-server/api/v1/statistics',
    ]);
    // The data proxy added the server's key; the browser never had it.
    expect(host.upstreamRequests).toHaveLength(1);
    expect(host.upstreamRequests[0]!.url.startsWith(`${server.url}/api/v1/statistics?`)).toBe(true);
    expect(host.upstreamRequests[0]!.headers.authorization).toBe(`Bearer ${SERVER_API_KEY}`);
    expect(JSON.stringify(host.browserRequests)).not.toContain(SERVER_API_KEY);
  });

  test('ranges reach back as far as the archive, past WeCom 180 days, and the days it lacks get a notice', async () => {
    const host = serverHost();
    const { newest, oldest } = window();
    const days = { from: addDays(newest, -299), to: newest };
    const archivedFrom = addDays(newest, -279); // the old run's window: 280..101 days ago
    const response = await host.datasource.query(
      request([{ endpoint: 'corp', openKfid: ACCOUNT, metrics: ['session_cnt'], format: 'table' }], days),
    );
    expect(response.errors).toBeUndefined();
    const frame = response.data[0];
    const dates = field(frame, 'Date').values as string[];
    expect(dates[0]).toBe(archivedFrom);
    expect(dates.at(-1)).toBe(newest);
    expect(dates).toEqual(listDays(archivedFrom, newest));
    // A day older than WeCom's window, answered from the archive.
    expect(dates.indexOf(addDays(oldest, -50))).toBeGreaterThan(-1);
    const expected = expectedDays(kf.sim, { endpoint: 'corp', openKfid: ACCOUNT }, archivedFrom, newest);
    expect(field(frame, 'session_cnt').values).toEqual(expected.map((d) => d.statistic?.session_cnt ?? null));
    const notices = frame.meta?.notices ?? [];
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ severity: 'warning' });
    expect(notices[0]!.text).toContain(`${days.from}`);
    expect(notices[0]!.text).toContain('not in the archive');
    expect(JSON.stringify(notices)).not.toMatch(/clamped/i);
  });

  test('a range total over servicer statistics is core summarizeDays over the server days', async () => {
    const host = serverHost();
    const { newest } = window();
    const days = { from: addDays(newest, -29), to: newest };
    const response = await host.datasource.query(
      request([{ endpoint: 'servicer', openKfid: ACCOUNT, metrics: ['session_cnt', 'reply_rate'], aggregation: 'total' }], days),
    );
    expect(response.errors).toBeUndefined();
    const expected = summarizeDays('servicer', expectedDays(kf.sim, { endpoint: 'servicer', openKfid: ACCOUNT }, days.from, days.to), {
      metrics: ['session_cnt', 'reply_rate'],
    });
    expect(field(response.data[0], 'session_cnt').values).toEqual([expected.metrics.session_cnt]);
    expect(field(response.data[0], 'reply_rate').values).toEqual([expected.metrics.reply_rate]);
  });

  test('component statistics of a service provider source, through the server', async () => {
    const host = serverHost({ source: 'isv', serverCorpId: kf.sim.fixtures.suite.authCorpId });
    const { newest } = window();
    const response = await host.datasource.query(
      request([{ endpoint: 'component', metrics: ['session_cnt'] }], { from: addDays(newest, -2), to: newest }),
    );
    expect(response.errors).toBeUndefined();
    expect(field(response.data[0], 'session_cnt').values).toHaveLength(3);
  });

  test('a range wholly in the future is an error naming the days, not an empty graph', async () => {
    const host = serverHost();
    const today = addDays(window().newest, 1);
    const response = await host.datasource.query(request([{ endpoint: 'corp', openKfid: ACCOUNT }], { from: today, to: today }));
    expect(response.data).toEqual([]);
    expect(response.errors?.[0]?.message).toContain(`Statistics for ${today} (China time) failed`);
    expect(response.errors?.[0]?.message).toContain('INVALID_PARAMETER');
    expect(response.errors?.[0]?.message).toContain('after yesterday');
  });
});

describe('server mode: a failed live fetch', () => {
  test('the days the server could not get from WeCom are an error notice on the frame and a panel error', async () => {
    const host = serverHost();
    const { newest } = window();
    kf.sim.inject({ kind: 'errcode', errcode: 48002, errmsg: 'api forbidden', path: '/cgi-bin/kf/get_corp_statistic', times: 20 });
    const response = await host.datasource.query(
      request([{ endpoint: 'corp', openKfid: 'wkSIM0003membership', metrics: ['session_cnt'] }], { from: addDays(newest, -2), to: newest }),
    );
    expect(response.data).toHaveLength(1);
    const notices = response.data[0].meta?.notices ?? [];
    expect(notices.map((n: { severity: string }) => n.severity)).toEqual(['error']);
    expect(notices[0]!.text).toContain('48002');
    expect(response.errors?.[0]?.message).toBe(notices[0]!.text);
    kf.sim.clearFaults();
  });
});

describe('server mode: the shipped dashboard', () => {
  test('its account variable and every panel of dashboards/kf-overview.json answer through the server', async () => {
    const dashboard = JSON.parse(
      readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../src/dashboards/kf-overview.json'), 'utf8'),
    ) as { panels: Array<{ title: string; targets: never[] }>; templating: { list: Array<{ name: string; query: string }> } };
    const host = serverHost();
    const accountVariable = dashboard.templating.list.find((v) => v.name === 'account')!;
    const accounts = await host.datasource.metricFindQuery(accountVariable.query);
    host.variables = { account: String(accounts[1]!.value), language: 'zh' };
    const { newest } = window();
    for (const panel of dashboard.panels) {
      // The dashboard's default range: the 30 days ending yesterday.
      const response = await host.datasource.query(request(panel.targets, { from: addDays(newest, -29), to: newest }));
      expect(response.errors, panel.title).toBeUndefined();
      expect(response.data.length, panel.title).toBe(panel.targets.length);
      const firstMetric = response.data[0].fields.find((f: { type: string }) => f.type === 'number');
      expect(firstMetric?.config.displayName, panel.title).toMatch(/[\u4e00-\u9fff]/);
      expect(firstMetric?.values.length, panel.title).toBeGreaterThan(0);
    }
  });
});

describe('server mode: variables, pickers and Save & test', () => {
  test('"accounts" and "servicers(...)" and the pickers list what the server lists', async () => {
    const host = serverHost();
    const accounts = await host.datasource.metricFindQuery('accounts');
    expect(accounts).toEqual(kf.sim.fixtures.accounts.map((a) => ({ text: a.name, value: a.open_kfid })));
    host.variables.account = ACCOUNT;
    const servicers = await host.datasource.metricFindQuery('servicers($account)');
    expect(servicers.map((s) => s.value).sort()).toEqual([...kf.sim.fixtures.servicers[ACCOUNT]!].sort());
    expect((await host.datasource.listAccounts()).map((a) => a.open_kfid)).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid));
  });

  test('Save & test (by an admin) checks the key, the source, its accounts and a day of statistics', async () => {
    const answer = await serverHost({}, { user: admin }).datasource.testDatasource();
    expect(answer.status).toBe('success');
    expect(answer.message).toMatch(
      /^Connected to the server\. Source "acme", 3 customer-service account\(s\); \d{4}-\d\d-\d\d statistics of /,
    );
  });

  test('Save & test names what to fix: an unknown source, a wrong key, an unreachable server, empty settings', async () => {
    const unknown = await serverHost({ source: 'nope' }, { user: admin }).datasource.testDatasource();
    expect(unknown).toMatchObject({ status: 'error' });
    expect(unknown.message).toBe(
      'Source "nope" is not configured on the server; its sources: acme, isv. Pick one in this data source\'s settings.',
    );

    const wrongKey = await startGrafanaHost({
      jsonData: { connection: 'server', serverUrl: server.url, source: 'acme' },
      secureJsonData: { serverApiKey: 'not-the-key-000000000000' },
      user: admin,
    }).datasource.testDatasource();
    expect(wrongKey.status).toBe('error');
    expect(wrongKey.message).toContain('HTTP 400');
    expect(wrongKey.message).toContain('enter the server API key again');
    expect(wrongKey.message).not.toContain('not-the-key');

    const unreachable = await serverHost({ serverUrl: 'http://127.0.0.1:9' }, { user: admin }).datasource.testDatasource();
    expect(unreachable.message).toContain('HTTP 502');
    expect(unreachable.message).toContain('check the server URL');

    const empty = await serverHost({ serverUrl: '' }, { user: admin }).datasource.testDatasource();
    expect(empty.message).toMatch(/^Server URL is empty/);
  });

  test('the sources list is for those who may edit the data source: a viewer is refused by Grafana', async () => {
    const host = serverHost();
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('error');
    expect(answer.message).toContain('HTTP 403');
    expect(host.upstreamRequests).toEqual([]);
  });
});

describe("server mode: a provider's customer with a key of its own", () => {
  test('a key limited to one corp shows that corp only, needs no corp id, and its pickers list what it sees', async () => {
    const [first, second] = [kf.sim.fixtures.suite.authCorpId, kf.sim.fixtures.extraCorps.suiteAuth[0]!.authCorpId];
    // The operator's key sees both corps: a data source on it must name one.
    const both = await serverHost({ source: 'isv' }, { user: admin }).datasource.testDatasource();
    expect(both.message).toMatch(/^Source "isv" serves 2 corps \(.*\): enter the corp ID/);

    const made = await serverGet(`${server.url}/api/v1/keys`, SERVER_ADMIN_KEY, { name: 'customer-two', corps: [second] });
    expect(made.status).toBe(201);
    const customerKey = (JSON.parse(made.body) as { key: string }).key;
    const customer = (patch: Partial<GrafanaHostOptions['jsonData']> = {}, extra: Partial<GrafanaHostOptions> = {}) =>
      serverHost({ source: 'isv', ...patch }, extra, customerKey);
    const saved = await customer({}, { user: admin }).datasource.testDatasource();
    expect(saved.status).toBe('success');
    const { newest } = window();
    const response = await customer().datasource.query(
      request([{ endpoint: 'component', metrics: ['session_cnt'] }], { from: addDays(newest, -2), to: newest }),
    );
    expect(response.errors).toBeUndefined();
    expect(field(response.data[0], 'session_cnt').values).toHaveLength(3);
    const accounts = await customer().datasource.listAccounts();
    expect(accounts.map((a) => a.open_kfid)).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid));
    // The other customer's corp, typed in by hand, is refused by the server.
    const other = await customer({ serverCorpId: first }).datasource.query(
      request([{ endpoint: 'component', metrics: ['session_cnt'] }], { from: addDays(newest, -2), to: newest }),
    );
    expect(other.errors?.[0]?.message).toMatch(/HTTP 403.*may not read corp/);
  });
});

describe('server mode: what a viewer can reach', () => {
  test('no other server path, no WeCom token, and the direct routes carry no secret', async () => {
    const host = serverHost();
    const tries: Array<[string, string, number]> = [
      // Refused by Grafana: the sources route is for admins; no route for other paths or methods.
      ['GET', 'kf-server/api/v1/sources', 403],
      ['GET', 'kf-server/api/v1/sources/acme/token', 403],
      ['GET', 'kf-server/api/v1/statistics/../sources/acme/token', 403],
      ['GET', 'kf-server/api/v1/openapi.json', 502],
      ['GET', 'kf-server/metrics', 502],
      ['GET', 'kf-server/healthz', 502],
      ['POST', 'kf-server/api/v1/statistics', 502],
      ['DELETE', 'kf-server/api/v1/accounts', 502],
      // Past Grafana by prefix, but only below the route's own path, where the server has nothing.
      ['GET', 'kf-server/api/v1/statistics%2F..%2Fsources%2Facme%2Ftoken', 404],
      ['GET', 'kf-server/api/v1/accounts/../../v1/sources/acme/token', 403],
      ['GET', 'kf-server/api/v1/statisticsx', 404],
    ];
    for (const [method, path, status] of tries) {
      const answer = await host.send(method, path);
      expect(answer.status, `${method} ${path}`).toBe(status);
    }
    for (const r of host.upstreamRequests) expect(r.resolvedPath).toMatch(/^\/api\/v1\/(accounts|servicers|statistics)\/[^/]+$/);
    // The direct routes still exist in server mode, but this data source has no WeCom secret for them.
    await host.send('GET', 'cgi-bin/gettoken');
    const gettoken = host.upstreamRequests.at(-1)!;
    expect(gettoken.route).toBe('cgi-bin/gettoken');
    expect(new URL(gettoken.url).searchParams.get('corpsecret')).toBe('');
  });

  test('an admin reaches the sources list, and below it only with the read key, which gets no token', async () => {
    const host = serverHost({}, { user: admin });
    expect((await host.send('GET', 'kf-server/api/v1/sources')).status).toBe(200);
    const token = await host.send('GET', 'kf-server/api/v1/sources/acme/token');
    expect(host.upstreamRequests.at(-1)!.resolvedPath).toBe('/api/v1/sources/acme/token');
    expect(host.upstreamRequests.at(-1)!.headers.authorization).toBe(`Bearer ${SERVER_API_KEY}`);
    // The server refuses the read key there …
    expect(token.status).toBe(403);
    expect(JSON.parse(token.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(token.body).not.toContain('access_token');
    // … while a token key, which Grafana never holds, does get one: the endpoint is live.
    const direct = await serverGet(`${server.url}/api/v1/sources/acme/token`, SERVER_TOKEN_KEY);
    expect(direct.status).toBe(200);
    expect(JSON.parse(direct.body)).toHaveProperty('access_token');
  });

  test('no answer the browser received holds a WeCom secret, the canary suite_ticket, the API key or any token WeCom issued', () => {
    expect(server.tokens.size).toBeGreaterThan(0);
    const received = hosts.flatMap((h) => h.browserResponses.map((r) => r.body));
    expect(received.length).toBeGreaterThan(10);
    const everything = received.join('\n');
    for (const secret of server.secrets) expect(everything.includes(secret), secret).toBe(false);
    for (const token of server.tokens) expect(everything.includes(token), 'a WeCom token').toBe(false);
    // Nor any token WeCom gave anyone else (a gettoken answer reaching the browser would hold this field).
    expect(everything).not.toMatch(/access_token/);
    const sent = JSON.stringify(hosts.map((h) => h.browserRequests));
    for (const secret of server.secrets) expect(sent.includes(secret), secret).toBe(false);
  });
});
