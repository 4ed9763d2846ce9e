import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { metricsFor, summarizeDays, type StatisticsEndpoint } from '@wecom-kf-stats/core';
import { addDays, chinaToday } from '../src/china-days.js';

const metricKeysFor = (endpoint: StatisticsEndpoint) => metricsFor(endpoint).map((m) => m.key);
import { buildApi } from '../src/api.js';
import { createStoreHealth } from '../src/health.js';
import { collect } from '../src/collector.js';
import { openStore, type Store } from '../src/store/store.js';
import {
  apiOptions,
  createContractCheck,
  createRuntime,
  daysIn,
  fetchAnswer,
  silentLog,
  simulatorConfigJson,
  simulatorEnv,
  tempDir,
  type Json,
  type Runtime,
} from './helpers.js';

const kf = useSimulator();
const KEY = 'test-key-0123456789abcdef';
const TOKEN_KEY = 'token-key-0123456789abcdef';
let sim: Simulator;
let store: Store;
let rt: Runtime;
let app: FastifyInstance;
let base: string;
let corpId: string;
let openKfid: string;
/** The OpenAPI document the server serves; every answer below is checked against it. */
let document: Json;
let contract: ReturnType<typeof createContractCheck>;

beforeAll(async () => {
  sim = kf.sim;
  corpId = sim.fixtures.selfBuilt.corpId;
  openKfid = sim.fixtures.accounts[0]!.open_kfid;
  store = await openStore(tempDir('kf-api-'));
  rt = createRuntime(simulatorConfigJson(sim, 'unused'), simulatorEnv(sim), store, kf.now);
  app = await buildApi(apiOptions(rt, store, kf.now, { apiKeys: [KEY, 'second-key-0123456789abcdef'], tokenApiKeys: [TOKEN_KEY] }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  document = (await fetchAnswer(`${base}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${KEY}` } })).body;
  contract = createContractCheck(document);
});
afterAll(async () => {
  await app?.close();
  await rt?.close();
  await store?.close();
});

/** The CLI's JSON for a day: every catalog metric present (null when WeCom left it out), extra fields kept. */
function shown(endpoint: StatisticsEndpoint, statistic: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (statistic === undefined) return null;
  return { ...Object.fromEntries(metricKeysFor(endpoint).map((k) => [k, null])), ...statistic };
}

