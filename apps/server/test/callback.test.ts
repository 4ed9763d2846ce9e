/**
 * A service provider's command callback, end to end: the simulator plays WeCom (with WeCom's own
 * crypto package) and posts signed, encrypted suite_ticket and authorization events to a running
 * server over HTTP on 127.0.0.1; the server exchanges auth codes for permanent codes, collects the
 * corps that joined, stops calling the ones that left, and keeps every secret out of its answers,
 * logs and store.
 */
import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import type { FastifyInstance } from 'fastify';
import { createNodeClient } from '@wecom-kf-stats/core/node';
import { chinaDayOfEpochMs } from '@wecom-kf-stats/core/days';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../src/api.js';
import { collect } from '../src/collector.js';
import { openStore, type Store } from '../src/store/store.js';
import { apiOptions, createRuntime, fetchAnswer, postCallbackEvent, silentLog, tempDir, type Json, type Runtime } from './helpers.js';

const now = chinaClock({ hour: 10 });
const KEY = 'read-key-0123456789abcdef';
const TOKEN_KEY = 'token-key-0123456789abcdef';
const CALLBACK_TOKEN = 'CbToken42';
const AES_KEY = randomBytes(32).toString('base64').slice(0, 43);
const STORE_KEY = randomBytes(32).toString('base64');
const CORPS = 50;

let sim: Simulator;
let store: Store;
let rt: Runtime;
let app: FastifyInstance;
let base: string;

const configFor = (simulator: Simulator) => ({
  store: 'unused',
  baseUrl: simulator.url,
  apiKeysEnv: 'KEYS',
  tokenApiKeysEnv: 'TOKEN_KEYS',
  storeKeyEnv: 'STORE_KEY',
  concurrency: 8,
  // A cancelled corp's archive is kept a while here, so that it can be read after the cancel
  // (tenants.test.ts deletes it at once, the default).
  retention: { cancelledCorpDays: 30 },
  sources: [
    {
      id: 'isv',
      collect: ['component'],
      auth: {
        type: 'serviceProvider',
        suiteId: simulator.fixtures.suite.suiteId,
        suiteSecretEnv: 'SUITE_SECRET',
        callback: { tokenEnv: 'CB_TOKEN', encodingAesKeyEnv: 'CB_AES_KEY' },
      },
    },
  ],
});
const envFor = (simulator: Simulator) => ({
  KEYS: KEY,
  TOKEN_KEYS: TOKEN_KEY,
  STORE_KEY,
  SUITE_SECRET: simulator.fixtures.suite.suiteSecret,
  CB_TOKEN: CALLBACK_TOKEN,
  CB_AES_KEY: AES_KEY,
});

