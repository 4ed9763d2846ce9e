/**
 * The client against the WeCom simulator over real HTTP on 127.0.0.1, through the Node entry's
 * undici transport and real timers.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { createNodeClient, createUndiciTransport, type NodeClientOptions, type NodeKfStatsClient } from '../src/node.js';
import {
  createMemoryTokenStore,
  HttpStatusError,
  ResponseFormatError,
  TimeoutError,
  TransportError,
  WecomApiError,
  type StatisticsDay,
} from '../src/internal.js';

// Simulator and clients share its clock, 10:00 China time today: yesterday is final whatever the real hour.
const kf = useSimulator();
const { now } = kf;
const clients: NodeKfStatsClient[] = [];

beforeAll(() => {});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const STAT = '/cgi-bin/kf/get_statistic';
const CORP = '/cgi-bin/kf/get_corp_statistic';
const GETTOKEN = '/cgi-bin/gettoken';
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20, rateLimitDelayMs: 20 };

function selfBuilt(overrides: Partial<NodeClientOptions> = {}): NodeKfStatsClient {
  const client = createNodeClient({
    baseUrl: kf.sim.url,
    now,
    auth: { type: 'selfBuilt', corpId: kf.sim.fixtures.selfBuilt.corpId, corpSecret: kf.sim.fixtures.selfBuilt.corpSecret },
    retry: FAST_RETRY,
    ...overrides,
  });
  clients.push(client);
  return client;
}

function provider(overrides: Partial<NodeClientOptions> = {}): NodeKfStatsClient {
  const { suite } = kf.sim.fixtures;
  const client = createNodeClient({
    baseUrl: kf.sim.url,
    now,
    auth: {
      type: 'serviceProvider',
      suiteId: suite.suiteId,
      suiteSecret: suite.suiteSecret,
      suiteTicket: suite.suiteTicket,
      authCorpId: suite.authCorpId,
      permanentCode: suite.permanentCode,
    },
    retry: FAST_RETRY,
    ...overrides,
  });
  clients.push(client);
  return client;
}

const account = () => kf.sim.fixtures.accounts[0]!.open_kfid;

function expectSimulatorData(
  days: StatisticsDay[],
  q: { endpoint: 'component' | 'corp' | 'servicer'; corpId: string; openKfid?: string; servicerUserid?: string },
) {
  for (const day of days) {
    const expected = kf.sim.expectedStatistic({ ...q, date: day.date });
    if (expected === undefined) {
      expect(day.statistic, day.date).toBeNull();
      continue;
    }
    for (const [key, value] of Object.entries(day.statistic!)) expect(value, `${day.date} ${key}`).toBe(expected[key] ?? null);
  }
}

describe('fetching over real HTTP', () => {
  it('fetches 180 days of component statistics in 6 calls after one suite and one corp token call', async () => {
    const result = await provider({ concurrency: 6 }).getStatistics({ endpoint: 'component', last: 180 });
    expect(result.days).toHaveLength(180);
    expect(kf.sim.callCount(STAT)).toBe(6);
    expect(kf.sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
    expect(kf.sim.callCount('/cgi-bin/service/get_corp_token')).toBe(1);
    expectSimulatorData(result.days, { endpoint: 'component', corpId: kf.sim.fixtures.suite.authCorpId });
  });

  it('fetches 180 days of corp statistics in 6 calls and one gettoken', async () => {
    const result = await selfBuilt().getStatistics({ endpoint: 'corp', openKfid: account(), last: 180 });
    expect(kf.sim.callCount(CORP)).toBe(6);
    expect(kf.sim.callCount(GETTOKEN)).toBe(1);
    expect(result.days.some((d) => d.statistic === null)).toBe(true);
    expectSimulatorData(result.days, { endpoint: 'corp', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid: account() });
  });

  it('fetches one servicer and keeps absent rates as null', async () => {
    const openKfid = account();
    const servicerUserid = kf.sim.fixtures.servicers[openKfid]![0]!;
    const result = await selfBuilt().getStatistics({ endpoint: 'servicer', openKfid, servicerUserid, last: 90 });
    expectSimulatorData(result.days, { endpoint: 'servicer', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid, servicerUserid });
    const withoutSessions = result.days.filter((d) => d.statistic && d.statistic.session_cnt === 0);
    for (const d of withoutSessions) expect(d.statistic!.reply_rate).toBeNull();
    expect(result.days.every((d) => d.statistic === null || !('servicer_session_cnt' in d.statistic))).toBe(true);
  });

  it('passes unknown fields through', async () => {
    kf.sim.setExtraFields({ brand_new_metric_cnt: 5 });
    const result = await selfBuilt().getStatistics({ endpoint: 'corp', openKfid: account(), last: 3 });
    for (const d of result.days.filter((x) => x.statistic)) expect(d.statistic!.brand_new_metric_cnt).toBe(5);
  });

  it('lists every account and the servicers of one', async () => {
    const client = selfBuilt();
    expect((await client.listAccounts()).map((a) => a.open_kfid)).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid));
    expect((await client.listServicers(account())).map((s) => s.userid)).toEqual(kf.sim.fixtures.servicers[account()]);
  });

  it('gets its token from a token service', async () => {
    const { tokenService } = kf.sim.fixtures;
    const client = createNodeClient({
      baseUrl: kf.sim.url,
      now,
      auth: { type: 'tokenService', url: tokenService.path, headers: { [tokenService.headerName]: tokenService.headerValue } },
    });
    clients.push(client);
    const result = await client.getStatistics({ endpoint: 'corp', openKfid: account(), last: 2 });
    expect(result.days).toHaveLength(2);
    expect(kf.sim.callCount(tokenService.path)).toBe(1);
  });

  it('makes zero calls for a repeated query', async () => {
    const client = selfBuilt();
    await client.getStatistics({ endpoint: 'corp', openKfid: account(), last: 180 });
    kf.sim.resetCalls();
    const again = await client.getStatistics({ endpoint: 'corp', openKfid: account(), last: 180 });
    expect(kf.sim.calls).toHaveLength(0);
    expect(again.stats.cachedDays).toBe(180);
  });
});

describe('a transport shared by many clients', () => {
  it('carries every call of a client given it, and stays open when that client closes', async () => {
    const shared = createUndiciTransport();
    let calls = 0;
    let closed = 0;
    const counted = Object.assign((request: Parameters<typeof shared>[0]) => ((calls += 1), shared(request)), {
      close: () => ((closed += 1), shared.close()),
    });
    const client = selfBuilt({ transport: counted });
    clients.push(client);
    await client.getStatistics({ endpoint: 'corp', openKfid: kf.sim.fixtures.accounts[0]!.open_kfid, last: 3 });
    expect(calls).toBe(2);
    await client.close();
    expect(closed).toBe(0);
    await shared.close();
  });
});

describe('tokens over real HTTP', () => {
  it('recovers when the token is invalidated in the middle of a run, losing no day', async () => {
    let invalidated = false;
    const client = selfBuilt({ concurrency: 1 });
    const result = await client.getStatistics({
      endpoint: 'corp',
      openKfid: account(),
      last: 180,
      onProgress: (p) => {
        if (p.completedChunks === 2 && !invalidated) {
          invalidated = true;
          kf.sim.invalidateTokens();
        }
      },
    });
    expect(result.days).toHaveLength(180);
    expect(kf.sim.callCount(GETTOKEN)).toBe(2);
    expect(kf.sim.callCount(CORP)).toBe(7);
    expect(kf.sim.calls.filter((c) => c.path === CORP).map((c) => c.errcode)).toEqual([0, 0, 40014, 0, 0, 0, 0]);
    expectSimulatorData(result.days, { endpoint: 'corp', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid: account() });
  });

  it('renews the suite token when WeCom invalidates it early', async () => {
    const client = provider();
    await client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    kf.sim.invalidateTokens();
    await client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    // stats 40014 → corp token renewal → 40082 from get_corp_token → new suite token → new corp token
    expect(kf.sim.callCount('/cgi-bin/service/get_suite_token')).toBe(2);
    expect(kf.sim.calls.filter((c) => c.path === '/cgi-bin/service/get_corp_token').map((c) => c.errcode ?? 0)).toEqual([0, 40082, 0]);
  });

  it('shares one token refresh among concurrent callers', async () => {
    const tokenStore = createMemoryTokenStore();
    const many = Array.from({ length: 5 }, () => selfBuilt({ tokenStore }));
    await Promise.all(many.flatMap((c) => [c.getStatistics({ endpoint: 'corp', openKfid: account(), last: 40 }), c.listAccounts()]));
    expect(kf.sim.callCount(GETTOKEN)).toBe(1);
  });
});

describe('faults over real HTTP', () => {
  it.each([
    ['errcode -1', { kind: 'errcode', errcode: -1 }],
    ['errcode 45009', { kind: 'errcode', errcode: 45009 }],
    ['errcode 45033', { kind: 'errcode', errcode: 45033 }],
    ['HTTP 502', { kind: 'http', status: 502 }],
    ['a dropped connection', { kind: 'drop' }],
  ] as const)('retries %s, then succeeds', async (_name, fault) => {
    kf.sim.inject({ ...fault, path: CORP, times: 2 });
    const result = await selfBuilt({ concurrency: 1 }).getStatistics({ endpoint: 'corp', openKfid: account(), last: 31 });
    expect(result.days).toHaveLength(31);
    expect(kf.sim.callCount(CORP)).toBe(3);
  });

  it('retries a timeout, then succeeds', async () => {
    kf.sim.inject({ kind: 'delay', ms: 1500, path: CORP });
    const result = await selfBuilt({ timeoutMs: 300 }).getStatistics({ endpoint: 'corp', openKfid: account(), last: 5 });
    expect(result.days).toHaveLength(5);
    expect(kf.sim.callCount(CORP)).toBe(2);
  });

  it.each([
    [48002, /48002.*可调用接口的应用/],
    [60020, /60020.*trusted IP list/],
    [95004, /95004.*open_kfid was not found/],
  ])('fails at once on errcode %i with its hint', async (errcode, hint) => {
    kf.sim.inject({ kind: 'errcode', errcode, path: CORP });
    const error = await selfBuilt()
      .getStatistics({ endpoint: 'corp', openKfid: account(), last: 20 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WecomApiError);
    expect((error as Error).message).toMatch(hint);
    expect(kf.sim.callCount(CORP)).toBe(1);
  });

  it('gives a clear error for malformed JSON', async () => {
    kf.sim.inject({ kind: 'malformed', path: CORP });
    const error = await selfBuilt()
      .getStatistics({ endpoint: 'corp', openKfid: account(), last: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseFormatError);
    expect((error as Error).message).toMatch(/^Unexpected answer from \/cgi-bin\/kf\/get_corp_statistic: the body is not valid JSON/);
  });

  it('gives a clear error naming the field for a body that breaks the schema', async () => {
    kf.sim.inject({ kind: 'schema', path: CORP });
    const error = await selfBuilt()
      .getStatistics({ endpoint: 'corp', openKfid: account(), last: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseFormatError);
    expect((error as Error).message).toMatch(/field statistic_list breaks the documented shape/);
  });

  it('tells transport failures, HTTP statuses and timeouts apart after retries run out', async () => {
    kf.sim.inject({ kind: 'http', status: 503, path: CORP, times: 10 });
    await expect(
      selfBuilt({ retry: { ...FAST_RETRY, maxRetries: 1 } }).getStatistics({ endpoint: 'corp', openKfid: account(), last: 1 }),
    ).rejects.toBeInstanceOf(HttpStatusError);
    kf.sim.clearFaults();
    kf.sim.inject({ kind: 'drop', path: CORP, times: 10 });
    await expect(
      selfBuilt({ retry: { ...FAST_RETRY, maxRetries: 1 } }).getStatistics({ endpoint: 'corp', openKfid: account(), last: 1 }),
    ).rejects.toBeInstanceOf(TransportError);
    kf.sim.clearFaults();
    kf.sim.inject({ kind: 'delay', ms: 800, path: CORP, times: 10 });
    await expect(
      selfBuilt({ timeoutMs: 200, retry: { ...FAST_RETRY, maxRetries: 0 } }).getStatistics({
        endpoint: 'corp',
        openKfid: account(),
        last: 1,
      }),
    ).rejects.toBeInstanceOf(TimeoutError);
  });

  it('names a wrong secret plainly', async () => {
    const client = createNodeClient({
      baseUrl: kf.sim.url,
      now,
      auth: { type: 'selfBuilt', corpId: kf.sim.fixtures.selfBuilt.corpId, corpSecret: 'not-the-secret' },
    });
    clients.push(client);
    await expect(client.checkAuth()).rejects.toThrow(/errcode 40001 .*The secret is wrong/);
  });

  it('fails at once, without retries, after the client was closed', async () => {
    const client = selfBuilt({ retry: { baseDelayMs: 2000 } });
    await client.checkAuth();
    await client.close();
    const started = Date.now();
    await expect(client.getStatistics({ endpoint: 'corp', openKfid: account(), last: 1 })).rejects.toThrow(
      /aborted: the client was closed/,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops everything when aborted', async () => {
    kf.sim.setLatency(200);
    try {
      const controller = new AbortController();
      const pending = selfBuilt({ concurrency: 2 }).getStatistics({
        endpoint: 'corp',
        openKfid: account(),
        last: 180,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Error('user cancelled')), 50);
      await expect(pending).rejects.toThrow(/aborted: user cancelled/);
    } finally {
      kf.sim.setLatency(0);
    }
  });
});
