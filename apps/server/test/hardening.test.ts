/**
 * The API as an attacker and a faulty network try it, in this process over real HTTP: inputs that
 * can never be valid (a fuzzer over every parameter), methods a route does not take, oversized
 * headers and bodies, keys in the query, unknown accounts asked again and again, a slow WeCom, a
 * flood of token renewals, a chunk WeCom answers wrongly, a full disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { daysAgo, useSimulator } from '@wecom-kf-stats/test-utils';
import { fingerprint } from '@wecom-kf-stats/core/provider';
import { buildApi, MAX_PARAMETER_LENGTH, TOKEN_RENEWAL_MIN_INTERVAL_MS } from '../src/api.js';
import { createStoreHealth } from '../src/health.js';
import { openStore, type Store } from '../src/store/store.js';
import {
  apiOptions,
  createRuntime,
  daysIn,
  fetchAnswer,
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
let openKfid: string;

beforeAll(async () => {
  sim = kf.sim;
  openKfid = sim.fixtures.accounts[0]!.open_kfid;
  store = await openStore(tempDir('kf-hardening-'));
  rt = createRuntime(simulatorConfigJson(sim, 'unused', { api: { liveFetchDeadlineMs: 400 } }), simulatorEnv(sim), store, kf.now);
  app = await buildApi(apiOptions(rt, store, kf.now, { apiKeys: [KEY], tokenApiKeys: [TOKEN_KEY] }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await rt?.close();
  await store?.close();
});

const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) =>
  fetchAnswer(`${base}${path}`, { headers });

/** The corp statistics series of one of the simulator's accounts. */
const corpSeries = (account: string) => ({
  source: 'acme',
  endpoint: 'corp' as const,
  corpId: sim.fixtures.selfBuilt.corpId,
  openKfid: account,
  servicerUserid: '',
});

describe('values that can never be valid', () => {
  it('refuses a NUL byte and eleven more such inputs with a 400 naming the parameter', async () => {
    const series = `source=acme&endpoint=corp&last=7`;
    const inputs: [string, string][] = [
      [`/api/v1/statistics?${series}&open_kfid=wk%00`, 'open_kfid'],
      [`/api/v1/statistics?source=acme%00&endpoint=corp&open_kfid=${openKfid}&last=7`, 'source'],
      [`/api/v1/statistics?${series}&open_kfid=${openKfid}&corpid=ww%00`, 'corpid'],
      [`/api/v1/statistics?source=acme&endpoint=corp%00&open_kfid=${openKfid}&last=7`, 'endpoint'],
      [`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&from=2026-01-01%00&to=2026-01-02`, 'from'],
      [`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=7%00`, 'last'],
      [`/api/v1/summary?${series}&open_kfid=${'w'.repeat(MAX_PARAMETER_LENGTH + 1)}`, 'open_kfid'],
      [`/api/v1/summary?source=acme&endpoint=servicer&open_kfid=${openKfid}&servicer_userid=%1B%5B31m&last=7`, 'servicer_userid'],
      [`/api/v1/accounts?source=acme&corpid=%C3%28`, 'corpid'],
      [`/api/v1/servicers?source=acme&open_kfid=%ED%A0%80`, 'open_kfid'],
      [`/api/v1/servicers?source=acme&open_kfid=wk%0D%0ASet-Cookie:x`, 'open_kfid'],
      [`/api/v1/sources/acme%00/token`, 'source'],
    ];
    for (const [path, parameter] of inputs) {
      const headers = { authorization: `Bearer ${path.includes('/token') ? TOKEN_KEY : KEY}` };
      const answer = await get(path, headers);
      expect(answer.status, path).toBe(400);
      expect(answer.body.error.code, path).toBe('INVALID_PARAMETER');
      expect(answer.body.error.message, path).toMatch(new RegExp(`^${parameter}: `));
    }
    expect(sim.callCount(/statistic|list/)).toBe(0);
  });

  it('answers no input of a fuzzer over every parameter of every route with a 5xx: each is a 400 naming its parameter', async () => {
    // Values no parameter can take, percent-encoded as a client would send them: control
    // characters, bytes that are not UTF-8, lone surrogates, lengths far beyond WeCom's ids.
    const bad = [
      '%00',
      'a%00b',
      '%01',
      '%08',
      '%09tab',
      '%0A',
      '%0D%0A',
      '%1B%5B2J',
      '%1F',
      '%7F',
      '%C2%80',
      '%C2%9F',
      '%FF',
      '%FE%FF',
      '%C3%28',
      '%C0%AF',
      '%E0%80%AF',
      '%ED%A0%80',
      '%ED%BF%BF',
      '%F8%88%80%80%80',
      '%EF%BF%BD',
      'x'.repeat(MAX_PARAMETER_LENGTH + 1),
      '%E4%B8%AD'.repeat(MAX_PARAMETER_LENGTH + 1),
      'y'.repeat(4000),
    ];
    const routes: { path: (value: string) => string; base: Record<string, string>; key?: string }[] = [
      { path: () => '/api/v1/statistics', base: { source: 'acme', endpoint: 'corp', open_kfid: openKfid, last: '7' } },
      {
        path: () => '/api/v1/statistics',
        base: { source: 'acme', endpoint: 'corp', open_kfid: openKfid, from: daysAgo(9), to: daysAgo(2) },
      },
      {
        path: () => '/api/v1/summary',
        base: { source: 'acme', endpoint: 'servicer', open_kfid: openKfid, servicer_userid: 'u', last: '7' },
      },
      { path: () => '/api/v1/summary', base: { source: 'acme', endpoint: 'corp', open_kfid: openKfid, corpid: 'x', last: '7' } },
      { path: () => '/api/v1/accounts', base: { source: 'acme', corpid: sim.fixtures.selfBuilt.corpId } },
      { path: () => '/api/v1/servicers', base: { source: 'acme', open_kfid: openKfid } },
      { path: () => '/api/v1/sources/acme/token', base: { corpid: sim.fixtures.selfBuilt.corpId }, key: TOKEN_KEY },
    ];
    const tried = new Set<string>();
    const failures: string[] = [];
    const tryOne = async (path: string, parameter: string, key = KEY) => {
      if (tried.has(path)) return;
      tried.add(path);
      const answer = await get(path, { authorization: `Bearer ${key}` });
      const message: string = answer.body?.error?.message ?? '';
      // A parameter name made of odd bytes is shown quoted and escaped.
      const named = parameter === '"' ? /^"[^\n]*": unknown parameter/.test(message) : message.startsWith(`${parameter}: `);
      if (answer.status !== 400 || !named) failures.push(`${path.slice(0, 120)} -> ${answer.status} ${message.slice(0, 80)}`);
    };
    for (const route of routes) {
      for (const parameter of Object.keys(route.base)) {
        for (const value of bad) {
          const query = Object.entries({ ...route.base, [parameter]: '' })
            .map(([name, v]) => `${name}=${name === parameter ? value : encodeURIComponent(v)}`)
            .join('&');
          await tryOne(`${route.path(value)}?${query}`, parameter, route.key);
        }
      }
    }
    // The path parameter of the token route, and parameters no route has.
    for (const value of bad) await tryOne(`/api/v1/sources/${value}/token`, 'source', TOKEN_KEY);
    for (const value of bad.slice(0, 12)) await tryOne(`/api/v1/sources?${value}=1`, '"');
    expect(failures.slice(0, 20)).toEqual([]);
    expect(tried.size).toBeGreaterThanOrEqual(300);
    // Nothing of it reached WeCom.
    expect(sim.callCount(/statistic|list|gettoken/)).toBe(0);
  }, 60_000);
});