async function get(path: string, key: string | null = KEY) {
  const answer = await fetchAnswer(`${base}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  contract.check('GET', path, answer);
  return answer;
}

describe('authentication', () => {
  it('answers /healthz without a key', async () => {
    expect(await get('/healthz', null)).toMatchObject({ status: 200, body: { status: 'ok', store: 'embedded' } });
  });
  it.each([
    ['no header', null, 'send the header "Authorization: Bearer <API key>"'],
    ['a wrong key', 'wrong-key-0123456789abcdef', 'the API key is not valid'],
    ['a prefix of a key', KEY.slice(0, -1), 'the API key is not valid'],
    ['an empty key', '', 'send the header "Authorization: Bearer <API key>"'],
  ])('refuses %s with 401 JSON', async (_what, key, message) => {
    for (const path of ['/api/v1/sources', '/metrics', '/api/v1/statistics?source=acme']) {
      const answer = await get(path, key);
      expect(answer.status, path).toBe(401);
      expect(answer.body).toEqual({ error: { code: 'UNAUTHORIZED', message } });
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
  });
  it('accepts every configured key', async () => {
    expect((await get('/api/v1/sources', 'second-key-0123456789abcdef')).status).toBe(200);
  });
});

describe('listing', () => {
  it('lists the sources without credentials or variable names', async () => {
    const answer = await get('/api/v1/sources');
    expect(answer.body).toEqual({
      sources: [
        { id: 'acme', type: 'selfBuilt', collect: ['corp', 'servicer'], corps: [corpId] },
        { id: 'isv', type: 'serviceProvider', collect: ['component'], corps: [sim.fixtures.suite.authCorpId] },
      ],
    });
    expect(answer.text).not.toMatch(/Env|secret/i);
  });
  it('lists accounts and servicers (from WeCom the first time, then from the store)', async () => {
    const accounts = await get('/api/v1/accounts?source=acme');
    expect(accounts.body.accounts.map((a: { open_kfid: string }) => a.open_kfid)).toEqual(
      sim.fixtures.accounts.map((a) => a.open_kfid).sort(),
    );
    const servicers = await get(`/api/v1/servicers?source=acme&open_kfid=${openKfid}`);
    expect(servicers.body.servicers.map((s: { servicer_userid: string }) => s.servicer_userid)).toEqual(
      [...kf.sim.fixtures.servicers[openKfid]!].sort(),
    );
    sim.resetCalls();
    await get('/api/v1/accounts?source=acme');
    await get(`/api/v1/servicers?source=acme&open_kfid=${openKfid}`);
    expect(sim.callCount(/kf\/(account|servicer)\/list/)).toBe(0);
  });
});

describe('statistics', () => {
  it('answers in the CLI JSON shape, fetching the days the archive lacks live and storing them', async () => {
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=40`);
    expect(answer.status).toBe(200);
    const yesterday = addDays(chinaToday(kf.now()), -1);
    expect(answer.body).toMatchObject({
      source: 'acme',
      corpid: corpId,
      endpoint: 'corp',
      open_kfid: openKfid,
      from: addDays(yesterday, -39),
      to: yesterday,
      warnings: [],
    });
    expect(answer.body.days).toHaveLength(40);
    for (const day of answer.body.days) {
      expect(Object.keys(day)).toEqual(['date', 'stat_time', 'statistic']);
      expect(day.statistic).toStrictEqual(shown('corp', sim.expectedStatistic({ endpoint: 'corp', corpId, openKfid, date: day.date })));
    }
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(2);
    // Asked again: all from the archive.
    sim.resetCalls();
    const again = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=40`);
    expect(again.body.days).toEqual(answer.body.days);
    expect(sim.callCount(/statistic/)).toBe(0);
  });

  it('merges archived and missing days and fetches only the gap', async () => {
    const yesterday = addDays(chinaToday(kf.now()), -1);
    sim.resetCalls();
    const answer = await get(
      `/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&from=${addDays(yesterday, -59)}&to=${yesterday}`,
    );
    expect(answer.body.days).toHaveLength(60);
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(1);
  });

  it("stores and answers core's normalized days: absent metrics as null, unknown fields kept", async () => {
    const other = sim.fixtures.accounts[2]!.open_kfid;
    sim.setExtraFields({ brand_new_metric: 7 });
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=servicer&open_kfid=${other}&last=31`);
    expect(answer.body.days).toHaveLength(31);
    for (const day of answer.body.days) {
      const expected = sim.expectedStatistic({ endpoint: 'servicer', corpId, openKfid: other, date: day.date });
      expect(day.statistic).toStrictEqual(expected ? { ...shown('servicer', expected), brand_new_metric: 7 } : null);
    }
    sim.setExtraFields(undefined);
    const component = await get(`/api/v1/statistics?source=isv&endpoint=component&last=90`);
    const authCorp = sim.fixtures.suite.authCorpId;
    for (const day of component.body.days) {
      expect(day.statistic).toStrictEqual(
        shown('component', sim.expectedStatistic({ endpoint: 'component', corpId: authCorp, date: day.date })),
      );
    }
    // A rate WeCom could not compute: null in the answer and in the archive (never 0).
    const lacking = component.body.days.filter(
      (d: { statistic: Record<string, unknown> | null }) => d.statistic && d.statistic.reply_rate === null,
    );
    expect(lacking.length).toBeGreaterThan(0);
    const series = { source: 'isv', endpoint: 'component' as const, corpId: authCorp, openKfid: '', servicerUserid: '' };
    const [archived] = await store.readDays(series, lacking[0].date, lacking[0].date);
    expect(archived!.statistic).toStrictEqual(
      shown('component', sim.expectedStatistic({ endpoint: 'component', corpId: authCorp, date: lacking[0].date })),
    );
    expect(archived!.statistic!.reply_rate).toBeNull();
  });

  it('summarizes the same days as core does', async () => {
    const stats = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=30`);
    const summary = await get(`/api/v1/summary?source=acme&endpoint=corp&open_kfid=${openKfid}&last=30`);
    expect(summary.body.summary).toEqual(JSON.parse(JSON.stringify(summarizeDays('corp', stats.body.days))));
  });

  it('names days that neither the archive nor WeCom can give in a warning', async () => {
    const yesterday = addDays(chinaToday(kf.now()), -1);
    const from = addDays(yesterday, -199);
    const answer = await get(`/api/v1/statistics?source=isv&endpoint=component&from=${from}&to=${addDays(yesterday, -170)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.days.map((d: { date: string }) => d.date)).toEqual(
      Array.from({ length: 10 }, (_, i) => addDays(yesterday, -179 + i)),
    );
    expect(answer.body.warnings).toEqual([
      expect.objectContaining({ code: 'NOT_ARCHIVED', ranges: [{ from, to: addDays(yesterday, -180) }] }),
    ]);
    expect(answer.body.warnings[0].message).toContain(`${from}..${addDays(yesterday, -180)}`);
  });

  it('shares one live fetch between identical requests arriving together', async () => {
    const other = sim.fixtures.accounts[1]!.open_kfid;
    const yesterday = addDays(chinaToday(kf.now()), -1);
    const path = `/api/v1/statistics?source=acme&endpoint=servicer&open_kfid=${other}&from=${addDays(yesterday, -99)}&to=${addDays(yesterday, -90)}`;
    sim.setLatency(100);
    try {
      const answers = await Promise.all([get(path), get(path), get(path)]);
      for (const answer of answers) expect(answer.body.days).toHaveLength(10);
    } finally {
      sim.setLatency(0);
    }
    expect(sim.callCount('/cgi-bin/kf/get_servicer_statistic')).toBe(1);
  });

  it('names both the days a failed live fetch lost and the days no source has', async () => {
    const other = sim.fixtures.accounts[1]!.open_kfid;
    const yesterday = addDays(chinaToday(kf.now()), -1);
    sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_servicer_statistic' });
    const from = addDays(yesterday, -184);
    const answer = await get(
      `/api/v1/statistics?source=acme&endpoint=servicer&open_kfid=${other}&from=${from}&to=${addDays(yesterday, -175)}`,
    );
    expect(answer.body.days).toEqual([]);
    expect(answer.body.warnings.map((w: Json) => [w.code, daysIn(w.ranges)])).toEqual([
      ['LIVE_FETCH_FAILED', 5],
      ['NOT_ARCHIVED', 5],
    ]);
  });

  it('answers with what it has and a warning when the live fetch fails', async () => {
    const other = sim.fixtures.accounts[1]!.open_kfid;
    sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic', times: 1 });
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${other}&last=10`);
    expect(answer.status).toBe(200);
    expect(answer.body.days).toEqual([]);
    expect(answer.body.warnings[0]).toMatchObject({ code: 'LIVE_FETCH_FAILED' });
    expect(answer.body.warnings[0].message).toContain('48002');
  });
});

describe('WeCom failures', () => {
  it("answer 502 with core's message when a list cannot be fetched", async () => {
    sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/account/list' });
    const answer = await get('/api/v1/accounts?source=isv');
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('UPSTREAM_WECOM_API');
    expect(answer.body.error.message).toContain('48002');
    expect(answer.text).not.toContain('    at ');
  });
});

describe('bad parameters answer 400 naming the parameter', () => {
  const yesterday = () => addDays(chinaToday(kf.now()), -1);
  const cases: [string, string, string][] = [
    ['/api/v1/statistics', 'source', 'required: a source id (GET /api/v1/sources lists them)'],
    ['/api/v1/statistics?source=acme', 'endpoint', 'required: "component", "corp" or "servicer"'],
    ['/api/v1/statistics?source=acme&endpoint=daily', 'endpoint', '"daily" is not one of "component", "corp", "servicer"'],
    [
      '/api/v1/statistics?source=acme&endpoint=component&last=3',
      'endpoint',
      '"component" statistics need a serviceProvider source; "acme" is selfBuilt',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&last=3',
      'open_kfid',
      'required for corp statistics: a customer-service account id ("wk...")',
    ],
    [
      '/api/v1/statistics?source=isv&endpoint=component&open_kfid=wk1&last=3',
      'open_kfid',
      'not used by component statistics (they are corp-level)',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&servicer_userid=u&last=3',
      'servicer_userid',
      'only with endpoint=servicer',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&to=2026-01-01',
      'from',
      'missing; allowed: a start day when a "to" day is given',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=2026-02-30&to=2026-03-01',
      'from',
      '"2026-02-30" (no such calendar date); allowed: YYYY-MM-DD (China date), a Date, epoch seconds, epoch milliseconds, an ISO date-time with offset, "today", "yesterday" or "N days ago"',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=soon&to=2026-03-01',
      'from',
      '"soon"; allowed: YYYY-MM-DD (China date), a Date, epoch seconds, epoch milliseconds, an ISO date-time with offset, "today", "yesterday" or "N days ago"',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=2026-01-01&to=2026-13-01',
      'to',
      '"2026-13-01" (no such calendar date); allowed: YYYY-MM-DD (China date), a Date, epoch seconds, epoch milliseconds, an ISO date-time with offset, "today", "yesterday" or "N days ago"',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=2025-03-02&to=2025-03-01',
      'to',
      '"2025-03-01" (the range is reversed); allowed: a day on or after from (2025-03-02)',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=2000-01-01&to=2025-03-01',
      'from',
      '"2000-01-01" (it spans 9192 days); allowed: a range of at most 3660 days',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&last=0',
      'last',
      '"0"; allowed: a whole number of days from 1 to 3660 (e.g. 7 or "7d"); WeCom keeps the last 180',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&last=5000',
      'last',
      '"5000"; allowed: a whole number of days from 1 to 3660 (e.g. 7 or "7d"); WeCom keeps the last 180',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&last=-3',
      'last',
      '"-3"; allowed: a whole number of days from 1 to 3660 (e.g. 7 or "7d"); WeCom keeps the last 180',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&last=3&from=2026-01-01',
      'last',
      '"3"; allowed: either last or from/to, not both',
    ],
    [
      '/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&last=3&limit=5',
      'limit',
      'unknown parameter; allowed: source, corpid, endpoint, open_kfid, servicer_userid, from, to, last',
    ],
    ['/api/v1/statistics?source=acme&source=isv', 'source', 'given more than once'],
    [
      '/api/v1/summary?source=acme&endpoint=corp&open_kfid=wk1&last=x',
      'last',
      '"x"; allowed: a whole number of days from 1 to 3660 (e.g. 7 or "7d"); WeCom keeps the last 180',
    ],
    [
      '/api/v1/summary?source=isv&endpoint=servicer&last=3',
      'open_kfid',
      'required for servicer statistics: a customer-service account id ("wk...")',
    ],
    ['/api/v1/accounts', 'source', 'required: a source id (GET /api/v1/sources lists them)'],
    ['/api/v1/accounts?source=acme&open_kfid=wk1', 'open_kfid', 'unknown parameter; allowed: source, corpid'],
    ['/api/v1/servicers?source=acme', 'open_kfid', 'required: a customer-service account id ("wk...")'],
    ['/api/v1/sources?source=acme', 'source', 'unknown parameter; allowed: '],
  ];
  it.each(cases)('%s -> %s', async (path, parameter, message) => {
    const answer = await get(path);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: 'INVALID_PARAMETER', message: `${parameter}: ${message}` } });
    expect(answer.text).not.toContain('    at ');
  });

  it('a range after yesterday is refused naming from', async () => {
    const today = chinaToday(kf.now());
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=wk1&from=${today}&to=${today}`);
    expect(answer.body.error.message).toBe(
      `from: "${today}" (the range lies wholly after yesterday; data for a day is ready the next day); allowed: days up to yesterday (${yesterday()}, China time)`,
    );
  });

  it("reads a range by core's rule, as the CLI does: last=7d, from alone up to yesterday, no range as yesterday", async () => {
    const series = `/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}`;
    expect((await get(`${series}&last=7d`)).body).toMatchObject({ from: addDays(yesterday(), -6), to: yesterday() });
    expect((await get(`${series}&from=${addDays(yesterday(), -2)}`)).body).toMatchObject({
      from: addDays(yesterday(), -2),
      to: yesterday(),
    });
    expect((await get(series)).body).toMatchObject({ from: yesterday(), to: yesterday() });
    const later = await get(`${series}&from=${yesterday()}&to=${addDays(yesterday(), 5)}`);
    expect(later.body).toMatchObject({ to: yesterday(), warnings: [{ code: 'RANGE_CLAMPED' }] });
  });

  it('unknown routes answer 404 JSON', async () => {
    expect(await get('/api/v1/nothing')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no route GET /api/v1/nothing' } },
    });
  });
});

