import { beforeAll, describe, expect, test } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { startGrafanaHost } from './grafana-host';
import type { KfStatsOptions, KfStatsSecureJsonData } from '../src/types';

const kf = useSimulator();

beforeAll(async () => {});

function selfBuilt(overrides: { jsonData?: Partial<KfStatsOptions>; secureJsonData?: KfStatsSecureJsonData } = {}) {
  return startGrafanaHost({
    jsonData: { authMode: 'selfBuilt', corpId: kf.sim.fixtures.selfBuilt.corpId, apiBaseUrl: kf.sim.url, ...overrides.jsonData },
    secureJsonData: overrides.secureJsonData ?? { corpSecret: kf.sim.fixtures.selfBuilt.corpSecret },
  });
}

function tokenService(secret: string, header: KfStatsOptions['tokenServiceHeader'] = 'X-Token-Service-Key') {
  return startGrafanaHost({
    jsonData: {
      authMode: 'tokenService',
      corpId: kf.sim.fixtures.selfBuilt.corpId,
      apiBaseUrl: kf.sim.url,
      tokenServiceUrl: `${kf.sim.url}${kf.sim.fixtures.tokenService.path}`,
      tokenServiceHeader: header,
    },
    secureJsonData: { tokenServiceSecret: secret },
  });
}

describe('testDatasource', () => {
  test('makes a real token call and a one-day query, and says so', async () => {
    const host = selfBuilt();
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('success');
    expect(answer.message).toMatch(
      /^Connected\. Token OK, 3 customer-service account\(s\); \d{4}-\d\d-\d\d statistics of 售前咨询 answered( \(no data for that day yet\))?\.$/,
    );
    expect(kf.sim.callCount('/cgi-bin/gettoken')).toBe(1);
    expect(kf.sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(1);
  });

  test('asks for a fresh token even when panels already hold one', async () => {
    const host = selfBuilt();
    await host.datasource.listAccounts();
    await host.datasource.testDatasource();
    expect(kf.sim.callCount('/cgi-bin/gettoken')).toBe(2);
  });

  test('a wrong secret (40001) says to enter the Secret again, without echoing it', async () => {
    const canary = 'CANARY-wrong-secret-5d1e9b';
    const host = selfBuilt({ secureJsonData: { corpSecret: canary } });
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('error');
    expect(answer.message).toMatch(/^Token call failed\. WeCom \/cgi-bin\/gettoken answered errcode 40001/);
    expect(answer.message).toContain('enter the app Secret again');
    expect(answer.message).not.toContain(canary);
  });

  test('a wrong corp id (40013) points at the Corp ID field', async () => {
    const host = selfBuilt({ jsonData: { corpId: 'wwnosuchcorp' } });
    const answer = await host.datasource.testDatasource();
    expect(answer.message).toContain('errcode 40013');
    expect(answer.message).toContain('Check the Corp ID');
  });

  test('an untrusted IP (60020) says the Grafana server address must be trusted', async () => {
    kf.sim.inject({
      kind: 'errcode',
      errcode: 60020,
      errmsg: 'not allow to access from your ip, from ip: 203.0.113.7',
      path: '/cgi-bin/gettoken',
    });
    const answer = await selfBuilt().datasource.testDatasource();
    expect(answer.status).toBe('error');
    expect(answer.message).toContain('errcode 60020');
    expect(answer.message).toContain('203.0.113.7');
    expect(answer.message).toContain("Grafana server's address");
  });

  test('a missing permission (48002) on statistics says where to grant it', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 48002, errmsg: 'api forbidden', path: '/cgi-bin/kf/get_corp_statistic' });
    kf.sim.inject({ kind: 'errcode', errcode: 48002, errmsg: 'api forbidden', path: '/cgi-bin/kf/get_statistic' });
    const answer = await selfBuilt().datasource.testDatasource();
    expect(answer.status).toBe('error');
    expect(answer.message).toMatch(/^Token OK, but a one-day statistics query failed\. .*errcode 48002/);
    expect(answer.message).toContain('可调用接口的应用');
  });

  test('an unreachable API base URL is a data proxy 502 with advice', async () => {
    const host = selfBuilt({ jsonData: { apiBaseUrl: 'http://127.0.0.1:9' } });
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('error');
    expect(answer.message).toContain('HTTP 502');
    expect(answer.message).toContain('check the API base URL');
  });

  test('token service mode gets its token with the secret header added by the data proxy', async () => {
    const host = tokenService(kf.sim.fixtures.tokenService.headerValue);
    const answer = await host.datasource.testDatasource();
    expect(answer.status).toBe('success');
    expect(kf.sim.callCount(kf.sim.fixtures.tokenService.path)).toBe(1);
    expect(kf.sim.callCount('/cgi-bin/gettoken')).toBe(0);
    const upstream = host.upstreamRequests.find((r) => r.route === 'token-service/key')!;
    expect(upstream.headers['x-token-service-key']).toBe(kf.sim.fixtures.tokenService.headerValue);
    expect(new URL(upstream.url).searchParams.get('corpid')).toBe(kf.sim.fixtures.selfBuilt.corpId);
  });

  test('a token service that refuses the secret header says which setting to check', async () => {
    const canary = 'CANARY-token-service-91ac';
    const answer = await tokenService(canary).datasource.testDatasource();
    expect(answer.status).toBe('error');
    // Grafana's data proxy reports the token service's 401 as 400.
    expect(answer.message).toContain('HTTP 400');
    expect(answer.message).toContain('check the token service secret and header name');
    expect(answer.message).not.toContain(canary);
  });

  test('the Authorization header style goes through its own route', async () => {
    const host = tokenService('Bearer whatever', 'Authorization');
    await host.datasource.testDatasource();
    const upstream = host.upstreamRequests.find((r) => r.route?.startsWith('token-service'))!;
    expect(upstream.route).toBe('token-service/authorization');
    expect(upstream.headers.authorization).toBe('Bearer whatever');
  });
});