describe('HTTP edges', () => {
  it('answers other methods on a GET route with 405 and Allow, and an unknown route with 404', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/api/v1/statistics', '/api/v1/sources', '/api/v1/sources/acme/token', '/metrics', '/healthz']) {
        const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${KEY}` } });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
        expect(((await response.json()) as Json).error.code).toBe('METHOD_NOT_ALLOWED');
      }
    }
    expect((await get('/api/v1/nothing')).status).toBe(404);
  });

  it('answers headers that are too large and bodies that are too large in the API error shape', async () => {
    const big = await get('/api/v1/sources', { authorization: `Bearer ${KEY}`, 'x-padding': 'p'.repeat(20_000) });
    expect(big.status).toBe(431);
    expect(big.body).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' } });
    const body = await fetch(`${base}/callback/acme`, {
      method: 'POST',
      body: 'x'.repeat(600 * 1024),
      headers: { 'content-type': 'text/xml' },
    });
    expect(body.status).toBe(413);
    expect(await body.json()).toEqual({ error: { code: 'BODY_TOO_LARGE', message: 'the request body is too large' } });
  });

  it('answers an address over http.publicPerMinute on what needs no key with 429, and closes the connection', async () => {
    const limitedRt = createRuntime(
      simulatorConfigJson(sim, 'unused', { http: { publicPerMinute: 5 } }),
      simulatorEnv(sim),
      store,
      kf.now,
      'limited',
    );
    const limited = await buildApi(apiOptions(limitedRt, store, kf.now, { apiKeys: [KEY] }));
    const url = await limited.listen({ host: '127.0.0.1', port: 0 });
    try {
      // Each route counts on its own: five callbacks are read (and refused), then no more.
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1)
        statuses.push((await fetch(`${url}/callback/isv`, { method: 'POST', body: 'x'.repeat(300_000) })).status);
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
      for (let i = 0; i < 5; i += 1) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const over = await fetch(`${url}/healthz`);
      expect(over.status).toBe(429);
      expect(over.headers.get('connection')).toBe('close');
      expect(((await over.json()) as Json).error.code).toBe('TOO_MANY_REQUESTS');
      // The API itself is not limited this way.
      expect((await fetch(`${url}/api/v1/sources`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    } finally {
      await limited.close();
      await limitedRt.close();
    }
  });

  it('logs request paths without their query: a key misplaced in the URL stays out of the log', async () => {
    const canary = 'misplaced-key-canary-5c1e9a';
    expect((await get(`/api/v1/sources?api_key=${canary}`, {})).status).toBe(401);
    expect(rt.logs.text()).toContain('/api/v1/sources');
    expect(rt.logs.text()).not.toContain(canary);
  });
});

describe('what a reader can make WeCom do', () => {
  it('asks WeCom about an unknown account once, then answers 404 from what it said', async () => {
    const unknown = 'wkNoSuchAccount000';
    const first = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${unknown}&last=7`);
    expect(first.status).toBe(404);
    expect(first.body.error.code).toBe('NOT_FOUND');
    expect(first.body.error.message).toMatch(/^open_kfid "wkNoSuchAccount000" is not an account of corp \S+: .*95004/);
    const calls = sim.callCount('/cgi-bin/kf/get_corp_statistic');
    expect(calls).toBeGreaterThan(0);
    for (let i = 0; i < 5; i += 1) {
      const again = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${unknown}&last=7`);
      expect(again.status).toBe(404);
    }
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(calls);
    expect((await get(`/api/v1/servicers?source=acme&open_kfid=${unknown}`)).status).toBe(404);
    expect((await get(`/api/v1/servicers?source=acme&open_kfid=${unknown}`)).status).toBe(404);
    expect(sim.callCount('/cgi-bin/kf/servicer/list')).toBe(1);
  });

  it('answers 400 for a malformed value and 404 for a well-formed id it has never seen, naming no other id', async () => {
    const answers = await Promise.all([
      get('/api/v1/statistics?source=nope&endpoint=corp&open_kfid=wk1&last=3'),
      get(`/api/v1/statistics?source=acme&corpid=wwother&endpoint=corp&open_kfid=${openKfid}&last=3`),
      get('/api/v1/accounts?source=ghost'),
      get('/api/v1/servicers?source=ghost&open_kfid=wk1'),
      get('/api/v1/sources/ghost/token', { authorization: `Bearer ${TOKEN_KEY}` }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('NOT_FOUND');
      // Only what the caller named: never another source's or corp's id.
      expect(answer.text).not.toContain('isv');
      expect(answer.text).not.toContain(sim.fixtures.selfBuilt.corpId);
      expect(answer.text).not.toContain(sim.fixtures.suite.authCorpId);
    }
    const malformed = await get('/api/v1/statistics?source=no%00pe&endpoint=corp&open_kfid=wk1&last=3');
    expect(malformed.status).toBe(400);
  });

  it('renews a token at most once for a flood of callers that say WeCom rejected it', async () => {
    const tokenOf = async () =>
      (await get('/api/v1/sources/acme/token', { authorization: `Bearer ${TOKEN_KEY}` })).body.access_token as string;
    const held = await tokenOf();
    sim.resetCalls();
    const flood = (rejected: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          get('/api/v1/sources/acme/token', { authorization: `Bearer ${TOKEN_KEY}`, 'x-kf-rejected-token': rejected }),
        ),
      );
    const answers = await flood(fingerprint(held), 50);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sim.callCount('/cgi-bin/gettoken')).toBe(1);
    const renewed = answers[0]!.body.access_token as string;
    expect(renewed).not.toBe(held);
    // The renewed token said to be rejected at once: within TOKEN_RENEWAL_MIN_INTERVAL_MS, nothing.
    await flood(fingerprint(renewed), 20);
    // A fingerprint of no token held renews nothing.
    await flood('0badf00d', 20);
    expect(sim.callCount('/cgi-bin/gettoken')).toBe(1);
    expect(TOKEN_RENEWAL_MIN_INTERVAL_MS).toBe(10_000);
  });
});

describe('live fetches', () => {
  it('answers within the deadline with the days it has, names the rest LIVE_FETCH_PENDING, and stores them when they come', async () => {
    const account = sim.fixtures.accounts[1]!.open_kfid;
    sim.setLatency(1500);
    let answer;
    try {
      answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=60`);
    } finally {
      sim.setLatency(0);
    }
    expect(answer.status).toBe(200);
    const pending = answer.body.warnings.find((w: Json) => w.code === 'LIVE_FETCH_PENDING');
    expect(pending.message).toMatch(/still being fetched from WeCom/);
    expect(answer.body.days.length + daysIn(pending.ranges)).toBe(60);
    const series = corpSeries(account);
    let stored = 0;
    for (let i = 0; i < 200 && stored < 60; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      stored = (await store.readDays(series, daysAgo(60), daysAgo(1))).length;
    }
    expect(stored).toBe(60);
    const later = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=60`);
    expect(later.body.days).toHaveLength(60);
    expect(later.body.warnings).toEqual([]);
  });

  it('loses only the days of a chunk WeCom answers wrongly: the other chunks are fetched and answered', async () => {
    const account = sim.fixtures.accounts[2]!.open_kfid;
    // The third call of the range (days 118..88 ago) answers a broken shape, however often asked.
    sim.inject({ kind: 'schema', path: '/cgi-bin/kf/get_corp_statistic', skip: 2, times: 1 });
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=180`);
    sim.clearFaults();
    expect(answer.status).toBe(200);
    const failed = answer.body.warnings.find((w: Json) => w.code === 'LIVE_FETCH_FAILED');
    expect(failed.ranges).toHaveLength(1);
    expect(daysIn(failed.ranges)).toBe(31);
    expect(answer.body.days).toHaveLength(180 - 31);
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBeGreaterThanOrEqual(6);
  });
});