describe('answers from memory', () => {
  it('answers a settled range again without reading the archive, with an ETag that a 304 honours, until the series is written', async () => {
    const path = `/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=20`;
    const first = await get(path);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const reads: unknown[] = [];
    const readDays = store.readDays.bind(store);
    store.readDays = async (...args) => {
      reads.push(args);
      return readDays(...args);
    };
    try {
      const again = await get(path);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('etag')).toBe(etag);
      expect(reads).toHaveLength(0);
      const unchanged = await fetchAnswer(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}`, 'if-none-match': etag! } });
      expect(unchanged.status).toBe(304);
      expect(unchanged.text).toBe('');
      contract.check('GET', path, unchanged);
      // Without a key, no answer and no ETag: the key is checked before the cache.
      const anonymous = await fetchAnswer(`${base}${path}`, { headers: { 'if-none-match': etag! } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('etag')).toBeNull();
      // A write to the series (a late correction) makes the next answer new.
      const series = { source: 'acme', endpoint: 'corp' as const, corpId, openKfid, servicerUserid: '' };
      const day = first.body.days[0];
      await store.writeDays(series, [{ ...day, statistic: { ...day.statistic, session_cnt: 987654 } }], kf.now());
      const changed = await get(path);
      expect(reads.length).toBeGreaterThan(0);
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect(changed.body.days[0].statistic.session_cnt).toBe(987654);
      const stale = await fetchAnswer(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}`, 'if-none-match': etag! } });
      expect(stale.status).toBe(200);
      await store.writeDays(series, [day], kf.now());
    } finally {
      store.readDays = readDays;
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes every route with exactly the parameters the handlers accept', async () => {
    const doc = (await get('/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = ['/api/v1/sources', '/api/v1/accounts', '/api/v1/servicers', '/api/v1/statistics', '/api/v1/summary'];
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        ...routes,
        '/api/v1/sources/{source}/token',
        '/api/v1/keys',
        '/api/v1/keys/{name}',
        '/api/v1/sources/{source}/corps/{corpid}',
        '/api/v1/destinations',
        '/api/v1/destinations/{id}',
        '/api/v1/destinations/{id}/preview',
        '/api/v1/destinations/{id}/test',
        '/healthz',
        '/metrics',
        '/callback/{source}',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/api/v1/keys']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/v1/keys'].post.requestBody.content['application/json'].schema.required).toEqual(['name']);
    expect(Object.keys(doc.paths['/api/v1/sources/{source}/corps/{corpid}'])).toEqual(['delete']);
    expect(Object.keys(doc.paths['/api/v1/destinations']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/v1/destinations'].post.requestBody.content['application/json'].schema.required).toEqual(['id', 'webhook']);
    expect(Object.keys(doc.paths['/api/v1/destinations/{id}/test'])).toEqual(['post']);
    expect(
      doc.paths['/api/v1/sources/{source}/token'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
    ).toEqual(['query:corpid', 'path:source']);
    for (const route of routes) {
      const documented: string[] = (doc.paths[route].get.parameters ?? []).map((p: { name: string }) => p.name);
      // An undocumented parameter is refused, naming the documented ones.
      const refusal = await get(`${route}?undocumented=1`);
      expect(refusal.body.error.message).toBe(`undocumented: unknown parameter; allowed: ${documented.join(', ')}`);
      for (const name of documented) {
        if (name === 'source') continue;
        const probe = await get(`${route}?source=acme&${name}=`);
        expect(probe.body?.error?.message ?? '', `${route} ${name}`).not.toContain(`${name}: unknown parameter`);
      }
    }
    expect(
      doc.paths['/api/v1/statistics'].get.parameters.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name),
    ).toEqual(['source', 'endpoint']);
    expect(doc.paths['/api/v1/statistics'].get.parameters.find((p: { name: string }) => p.name === 'endpoint').schema.enum).toEqual([
      'component',
      'corp',
      'servicer',
    ]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    // Every status the handlers answer is listed, with the error shape.
    expect(Object.keys(doc.paths['/api/v1/statistics'].get.responses)).toEqual(['200', '304', '400', '401', '403', '404', '502', '503']);
    expect(
      doc.paths['/api/v1/sources'].get.responses['200'].content['application/json'].schema.properties.sources.items.properties,
    ).toHaveProperty('cancelled_corps');
  });

  it('gives a token to a token key and 403 to a read key, both as documented', async () => {
    const token = await get(`/api/v1/sources/acme/token`, TOKEN_KEY);
    expect(token).toMatchObject({ status: 200, body: { access_token: expect.any(String), expires_in: expect.any(Number) } });
    expect((await get(`/api/v1/sources/acme/token`)).status).toBe(403);
    expect((await get(`/api/v1/sources/nothing/token`, TOKEN_KEY)).status).toBe(404);
  });

  it("matched every real answer above against the served document, for every route's 200 and its errors", () => {
    // Each get() of this file checked its answer; these are the routes and statuses that were seen.
    const seen = [...contract.seen];
    for (const route of [
      '/api/v1/sources',
      '/api/v1/accounts',
      '/api/v1/servicers',
      '/api/v1/statistics',
      '/api/v1/summary',
      '/api/v1/sources/{source}/token',
      '/healthz',
    ])
      expect(seen, route).toContain(`GET ${route} 200`);
    for (const status of [400, 401, 404, 502])
      expect(
        seen.some((s) => s.endsWith(` ${status}`)),
        String(status),
      ).toBe(true);
    expect(seen).toContain('GET /api/v1/sources/{source}/token 403');
  });

  it('refuses an answer that breaks the document (the check can fail)', () => {
    const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
    expect(() => contract.check('GET', '/api/v1/sources', { status: 200, body: { sources: [{ id: 1 }] }, headers })).toThrow(
      /breaks the document/,
    );
    expect(() => contract.check('GET', '/api/v1/sources', { status: 418, body: {}, headers })).toThrow(/does not list/);
  });
});