describe('secrets', () => {
  test('the secret never leaves the Grafana server, and neither it nor the token appears in results or errors', async () => {
    const secret = kf.sim.fixtures.selfBuilt.corpSecret;
    const host = selfBuilt();
    const { datasource } = host;
    const { request, lastDays } = await import('./helpers');
    const good = await datasource.query(request([{ endpoint: 'corp', openKfid: 'wkSIM0001presales' }], lastDays(3)));
    kf.sim.inject({ kind: 'errcode', errcode: 40014, path: '/cgi-bin/kf/get_corp_statistic', times: 5 });
    const bad = await datasource.query(request([{ endpoint: 'corp', openKfid: 'wkSIM0002aftersales' }], lastDays(3)));
    const health = await datasource.testDatasource();
    // The browser sent only paths of the data proxy, never the secret.
    expect(host.browserRequests.length).toBeGreaterThan(0);
    for (const r of host.browserRequests) {
      expect(r.url.startsWith('/api/datasources/proxy/uid/kfstats-test/')).toBe(true);
      expect(JSON.stringify(r)).not.toContain(secret);
    }
    // The data proxy added it on the server side, to gettoken only.
    const withSecret = host.upstreamRequests.filter((r) => r.url.includes(encodeURIComponent(secret)));
    expect(withSecret.length).toBeGreaterThan(0);
    expect(new Set(withSecret.map((r) => new URL(r.url).pathname))).toEqual(new Set(['/cgi-bin/gettoken']));
    // The access_token does reach the browser (this design has no backend), but no result or message carries it.
    const tokens = host.browserRequests.flatMap((r) => new URL(r.url, 'http://g').searchParams.getAll('access_token'));
    expect(tokens.length).toBeGreaterThan(0);
    const shown = JSON.stringify({ good, bad, health });
    expect(bad.errors?.[0]?.message).toContain('errcode 40014');
    expect(shown).not.toContain(secret);
    for (const token of new Set(tokens)) expect(shown).not.toContain(token);
  });
});

describe('metricFindQuery', () => {
  test('"accounts" lists the open_kfids with the account names as text', async () => {
    const values = await selfBuilt().datasource.metricFindQuery('accounts');
    expect(values).toEqual(kf.sim.fixtures.accounts.map((a) => ({ text: a.name, value: a.open_kfid })));
  });

  test('"servicers($account)" lists the servicers of the account a variable holds', async () => {
    const host = selfBuilt();
    host.variables = { account: 'wkSIM0003membership' };
    const values = await host.datasource.metricFindQuery('servicers($account)');
    expect(values.map((v) => v.value)).toEqual(kf.sim.fixtures.servicers['wkSIM0003membership']);
  });

  test('anything else names what is allowed', async () => {
    await expect(selfBuilt().datasource.metricFindQuery('agents')).rejects.toThrow(
      /^Invalid variable query: "agents"\. Allowed: "accounts", or "servicers\(<open_kfid>\)"/,
    );
  });
});