describe('warnings', () => {
  it('name the days they are about as ranges: 220 days before the window are one range', async () => {
    const answer = await get(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${openKfid}&last=400`);
    expect(answer.status).toBe(200);
    const notArchived = answer.body.warnings.find((w: Json) => w.code === 'NOT_ARCHIVED');
    expect(notArchived.ranges).toEqual([{ from: daysAgo(400), to: daysAgo(181) }]);
    expect(notArchived.days).toBeUndefined();
    expect(answer.body.days).toHaveLength(180);
  });
});

describe('a store that cannot be written', () => {
  it('still answers the days it fetched, says the archive cannot be written, reports it on /healthz, and recovers without a restart', async () => {
    // A disk that fills up: a small tmpfs, filled once the store is open.
    const root = tempDir('kf-full-');
    const mountPoint = join(root, 'disk');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mountPoint]);
    const filler = join(mountPoint, 'filler');
    const full = await openStore(join(mountPoint, 'store'));
    const health = createStoreHealth({ store: full, owner: 'full-disk', logger: rt.logger, intervalMs: 100 });
    const fullRt = createRuntime(simulatorConfigJson(sim, 'unused'), simulatorEnv(sim), full, kf.now, 'full-owner');
    const fullApp = await buildApi({ ...apiOptions(fullRt, full, kf.now, { apiKeys: [KEY] }), health });
    const ask = async (path: string) => {
      const answer = await fullApp.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${KEY}` } });
      return { status: answer.statusCode, body: answer.json() as Json, text: answer.body };
    };
    const healthz = async () => (await fullApp.inject({ method: 'GET', url: '/healthz' })).statusCode;
    const waitForHealth = async (status: number) => {
      for (let i = 0; i < 100 && (await healthz()) !== status; i += 1) await new Promise((r) => setTimeout(r, 50));
      return healthz();
    };
    const account = sim.fixtures.accounts[0]!.open_kfid;
    try {
      expect(await healthz()).toBe(200);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=200'], { stdio: 'ignore' });
      } catch {
        // dd stops when the disk is full: that is the point.
      }
      const answer = await ask(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=60`);
      expect(answer.status).toBe(200);
      expect(answer.body.days).toHaveLength(60);
      expect(answer.body.days.every((d: Json) => d.date && 'statistic' in d)).toBe(true);
      const warning = answer.body.warnings.find((w: Json) => w.code === 'ARCHIVE_WRITE_FAILED');
      expect(warning.message).toBe('The archive cannot be written: 60 days fetched from WeCom are answered but not kept.');
      expect(answer.text).not.toMatch(/No space|could not|extend|base\//);
      expect(await waitForHealth(503)).toBe(503);
      expect((await fullApp.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
        status: 'unavailable',
        store: 'embedded',
        problem: 'the archive cannot be written',
      });
      // Space again: the store recovers by itself, and the next answer is stored.
      rmSync(filler);
      expect(await waitForHealth(200)).toBe(200);
      const again = await ask(`/api/v1/statistics?source=acme&endpoint=corp&open_kfid=${account}&last=60`);
      expect(again.body.warnings).toEqual([]);
      const series = corpSeries(account);
      expect(await full.readDays(series, daysAgo(60), daysAgo(1))).toHaveLength(60);
    } finally {
      health.stop();
      await fullApp.close();
      await fullRt.close();
      await full.close();
      rmSync(filler, { force: true });
      execFileSync('umount', [mountPoint]);
      writeFileSync(join(root, 'unmounted'), '');
    }
  }, 60_000);
});