function get(path: string, key = KEY) {
  return fetchAnswer(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

const authorized: { corpId: string; permanentCode: string; authCode: string }[] = [];
let firstTicket = '';
let grantedToken = '';

/** One collection run, as `collect` runs it (authorizations taken in first). */
const runCollect = (runtime: Runtime, on: Store, clock: () => number) =>
  collect({
    config: runtime.config,
    store: on,
    clients: runtime.clients,
    providers: runtime.providers,
    now: clock,
    owner: runtime.owner,
    log: silentLog,
  });

const apiParts = (runtime: Runtime, on: Store, clock = now) =>
  apiOptions(runtime, on, clock, { apiKeys: [KEY], tokenApiKeys: [TOKEN_KEY] });

beforeAll(async () => {
  // Only tickets pushed through the callback open get_suite_token, and none is configured.
  sim = await startSimulator({ port: 0, now, pushedTicketsOnly: true });
  store = await openStore(tempDir('kf-callback-'), { sealKey: Buffer.from(STORE_KEY, 'base64') });
  rt = createRuntime(configFor(sim), envFor(sim), store, now);
  app = await buildApi(apiParts(rt, store));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  sim.provider.configure({ url: `${base}/callback/isv`, token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, ticketIntervalMinutes: false });
}, 60_000);

afterAll(async () => {
  sim?.provider.stop();
  await app?.close();
  await rt?.close();
  await store?.close();
  await sim?.close();
});

describe('the command callback of a service provider', () => {
  it("answers WeCom's URL check with the decrypted echostr", async () => {
    expect(await sim.provider.verifyUrl()).toBe(true);
  });

  it('stores the pushed suite_ticket, and the suite token is fetched with it', async () => {
    const push = await sim.provider.pushTicket();
    expect(push).toMatchObject({ status: 200, body: 'success', ok: true });
    firstTicket = push.ticket;
    const stored = await store.suiteTicketInUse(sim.fixtures.suite.suiteId);
    expect(stored).toBeDefined();
    // Sealed at rest.
    expect(stored!.ticketSealed).not.toContain(push.ticket);
    expect(await rt.providers.suiteTicket(sim.fixtures.suite.suiteId, undefined)).toBe(push.ticket);
  });

  it(`collects all ${CORPS} corps whose create_auth arrived, and nothing else`, async () => {
    for (let i = 0; i < CORPS; i += 1) {
      const auth = await sim.provider.authorize({ corpName: `Corp ${i}` });
      expect(auth).toMatchObject({ status: 200, body: 'success', ok: true });
      await rt.authEvents.idle();
      authorized.push({ corpId: auth.authCorpId, permanentCode: auth.permanentCode, authCode: auth.authCode });
    }
    expect(sim.callCount('/cgi-bin/service/get_permanent_code')).toBe(CORPS);
    // One suite token for all the exchanges.
    expect(sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
    const rows = await store.listAuthorizations('isv');
    expect(rows.map((r) => r.corpId).sort()).toEqual(authorized.map((a) => a.corpId).sort());
    expect(rows.every((r) => r.state === 'active')).toBe(true);

    sim.resetCalls();
    const summary = await runCollect(rt, store, now);
    expect(summary).toMatchObject({ series: CORPS, failures: 0, daysStored: CORPS * 180 });
    const corpsCalled = new Set(sim.calls.filter((c) => c.path === '/cgi-bin/kf/get_statistic').map((c) => c.corpId));
    expect([...corpsCalled].sort()).toEqual(authorized.map((a) => a.corpId).sort());
    const sources = await get('/api/v1/sources');
    expect(sources.body.sources[0].corps).toHaveLength(CORPS);
  }, 120_000);

  it('stops calling a corp after its cancel_auth, and still serves its archive', async () => {
    const gone = authorized[7]!;
    expect(await sim.provider.cancelAuth(gone.corpId)).toMatchObject({ status: 200, ok: true });
    await rt.authEvents.idle();
    expect((await store.listAuthorizations('isv')).find((r) => r.corpId === gone.corpId)?.state).toBe('cancelled');

    // The next day's run: every other corp gets its new day, the cancelled one is not called.
    await store.query(`DELETE FROM kf_days WHERE day = (SELECT max(day) FROM kf_days)`);
    await store.query(`DELETE FROM kf_discoveries`);
    // The series were finished for today: on the next day they are not.
    await store.query(`UPDATE kf_series SET done_day = NULL`);
    sim.resetCalls();
    const summary = await runCollect(rt, store, now);
    expect(summary).toMatchObject({ series: CORPS - 1, failures: 0, daysStored: CORPS - 1 });
    expect(sim.calls.filter((c) => c.corpId === gone.corpId)).toEqual([]);

    const archived = await get(`/api/v1/statistics?source=isv&corpid=${gone.corpId}&endpoint=component&last=30`);
    expect(archived.status).toBe(200);
    expect(archived.body.days).toHaveLength(29);
    expect(archived.body.warnings.map((w: Json) => w.code)).toEqual(['NOT_COLLECTED']);
    expect(sim.calls.filter((c) => c.corpId === gone.corpId)).toEqual([]);
    const sources = await get('/api/v1/sources');
    expect(sources.body.sources[0].cancelled_corps).toEqual([
      { corpid: gone.corpId, archive_deleted_on: chinaDayOfEpochMs(now() + 30 * 86_400_000) },
    ]);
  }, 120_000);

  it('refreshes a corp on change_auth: its accounts are listed again on the next run', async () => {
    const corp = authorized[3]!;
    await store.saveDiscovery({ source: 'isv', corpId: corp.corpId, basis: 'basis', series: [], at: now() });
    expect(await sim.provider.changeAuth(corp.corpId)).toMatchObject({ status: 200, ok: true });
    await rt.authEvents.idle();
    expect(await store.readDiscovery('isv', corp.corpId, 'basis')).toBeUndefined();
  });

  it('a newer ticket replaces the stored one; an older one does not', async () => {
    const second = await sim.provider.pushTicket();
    expect(second.ok).toBe(true);
    expect(await rt.providers.suiteTicket(sim.fixtures.suite.suiteId, undefined)).toBe(second.ticket);
    expect(second.ticket).not.toBe(firstTicket);
  });

  it('hands an access token to a token key only, for a corp that still authorizes the suite', async () => {
    const corp = authorized[0]!;
    const refused = await get(`/api/v1/sources/isv/token?corpid=${corp.corpId}`, KEY);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toMatch(/access_token"/);
    const granted = await get(`/api/v1/sources/isv/token?corpid=${corp.corpId}`, TOKEN_KEY);
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual({ access_token: expect.any(String), expires_in: expect.any(Number) });
    grantedToken = granted.body.access_token;
    // The token works at WeCom for that corp.
    const answer = await fetch(`${sim.url}/cgi-bin/kf/get_statistic?access_token=${granted.body.access_token}`, {
      method: 'POST',
      body: JSON.stringify({ start_time: 0, end_time: 0 }),
    });
    expect(((await answer.json()) as { errcode?: number }).errcode).not.toBe(40014);
    const cancelled = await get(`/api/v1/sources/isv/token?corpid=${authorized[7]!.corpId}`, TOKEN_KEY);
    expect(cancelled.status).toBe(400);
    expect(cancelled.body.error.message).toMatch(/^corpid: /);
    const noCorp = await get(`/api/v1/sources/isv/token`, TOKEN_KEY);
    expect(noCorp.status).toBe(400);
    expect(noCorp.body.error.message).toMatch(/^corpid: required/);
  });

  it('renews a token WeCom rejected early when the caller says so, instead of handing it out again', async () => {
    const corp = authorized[4]!;
    const client = createNodeClient({
      baseUrl: sim.url,
      auth: {
        type: 'tokenService',
        url: `${base}/api/v1/sources/isv/token?corpid=${corp.corpId}`,
        headers: { Authorization: `Bearer ${TOKEN_KEY}` },
      },
    });
    try {
      expect((await client.getStatistics({ endpoint: 'component', last: 2, useCache: false })).days).toHaveLength(2);
      // WeCom drops every token before its time (a secret reset, say).
      sim.invalidateTokens();
      expect((await client.getStatistics({ endpoint: 'component', last: 2, useCache: false })).days).toHaveLength(2);
      expect(rt.logs.text()).toMatch(/was rejected by WeCom; renewing it/);
    } finally {
      await client.close();
    }
  });

  it('keeps the suite secret, tickets, auth codes and permanent codes out of answers, logs and the store', async () => {
    const secrets = [firstTicket, sim.provider.latestTicket!, ...authorized.flatMap((a) => [a.permanentCode, a.authCode])];
    const answers = [
      (await get('/api/v1/sources')).text,
      (await get(`/api/v1/statistics?source=isv&corpid=${authorized[1]!.corpId}&endpoint=component&last=7`)).text,
      (await get('/metrics')).text,
    ];
    const dump = await store.dump();
    // The access token handed out above is in the store, sealed like the permanent codes.
    expect(dump).not.toContain(grantedToken);
    expect(await store.query(`SELECT 1 FROM kf_tokens WHERE token LIKE 'v1.%'`)).not.toEqual([]);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const text of [...answers, rt.logs.text(), dump]) expect(text).not.toContain(secret);
    }
    expect(rt.logs.text()).toMatch(/create_auth of source isv: corp \S+ \(Corp 0\) authorized/);
  });
});

describe('bad callbacks', () => {
  const suiteId = () => sim.fixtures.suite.suiteId;
  const seconds = () => Math.floor(now() / 1000);
  const inner = (ticket = 'evil-ticket-0001', sid = suiteId(), ts = seconds()) =>
    `<xml><SuiteId><![CDATA[${sid}]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType><TimeStamp>${ts}</TimeStamp><SuiteTicket><![CDATA[${ticket}]]></SuiteTicket></xml>`;
  const envelope = (encrypted: string) =>
    `<xml><ToUserName><![CDATA[${suiteId()}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>`;
  interface Bad {
    name: string;
    method?: 'GET' | 'POST';
    source?: string;
    query?: Record<string, string>;
    body?: string;
    /** Sign the ciphertext with this token (default the right one). */
    token?: string;
    encrypted?: string;
    timestamp?: string;
    status: number;
  }
  const signedQuery = (encrypted: string, token = CALLBACK_TOKEN, timestamp = String(seconds()), nonce = '12345') => ({
    msg_signature: wecom.getSignature(token, timestamp, nonce, encrypted),
    timestamp,
    nonce,
  });
  const good = () => wecom.encrypt(AES_KEY, inner(), suiteId());
  const otherKey = randomBytes(32).toString('base64').slice(0, 43);
  const cases = (): Bad[] => [
    { name: 'GET without a signature', method: 'GET', query: { echostr: good() }, status: 400 },
    {
      name: 'GET with a wrong signature',
      method: 'GET',
      query: { ...signedQuery(good()), msg_signature: 'a'.repeat(40), echostr: good() },
      status: 403,
    },
    { name: 'GET signed with another token', method: 'GET', query: { ...signedQuery(good(), 'OtherToken'), echostr: good() }, status: 403 },
    {
      name: 'GET echostr of another key',
      method: 'GET',
      query: (() => {
        const e = wecom.encrypt(otherKey, '123', suiteId());
        return { ...signedQuery(e), echostr: e };
      })(),
      status: 400,
    },
    {
      name: 'GET echostr for another receive id',
      method: 'GET',
      query: (() => {
        const e = wecom.encrypt(AES_KEY, '123', 'wwsomeoneelse');
        return { ...signedQuery(e), echostr: e };
      })(),
      status: 400,
    },
    {
      name: 'POST with a wrong signature',
      query: { ...signedQuery(good()), msg_signature: 'b'.repeat(40) },
      encrypted: good(),
      status: 403,
    },
    { name: 'POST signed with another token', token: 'OtherToken', encrypted: good(), status: 403 },
    { name: 'POST without msg_signature', query: { timestamp: String(seconds()), nonce: '1' }, encrypted: good(), status: 400 },
    {
      name: 'POST with a signature that is not hex',
      query: { ...signedQuery(good()), msg_signature: 'z'.repeat(40) },
      encrypted: good(),
      status: 400,
    },
    { name: 'POST signed 10 minutes ago', timestamp: String(seconds() - 600), encrypted: good(), status: 403 },
    { name: 'POST signed 10 minutes ahead', timestamp: String(seconds() + 600), encrypted: good(), status: 403 },
    {
      name: 'POST with a timestamp that is not a number',
      query: { ...signedQuery(good(), CALLBACK_TOKEN, 'soon') },
      encrypted: good(),
      status: 400,
    },
    {
      name: 'POST with a nonce of 100 characters',
      query: signedQuery(good(), CALLBACK_TOKEN, String(seconds()), 'n'.repeat(100)),
      encrypted: good(),
      status: 400,
    },
    { name: 'POST with a body that is not XML', body: 'this is not xml', status: 400 },
    { name: 'POST with XML without Encrypt', body: '<xml><ToUserName>x</ToUserName></xml>', status: 400 },
    {
      // Unsigned: refused by its signature before its text is looked at.
      name: 'POST with a DOCTYPE and an entity',
      body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "${'a'.repeat(100)}">]><xml><Encrypt>&e;</Encrypt></xml>`,
      status: 403,
    },
    { name: 'POST with a body over 512 KiB', body: envelope('A'.repeat(600 * 1024)), status: 413 },
    { name: 'POST with an empty body', body: '', status: 400 },
    { name: 'POST with two Encrypt elements', body: `<xml><Encrypt>${good()}</Encrypt><Encrypt>${good()}</Encrypt></xml>`, status: 400 },
    // Signed with the right Token, so from WeCom, but not usable: acknowledged (WeCom would only
    // send the same message again), logged, and nothing changes.
    // Signed, yet no ciphertext: its text is checked once the signature matched.
    { name: 'POST signed whose Encrypt is not base64', encrypted: 'not*base64!', status: 400 },
    { name: 'POST encrypted for another receive id', encrypted: wecom.encrypt(AES_KEY, inner(), 'wwsomeoneelse'), status: 200 },
    { name: 'POST encrypted with another key', encrypted: wecom.encrypt(otherKey, inner(), suiteId()), status: 200 },
    { name: 'POST with a truncated ciphertext', encrypted: good().slice(0, 30), status: 200 },
    { name: 'POST whose message is not XML', encrypted: wecom.encrypt(AES_KEY, 'plain words', suiteId()), status: 200 },
    {
      name: 'POST suite_ticket without SuiteTicket',
      encrypted: wecom.encrypt(AES_KEY, inner().replace(/<SuiteTicket>.*<\/SuiteTicket>/, ''), suiteId()),
      status: 200,
    },
    {
      name: 'POST suite_ticket for another suite',
      encrypted: wecom.encrypt(AES_KEY, inner('evil-ticket-0001', 'wwothersuite'), suiteId()),
      status: 200,
    },
    {
      name: 'POST suite_ticket with a NUL byte in it',
      encrypted: wecom.encrypt(AES_KEY, inner('evil-ticket-\u0000-0001'), suiteId()),
      status: 200,
    },
    {
      name: 'POST suite_ticket of 2,000 characters',
      encrypted: wecom.encrypt(AES_KEY, inner(`evil-ticket-${'t'.repeat(2000)}`), suiteId()),
      status: 200,
    },
    // The same answer as a bad signature: the answer does not tell which source ids exist.
    { name: 'POST to a source that does not exist', source: 'nobody', encrypted: good(), status: 403 },
    {
      name: 'GET to a source that does not exist',
      method: 'GET',
      source: 'nobody',
      query: { ...signedQuery(good()), echostr: good() },
      status: 403,
    },
    {
      name: 'POST create_auth without AuthCode',
      encrypted: wecom.encrypt(
        AES_KEY,
        `<xml><SuiteId>${suiteId()}</SuiteId><InfoType>create_auth</InfoType><TimeStamp>${seconds()}</TimeStamp></xml>`,
        suiteId(),
      ),
      status: 200,
    },
  ];

  it('refuses each unsigned one with a 4xx, acknowledges each signed but unusable one, and changes nothing', async () => {
    const state = async () =>
      JSON.stringify([
        await store.suiteTicketInUse(suiteId()),
        await store.listAuthorizations(),
        await store.query('SELECT * FROM kf_discoveries ORDER BY 1, 2'),
      ]);
    const before = await state();
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(20);
    const results: string[] = [];
    for (const bad of all) {
      const encrypted = bad.encrypted ?? '';
      const query = bad.query ?? signedQuery(encrypted, bad.token ?? CALLBACK_TOKEN, bad.timestamp ?? String(seconds()));
      const url = `${base}/callback/${bad.source ?? 'isv'}?${new URLSearchParams(query)}`;
      const response = await fetch(url, {
        method: bad.method ?? 'POST',
        ...((bad.method ?? 'POST') === 'POST' ? { body: bad.body ?? envelope(encrypted), headers: { 'content-type': 'text/xml' } } : {}),
      });
      const text = await response.text();
      results.push(`${bad.name}: ${response.status}`);
      if (response.status === 200) expect(text).toBe('success');
      else expect(text).not.toBe('success');
      expect(text).not.toContain('evil-ticket');
    }
    expect(results).toEqual(all.map((b) => `${b.name}: ${b.status}`));
    expect(await state()).toBe(before);
    expect(rt.logs.text()).toMatch(/callback refused: the timestamp is \d+ s from the server's clock/);
    expect(rt.logs.text()).toMatch(
      /callback acknowledged but not applied: the suite_ticket message has a <SuiteTicket> the server cannot keep/,
    );
    expect(rt.logs.text()).toMatch(/callback acknowledged but not applied: the message is for suite wwothersuite/);
    expect(rt.logs.text()).not.toContain('evil-ticket');
  });

  it('records a create_auth whose auth code WeCom refuses, answers success, tries it once and lists it as failed', async () => {
    const before = JSON.stringify(await store.listAuthorizations());
    sim.resetCalls();
    const message = `<xml><SuiteId>${suiteId()}</SuiteId><AuthCode>no-such-auth-code</AuthCode><InfoType>create_auth</InfoType><TimeStamp>${seconds()}</TimeStamp></xml>`;
    const encrypted = wecom.encrypt(AES_KEY, message, suiteId());
    const response = await fetch(`${base}/callback/isv?${new URLSearchParams(signedQuery(encrypted))}`, {
      method: 'POST',
      body: envelope(encrypted),
      headers: { 'content-type': 'text/xml' },
    });
    expect(response.status).toBe(200);
    await rt.authEvents.idle();
    expect(JSON.stringify(await store.listAuthorizations())).toBe(before);
    // WeCom answered (an errcode, not -1): the code is not worth a second try.
    expect(sim.callCount('/cgi-bin/service/get_permanent_code')).toBe(1);
    const failed = (await get('/api/v1/sources')).body.sources[0].authorizations as Json[];
    expect(failed.at(-1)).toMatchObject({ event: 'create_auth', state: 'failed', corpid: null, attempts: 1 });
    expect(failed.at(-1).outcome).toMatch(
      /^the auth code could not be exchanged: WeCom \/cgi-bin\/service\/get_permanent_code answered errcode/,
    );
    expect((await get('/metrics')).text).toContain('kf_authorization_events_total{source="isv",event="create_auth",outcome="failed"} 1');
  });

  it('counts callbacks by event and outcome, with bounded labels, and reports the ticket age', async () => {
    const text = (await get('/metrics')).text;
    // Every create_auth is answered success once recorded (the one whose code WeCom refused too).
    expect(text).toContain(`kf_callbacks_total{source="isv",event="create_auth",outcome="accepted"} ${CORPS + 1}`);
    expect(text).toContain(`kf_authorization_events_total{source="isv",event="create_auth",outcome="applied"} ${CORPS}`);
    expect(text).toContain('kf_callbacks_total{source="isv",event="verify_url",outcome="accepted"} 1');
    expect(text).toMatch(/kf_callbacks_total\{source="isv",event="unknown",outcome="refused"\} \d+/);
    expect(text).toContain('kf_callbacks_total{source="unknown",event="unknown",outcome="refused"} 1');
    expect(text).not.toContain('nobody');
    const age = Number(/kf_suite_ticket_age_seconds\{source="isv"\} (-?\d+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(120);
  });

  it('takes an old suite_ticket replayed with a fresh signature as older: the stored one stays', async () => {
    const current = await rt.providers.suiteTicket(suiteId(), undefined);
    const encrypted = wecom.encrypt(AES_KEY, inner('replayed-old-ticket', suiteId(), seconds() - 3600), suiteId());
    const response = await fetch(`${base}/callback/isv?${new URLSearchParams(signedQuery(encrypted))}`, {
      method: 'POST',
      body: envelope(encrypted),
      headers: { 'content-type': 'text/xml' },
    });
    expect(await response.text()).toBe('success');
    expect(await rt.providers.suiteTicket(suiteId(), undefined)).toBe(current);
  });
});

describe('tickets pushed on the clock', () => {
  it('keeps the suite token renewable hours later with the pushed tickets alone, each valid 30 minutes', async () => {
    // A clock 600 times real time: WeCom's 10-minute pushes come every second.
    const start = chinaClock({ hour: 10 })();
    const t0 = Date.now();
    const fast = () => start + (Date.now() - t0) * 600;
    const fastSim = await startSimulator({ port: 0, now: fast, pushedTicketsOnly: true, tokenTtlSec: 1200 });
    const fastStore = await openStore(tempDir('kf-callback-clock-'));
    const fastRt = createRuntime(configFor(fastSim), envFor(fastSim), fastStore, fast);
    const fastApp = await buildApi(apiParts(fastRt, fastStore, fast));
    const url = await fastApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      fastSim.provider.configure({ url: `${url}/callback/isv`, token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, clockPollMs: 50 });
      expect((await fastSim.provider.pushTicket()).ok).toBe(true);
      const corp = await fastSim.provider.authorize();
      expect(corp.ok).toBe(true);
      // About two simulated hours: every ticket the server held at the start has expired since.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const pushes = fastSim.provider.deliveries.filter((d) => d.kind === 'suite_ticket' && d.automatic);
      expect(pushes.length).toBeGreaterThanOrEqual(8);
      expect(pushes.every((d) => d.ok)).toBe(true);
      // The server holds the newest pushed ticket: pushes go on every second, so the one the
      // simulator made last may still be on its way; compare between pushes.
      await expect
        .poll(
          async () => (await fastRt.providers.suiteTicket(fastSim.fixtures.suite.suiteId, undefined)) === fastSim.provider.latestTicket,
          {
            timeout: 5000,
            interval: 50,
          },
        )
        .toBe(true);
      fastSim.invalidateTokens();
      const summary = await runCollect(fastRt, fastStore, fast);
      expect(summary).toMatchObject({ series: 1, failures: 0 });
      expect(fastSim.calls.filter((c) => c.path === '/cgi-bin/service/get_suite_token').map((c) => c.errcode)).not.toContain(40085);
    } finally {
      fastSim.provider.stop();
      await fastApp.close();
      await fastRt.close();
      await fastStore.close();
      await fastSim.close();
    }
  }, 60_000);
});

describe('two replicas on one store', () => {
  it('the other replica serves a corp authorized through this one at once, and stops at once when it cancels', async () => {
    const other = createRuntime(configFor(sim), envFor(sim), store, now, 'replica-b');
    const otherApp = await buildApi(apiParts(other, store));
    const otherBase = await otherApp.listen({ host: '127.0.0.1', port: 0 });
    const tokenOf = async (corpId: string) => {
      const response = await fetch(`${otherBase}/api/v1/sources/isv/token?corpid=${corpId}`, {
        headers: { authorization: `Bearer ${TOKEN_KEY}` },
      });
      return { status: response.status, body: (await response.json()) as Json };
    };
    try {
      await other.providers.sync(other.clients);
      const joined = await sim.provider.authorize({ corpName: 'Joined via replica A' });
      expect(joined.ok).toBe(true);
      await rt.authEvents.idle();
      expect(other.clients.find('isv', joined.authCorpId)).toEqual([]);
      expect((await tokenOf(joined.authCorpId)).status).toBe(200);
      const statistics = await fetch(`${otherBase}/api/v1/statistics?source=isv&corpid=${joined.authCorpId}&endpoint=component&last=3`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(((await statistics.json()) as Json).days).toHaveLength(3);

      expect((await sim.provider.cancelAuth(joined.authCorpId)).ok).toBe(true);
      await rt.authEvents.idle();
      // Replica B still holds a client for the corp, but the store says it left.
      expect(other.clients.find('isv', joined.authCorpId)).toHaveLength(1);
      const refused = await tokenOf(joined.authCorpId);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/no longer authorizes/);
      expect(other.clients.find('isv', joined.authCorpId)).toEqual([]);
    } finally {
      await otherApp.close();
      await other.close();
    }
  });
});

describe('rows and tickets the server cannot use', () => {
  it('skips an authorization whose permanent code does not open, and takes in the others', async () => {
    await store.saveAuthorization(
      { source: 'isv', corpId: 'wwrestoredelsewhere', corpName: null, permanentCodeSealed: 'v1.AAAA.BBBB.CCCC', wecomTime: 1 },
      now(),
    );
    const fresh = createRuntime(configFor(sim), envFor(sim), store, now, 'replica-c');
    try {
      const { added } = await fresh.providers.sync(fresh.clients);
      expect(added).toBeGreaterThan(0);
      expect(fresh.clients.find('isv', 'wwrestoredelsewhere')).toEqual([]);
      expect(fresh.logs.text()).toMatch(/corp wwrestoredelsewhere of source isv is skipped: a sealed value in the store does not open/);
    } finally {
      await fresh.close();
      await store.query(`DELETE FROM kf_authorizations WHERE corp_id = 'wwrestoredelsewhere'`);
    }
  });

  it('prefers a pasted ticket to a stored one older than 30 minutes, and the stored one while it lives', async () => {
    const suiteId = sim.fixtures.suite.suiteId;
    const stored = await rt.providers.suiteTicket(suiteId, undefined);
    expect(await rt.providers.suiteTicket(suiteId, 'pasted-ticket-0001')).toBe(stored);
    const later = () => now() + 31 * 60_000;
    const { createProviders } = await import('../src/callback/provider.js');
    const { resolveProviders, parseConfig } = await import('../src/config.js');
    const secrets = resolveProviders(parseConfig(configFor(sim)), envFor(sim));
    const afterwards = createProviders({ list: secrets.providers, store, storeKey: secrets.storeKey, now: later });
    expect(await afterwards.suiteTicket(suiteId, 'pasted-ticket-0001')).toBe('pasted-ticket-0001');
    expect(await afterwards.suiteTicket(suiteId, undefined)).toBe(stored);
  });
});

describe('events the statistics server does not use', () => {
  const post = async (message: string) => {
    const response = await postCallbackEvent({
      url: `${base}/callback/isv`,
      suiteId: sim.fixtures.suite.suiteId,
      aesKey: AES_KEY,
      token: CALLBACK_TOKEN,
      message,
      nowMs: now(),
    });
    await rt.authEvents.idle();
    return response;
  };
  const head = (infoType: string) =>
    `<SuiteId><![CDATA[${sim.fixtures.suite.suiteId}]]></SuiteId><InfoType><![CDATA[${infoType}]]></InfoType><TimeStamp>${Math.floor(now() / 1000)}</TimeStamp>`;

  it('acknowledges events with nested and repeated elements, and applies none with a repeated field it needs', async () => {
    const before = JSON.stringify(await store.listAuthorizations());
    const contact = `<xml>${head('change_contact')}<ChangeType>update_user</ChangeType><Department>1</Department><Department>2</Department><ExtAttr><Item><Name>a</Name></Item></ExtAttr></xml>`;
    expect(await post(contact)).toEqual({ status: 200, text: 'success' });
    const known = authorized[2]!.corpId;
    const change = `<xml>${head('change_auth')}<AuthCorpId><![CDATA[${known}]]></AuthCorpId><ExtraInfo><Agent>1</Agent></ExtraInfo></xml>`;
    expect(await post(change)).toEqual({ status: 200, text: 'success' });
    const twice = `<xml>${head('cancel_auth')}<AuthCorpId>${known}</AuthCorpId><AuthCorpId>wwother</AuthCorpId></xml>`;
    // Signed, so WeCom's: acknowledged (a 4xx would only bring it again), not applied, logged.
    expect(await post(twice)).toEqual({ status: 200, text: 'success' });
    expect(rt.logs.text()).toContain(
      'callback acknowledged but not applied: the cancel_auth message has a repeated or nested <AuthCorpId>',
    );
    expect((await store.listAuthorizations()).find((r) => r.corpId === known)?.state).toBe('active');
    expect(JSON.stringify((await store.listAuthorizations()).map((r) => [r.corpId, r.state]))).toBe(
      JSON.stringify(JSON.parse(before).map((r: Json) => [r.corpId, r.state])),
    );
  });
});

describe('replays, ordering and size of signed callbacks', () => {
  const suiteId = () => sim.fixtures.suite.suiteId;
  const seconds = () => Math.floor(now() / 1000);
  const FUTURE = 4102444800; // 2100-01-01: a stamp no real push has
  const signed = (encrypted: string, token = CALLBACK_TOKEN) => {
    const timestamp = String(seconds());
    return new URLSearchParams({ msg_signature: wecom.getSignature(token, timestamp, '9', encrypted), timestamp, nonce: '9' });
  };
  const postRaw = async (query: URLSearchParams, body: string) => {
    const response = await fetch(`${base}/callback/isv?${query}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
    await rt.authEvents.idle();
    return { status: response.status, text: await response.text() };
  };
  const post = (message: string) => {
    const encrypted = wecom.encrypt(AES_KEY, message, suiteId());
    return postRaw(signed(encrypted), `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`);
  };
  const ticketMessage = (ticket: string, stamp: number) =>
    `<xml><SuiteId>${suiteId()}</SuiteId><InfoType>suite_ticket</InfoType><TimeStamp>${stamp}</TimeStamp><SuiteTicket>${ticket}</SuiteTicket></xml>`;
  const authMessage = (infoType: string, corpId: string, stamp: number, extra = '') =>
    `<xml><SuiteId>${suiteId()}</SuiteId><InfoType>${infoType}</InfoType><TimeStamp>${stamp}</TimeStamp><AuthCorpId>${corpId}</AuthCorpId>${extra}</xml>`;

  it('refuses a forged message before reading its XML: a broken or entity-laden body with a bad signature is a 403', async () => {
    const junk = randomBytes(3000).toString('base64');
    const forged = signed(junk, 'NotTheToken');
    expect(await postRaw(forged, `<xml><Encrypt>${junk}</Encrypt><Unclosed>`)).toMatchObject({ status: 403 });
    const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><X>&b;</X><Encrypt>${junk}</Encrypt></xml>`;
    expect(await postRaw(forged, laughs)).toMatchObject({ status: 403 });
  });

  it('takes an authorization event of real size: ExtraInfo listing 5,000 authorized accounts', async () => {
    const corp = authorized[5]!.corpId;
    const accounts = Array.from(
      { length: 5000 },
      (_, i) => `<OpenKfId><![CDATA[wkAuthorizedAccount${String(i).padStart(8, '0')}xx]]></OpenKfId>`,
    ).join('');
    const message = authMessage('change_auth', corp, seconds(), `<ExtraInfo><AuthOpenKfIdList>${accounts}</AuthOpenKfIdList></ExtraInfo>`);
    const encrypted = wecom.encrypt(AES_KEY, message, suiteId());
    expect(encrypted.length).toBeGreaterThan(300 * 1024);
    expect(await post(message)).toEqual({ status: 200, text: 'success' });
  });

  it('uses a suite_ticket stamped in the future only while no ticket with a believable stamp exists', async () => {
    const inUse = await rt.providers.suiteTicket(suiteId(), undefined);
    expect(await post(ticketMessage('ticket-from-the-future-0001', FUTURE))).toEqual({ status: 200, text: 'success' });
    // The real ticket stays in use, and the age is that of the ticket in use.
    expect(await rt.providers.suiteTicket(suiteId(), undefined)).toBe(inUse);
    const age = Number(/kf_suite_ticket_age_seconds\{source="isv"\} (-?\d+)/.exec((await get('/metrics')).text)?.[1]);
    expect(age).toBeGreaterThan(0);
    // Every real push after it wins.
    const push = await sim.provider.pushTicket();
    expect(await rt.providers.suiteTicket(suiteId(), undefined)).toBe(push.ticket);
  });

  it('sets a stored ticket WeCom refuses (40085) aside: the next newest is used', async () => {
    const corp = authorized[0]!.corpId;
    const real = await rt.providers.suiteTicket(suiteId(), undefined);
    // Newer than the real one and signed, but a ticket WeCom never issued.
    expect(await post(ticketMessage('ticket-wecom-never-issued-01', seconds() + 1))).toEqual({ status: 200, text: 'success' });
    expect(await rt.providers.suiteTicket(suiteId(), undefined)).toBe('ticket-wecom-never-issued-01');
    const token = (await get(`/api/v1/sources/isv/token?corpid=${corp}`, TOKEN_KEY)).body.access_token as string;
    const { fingerprint } = await import('@wecom-kf-stats/core/provider');
    // WeCom drops every token: the corp token and then the suite token must be fetched again.
    sim.invalidateTokens();
    const rejected = await fetch(`${base}/api/v1/sources/isv/token?corpid=${corp}`, {
      headers: { authorization: `Bearer ${TOKEN_KEY}`, 'x-kf-rejected-token': fingerprint(token) },
    });
    expect(rejected.status).toBe(502);
    expect(rt.logs.text()).toContain(`WeCom refused the stored suite_ticket of suite ${suiteId()} (40085)`);
    expect(await rt.providers.suiteTicket(suiteId(), undefined)).toBe(real);
    const again = await get(`/api/v1/sources/isv/token?corpid=${corp}`, TOKEN_KEY);
    expect(again.status).toBe(200);
    expect(again.body.access_token).not.toBe(token);
  });

  it('applies a cancel_auth after a change_auth stamped in the future: a future stamp pins nothing', async () => {
    const corp = authorized[6]!.corpId;
    expect(await post(authMessage('change_auth', corp, FUTURE))).toEqual({ status: 200, text: 'success' });
    expect(await post(authMessage('cancel_auth', corp, seconds()))).toEqual({ status: 200, text: 'success' });
    expect((await store.listAuthorizations('isv')).find((r) => r.corpId === corp)?.state).toBe('cancelled');
    // A replay of the old change_auth changes nothing now.
    expect(await post(authMessage('change_auth', corp, seconds() - 60))).toEqual({ status: 200, text: 'success' });
    expect((await store.listAuthorizations('isv')).find((r) => r.corpId === corp)?.state).toBe('cancelled');
  });
});