describe('metrics', () => {
  it('counts calls and errors by errcode and reports days stored, last run and lag per source', async () => {
    await collect({ config: rt.config, store, clients: rt.clients, now: kf.now, owner: rt.owner, log: silentLog });
    const text = (await get('/metrics')).text;
    expect(text).toMatch(/kf_wecom_calls_total\{source="acme",path="\/cgi-bin\/kf\/get_corp_statistic"\} \d+/);
    // The two 48002 answers injected above for acme (corp and servicer), one for isv's account list.
    expect(text).toContain('kf_wecom_errors_total{source="acme",errcode="48002"} 2');
    expect(text).toContain('kf_wecom_errors_total{source="isv",errcode="48002"} 1');
    const days = Number(/kf_days_stored\{source="acme"\} (\d+)/.exec(text)![1]);
    const [row] = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM kf_days WHERE source = 'acme'`);
    expect(days).toBe(row!.n);
    expect(text).toContain('kf_archive_lag_days{source="acme"} 0');
    expect(text).toMatch(/kf_last_successful_run_timestamp_seconds\{source="isv"\} \d{10}/);
    // Every request to WeCom timed (from core's response hook), as many as were counted.
    const counted = Number(/kf_wecom_calls_total\{source="acme",path="\/cgi-bin\/kf\/get_corp_statistic"\} (\d+)/.exec(text)![1]);
    expect(text).toContain(`kf_wecom_call_duration_seconds_count{source="acme",path="/cgi-bin/kf/get_corp_statistic"} ${counted}`);
    // API answers timed by route pattern and status, never by the URL asked for.
    expect(text).toMatch(/kf_api_request_duration_seconds_count\{route="\/api\/v1\/statistics",status="200"\} [1-9]/);
    expect(text).toMatch(/kf_api_request_duration_seconds_count\{route="\/api\/v1\/statistics",status="400"\} [1-9]/);
    expect(text).not.toContain('route="/api/v1/nothing"');
  });
});

describe('days past 180', () => {
  it('are still served from the archive after the clock moves on', async () => {
    // 30 days later: the same WeCom data, a clock 30 days ahead, the same archive.
    const later = () => kf.now() + 30 * 86_400_000;
    const laterSim = await startSimulator({ port: 0, now: later });
    const laterRt = createRuntime(simulatorConfigJson(laterSim, 'unused'), simulatorEnv(laterSim), store, later);
    const laterApp = await buildApi(apiOptions(laterRt, store, later, { apiKeys: [KEY] }));
    const url = await laterApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      const oldest = addDays(chinaToday(kf.now()), -180);
      const response = await fetch(
        `${url}/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&from=${oldest}&to=${addDays(oldest, 9)}`,
        { headers: { authorization: `Bearer ${KEY}` } },
      );
      const body = (await response.json()) as { days: { date: string; statistic: unknown }[]; warnings: unknown[] };
      expect(body.warnings).toEqual([]);
      expect(body.days).toHaveLength(10);
      for (const day of body.days)
        expect(day.statistic).toStrictEqual(shown('corp', sim.expectedStatistic({ endpoint: 'corp', corpId, openKfid, date: day.date })));
      expect(laterSim.callCount(/statistic/)).toBe(0);
    } finally {
      await laterApp.close();
      await laterRt.close();
      await laterSim.close();
    }
  });
});

describe('health', () => {
  it('answers 503 once the store does not answer, from the background probe', async () => {
    const broken = await openStore(tempDir('kf-health-'));
    const health = createStoreHealth({ store: broken, owner: 'health-test', logger: rt.logger, intervalMs: 50 });
    const brokenApp = await buildApi({ ...apiOptions(rt, broken, kf.now, { apiKeys: [KEY] }), health });
    try {
      expect((await brokenApp.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await broken.close();
      let answer = await brokenApp.inject({ method: 'GET', url: '/healthz' });
      for (let i = 0; i < 100 && answer.statusCode === 200; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
        answer = await brokenApp.inject({ method: 'GET', url: '/healthz' });
      }
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toEqual({ status: 'unavailable', store: 'embedded', problem: 'the archive cannot be written' });
    } finally {
      health.stop();
      await brokenApp.close();
    }
  });
});
