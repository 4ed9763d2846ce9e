/**
 * A service provider serving many tenants, over real HTTP on 127.0.0.1 with the simulator as
 * WeCom: keys made at run time and limited to corps, every route refused outside a key's scope,
 * authorization events answered within WeCom's 1000 ms and applied afterwards (once, also across
 * a restart), and a cancelled corp's data deleted on the embedded store and on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { chinaDayOfEpochMs } from '@wecom-kf-stats/core/days';
import { createNodeClient } from '@wecom-kf-stats/core/node';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_REFRESH_MS } from '../src/access.js';
import { buildApi } from '../src/api.js';
import { collect } from '../src/collector.js';
import { openStore, type Store } from '../src/store/store.js';
import {
  apiOptions,
  createContractCheck,
  createRuntime,
  fetchAnswer,
  postCallbackEvent,
  silentLog,
  tempDir,
  type Json,
  type Runtime,
} from './helpers.js';
import { startPostgres, type TestPostgres } from './postgres.js';

const realNow = chinaClock({ hour: 10 });
/** The clock of the server under test: moved forward to expire keys and end retentions. */
let offsetMs = 0;
const now = () => realNow() + offsetMs;
const KEY = 'read-key-0123456789abcdef';
const TOKEN_KEY = 'token-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const CALLBACK_TOKEN = 'CbToken42';
const AES_KEY = randomBytes(32).toString('base64').slice(0, 43);
const STORE_KEY = randomBytes(32).toString('base64');

const configFor = (simulator: Simulator, store: string, extra: Record<string, unknown> = {}) => ({
  store,
  baseUrl: simulator.url,
  apiKeysEnv: 'KEYS',
  tokenApiKeysEnv: 'TOKEN_KEYS',
  adminKeysEnv: 'ADMIN_KEYS',
  storeKeyEnv: 'STORE_KEY',
  ...extra,
  sources: [
    {
      id: 'isv',
      collect: ['component', 'corp'],
      auth: {
        type: 'serviceProvider',
        suiteId: simulator.fixtures.suite.suiteId,
        suiteSecretEnv: 'SUITE_SECRET',
        callback: { tokenEnv: 'CB_TOKEN', encodingAesKeyEnv: 'CB_AES_KEY' },
      },
    },
    {
      id: 'own',
      collect: ['corp'],
      auth: { type: 'selfBuilt', corpId: simulator.fixtures.selfBuilt.corpId, corpSecretEnv: 'CORP_SECRET' },
    },
  ],
});
const envFor = (simulator: Simulator) => ({
  KEYS: KEY,
  TOKEN_KEYS: TOKEN_KEY,
  ADMIN_KEYS: ADMIN_KEY,
  STORE_KEY,
  SUITE_SECRET: simulator.fixtures.suite.suiteSecret,
  CORP_SECRET: simulator.fixtures.selfBuilt.corpSecret,
  CB_TOKEN: CALLBACK_TOKEN,
  CB_AES_KEY: AES_KEY,
});

/** One server (API and callback) on a store, as `serve` wires it. */
interface Server {
  rt: Runtime;
  app: FastifyInstance;
  base: string;
  store: Store;
  call(method: string, path: string, key?: string, body?: unknown, headers?: Record<string, string>): ReturnType<typeof fetchAnswer>;
  close(): Promise<void>;
}

async function startServer(sim: Simulator, store: Store, owner: string, extra: Record<string, unknown> = {}): Promise<Server> {
  const rt = createRuntime(configFor(sim, 'unused', extra), envFor(sim), store, now, owner);
  await rt.providers.sync(rt.clients);
  const app = await buildApi(apiOptions(rt, store, now, { apiKeys: [KEY], tokenApiKeys: [TOKEN_KEY], adminKeys: [ADMIN_KEY] }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  // Every answer is checked against the OpenAPI document the server serves.
  const contract = createContractCheck(
    (await fetchAnswer(`${base}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${KEY}` } })).body,
  );
  return {
    rt,
    app,
    base,
    store,
    async call(method, path, key = KEY, body, headers = {}) {
      const answer = await fetchAnswer(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      contract.check(method, path, answer);
      return answer;
    },
    async close() {
      await app.close();
      await rt.close();
    },
  };
}

const runCollect = (server: Server) =>
  collect({
    config: server.rt.config,
    store: server.store,
    clients: server.rt.clients,
    providers: server.rt.providers,
    now,
    owner: server.rt.owner,
    log: silentLog,
  });

/** WeCom's POST of an event to the callback, signed and encrypted as WeCom does. */
const postEvent = (sim: Simulator, base: string, message: string) =>
  postCallbackEvent({
    url: `${base}/callback/isv`,
    suiteId: sim.fixtures.suite.suiteId,
    aesKey: AES_KEY,
    token: CALLBACK_TOKEN,
    message,
    nowMs: now(),
  });

/** The simulator's WeCom calls this server's callback from now on (pushes on demand only). */
function pointCallback(sim: Simulator, server: Server): void {
  sim.provider.configure({
    url: `${server.base}/callback/isv`,
    token: CALLBACK_TOKEN,
    encodingAesKey: AES_KEY,
    ticketIntervalMinutes: false,
  });
}

/** A simulator playing WeCom with pushed tickets only, and a server on a store at `location` receiving its callbacks. */
async function startProvider(location: string, owner: string) {
  const sim = await startSimulator({ port: 0, now, pushedTicketsOnly: true });
  const store = await openStore(location, { sealKey: Buffer.from(STORE_KEY, 'base64') });
  const server = await startServer(sim, store, owner);
  pointCallback(sim, server);
  await sim.provider.pushTicket();
  return { sim, store, server };
}

async function authorize(sim: Simulator, server: Server, options: Parameters<Simulator['provider']['authorize']>[0] = {}) {
  const auth = await sim.provider.authorize(options);
  expect(auth).toMatchObject({ status: 200, body: 'success' });
  await server.rt.authEvents.idle();
  return auth;
}

describe('keys limited to corps: three tenants of one provider', () => {
  let sim: Simulator;
  let store: Store;
  let server: Server;
  const corps: string[] = [];
  const keys: string[] = [];
  const account = () => sim.fixtures.accounts[0]!.open_kfid;

  beforeAll(async () => {
    ({ sim, store, server } = await startProvider(tempDir('kf-tenants-'), 'tenant-test'));
    for (let i = 0; i < 3; i += 1) corps.push((await authorize(sim, server, { corpName: `Tenant ${i}` })).authCorpId);
    expect((await runCollect(server)).failures).toBe(0);
    for (const [i, corp] of corps.entries()) {
      const made = await server.call('POST', '/api/v1/keys', ADMIN_KEY, { name: `tenant-${i}`, corps: [corp], token: true });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ name: `tenant-${i}`, sources: null, corps: [corp], token: true, expiresAt: null });
      expect(made.body.key).toMatch(/^kfs_[A-Za-z0-9_-]{43}$/);
      keys.push(made.body.key);
    }
  }, 120_000);
  afterAll(async () => {
    sim?.provider.stop();
    await server?.close();
    await store?.close();
    await sim?.close();
  });

  it('lists to each key only its own corp, and to the operator all of them', async () => {
    for (const [i, key] of keys.entries()) {
      const sources = await server.call('GET', '/api/v1/sources', key);
      expect(sources.status).toBe(200);
      // The self-built source has none of its corps: it is left out.
      expect(sources.body.sources).toEqual([{ id: 'isv', type: 'serviceProvider', collect: ['component', 'corp'], corps: [corps[i]] }]);
    }
    const all = await server.call('GET', '/api/v1/sources');
    expect(all.body.sources.map((s: Json) => s.id)).toEqual(['isv', 'own']);
    expect([...all.body.sources[0].corps].sort()).toEqual([...corps].sort());
  });

  it('answers every route for the own corp, without a corp id where it sees one corp, and refuses every other corp with 403', async () => {
    const routes = (corp: string | undefined) => {
      const c = corp === undefined ? '' : `&corpid=${corp}`;
      return [
        `/api/v1/statistics?source=isv${c}&endpoint=component&last=7`,
        `/api/v1/summary?source=isv${c}&endpoint=component&last=7`,
        `/api/v1/statistics?source=isv${c}&endpoint=corp&open_kfid=${account()}&last=7`,
        `/api/v1/accounts?source=isv${c}`,
        `/api/v1/servicers?source=isv${c}&open_kfid=${account()}`,
        `/api/v1/sources/isv/token?${c.slice(1)}`,
      ];
    };
    for (const [i, key] of keys.entries()) {
      for (const path of [...routes(corps[i]), ...routes(undefined)]) {
        const answer = await server.call('GET', path, key);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
        if (path.includes('statistics')) expect(answer.body.corpid).toBe(corps[i]);
        if (path.includes('accounts')) expect(answer.body.accounts.every((a: Json) => a.corpid === corps[i])).toBe(true);
      }
      for (const other of [...corps.filter((_, j) => j !== i), 'wwNeverAuthorized', sim.fixtures.selfBuilt.corpId]) {
        for (const path of routes(other)) {
          const answer = await server.call('GET', path, key);
          expect({ path, status: answer.status, code: answer.body?.error?.code }).toEqual({ path, status: 403, code: 'FORBIDDEN' });
          // The same words whether the corp exists or not.
          expect(answer.body.error.message).toBe(`this API key may not read corp "${other}" of source "isv"`);
        }
      }
      for (const path of [
        `/api/v1/statistics?source=own&endpoint=corp&open_kfid=${account()}&last=7`,
        '/api/v1/accounts?source=own',
        '/api/v1/sources/own/token',
        '/api/v1/accounts?source=nosuchsource',
      ]) {
        const answer = await server.call('GET', path, key);
        expect({ path, status: answer.status }).toEqual({ path, status: 403 });
        expect(answer.body.error.message).toMatch(/^this API key may not read source "(own|nosuchsource)"$/);
      }
      for (const path of ['/metrics', '/api/v1/keys']) expect((await server.call('GET', path, key)).status).toBe(403);
      expect((await server.call('DELETE', `/api/v1/keys/tenant-${i}`, key)).status).toBe(403);
      expect((await server.call('DELETE', `/api/v1/sources/isv/corps/${corps[i]}`, key)).status).toBe(403);
    }
    // The operator's key: 404 for what does not exist, as before.
    expect((await server.call('GET', '/api/v1/accounts?source=nosuchsource')).status).toBe(404);
    expect((await server.call('GET', '/api/v1/accounts?source=isv&corpid=wwNeverAuthorized')).status).toBe(404);
  }, 120_000);

  it("gives a scoped token key tokens for its corp, which core's tokenService auth uses", async () => {
    const client = createNodeClient({
      baseUrl: sim.url,
      auth: { type: 'tokenService', url: `${server.base}/api/v1/sources/isv/token`, headers: { Authorization: `Bearer ${keys[1]}` } },
    });
    try {
      const { days } = await client.getStatistics({ endpoint: 'component', last: 3, useCache: false });
      expect(days).toHaveLength(3);
    } finally {
      await client.close();
    }
    const readOnly = await server.call('POST', '/api/v1/keys', ADMIN_KEY, { name: 'no-tokens', corps: [corps[1]] });
    const refused = await server.call('GET', `/api/v1/sources/isv/token?corpid=${corps[1]}`, readOnly.body.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/may read statistics but not take access tokens/);
  });

  it('lists keys without the keys, records their last use, and refuses a revoked or expired key at once here', async () => {
    const listed = await server.call('GET', '/api/v1/keys', ADMIN_KEY);
    expect(listed.status).toBe(200);
    const tenant0 = listed.body.keys.find((k: Json) => k.name === 'tenant-0');
    expect(tenant0).toMatchObject({ corps: [corps[0]], token: true, expiresAt: null, lastUsedAt: expect.any(String) });
    for (const key of keys) expect(listed.text).not.toContain(key);
    expect(await store.dump()).not.toContain(keys[0]);

    const short = await server.call('POST', '/api/v1/keys', ADMIN_KEY, { name: 'short-lived', sources: ['own'], expiresInDays: 1 });
    expect(Math.abs(Date.parse(short.body.expiresAt) - (now() + 86_400_000))).toBeLessThan(60_000);
    expect((await server.call('GET', '/api/v1/accounts?source=own', short.body.key)).status).toBe(200);
    offsetMs += 86_400_000 + 1000;
    try {
      const expired = await server.call('GET', '/api/v1/accounts?source=own', short.body.key);
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toBe('the API key has expired');
    } finally {
      offsetMs -= 86_400_000 + 1000;
    }

    expect((await server.call('DELETE', '/api/v1/keys/tenant-2', ADMIN_KEY)).status).toBe(204);
    expect((await server.call('GET', '/api/v1/sources', keys[2])).status).toBe(401);
    expect((await server.call('DELETE', '/api/v1/keys/tenant-2', ADMIN_KEY)).status).toBe(404);
    // The operator's read key manages nothing; a customer's key is refused before its body is read.
    expect((await server.call('POST', '/api/v1/keys', KEY, { name: 'x' })).status).toBe(403);
    expect((await server.call('POST', '/api/v1/keys', keys[0], '{not json')).status).toBe(403);
    expect((await server.call('POST', '/api/v1/keys', 'no-such-key-0123456789', { name: 'x' })).status).toBe(401);
  });

  it.each([
    ['a name taken', { name: 'tenant-0' }, 'name: a key named "tenant-0" exists; revoke it first or choose another name'],
    ['no name', { corps: ['a'] }, 'name: required: a name for the key'],
    ['a name with a slash', { name: 'a/b' }, 'name: letters, digits, ".", "_" and "-", 1 to 64, starting with a letter or digit'],
    ['an unknown source', { name: 'k', sources: ['own', 'nope'] }, 'sources[1]: "nope" is not a source of the config; sources: isv, own'],
    [
      'an empty list of sources',
      { name: 'k', sources: [] },
      'sources: an empty list: leave it out for all, or name at least one source id',
    ],
    ['an empty list of corps', { name: 'k', corps: [] }, 'corps: an empty list: leave it out for all, or name at least one corp id'],
    ['1,001 corps', { name: 'k', corps: Array.from({ length: 1001 }, (_, i) => `ww${i}`) }, 'corps: at most 1000 corp ids'],
    [
      'a corp id of odd bytes',
      { name: 'k', corps: ['ww\u0000'] },
      'corps[0]: contains a control character or bytes that are not UTF-8 text',
    ],
    ['a corp that is not text', { name: 'k', corps: [42] }, 'corps[0]: expected corp id (text)'],
    ['token as text', { name: 'k', token: 'yes' }, 'token: true or false'],
    ['zero days', { name: 'k', expiresInDays: 0 }, 'expiresInDays: a whole number of days from 1 to 3650'],
    ['an unknown field', { name: 'k', scope: 'all' }, 'scope: unknown field; allowed: name, sources, corps, token, expiresInDays'],
    ['a list for a body', [1, 2], 'body: Invalid input: expected object, received array'],
    ['a body that is not JSON', '{"name": ', 'body: not valid JSON'],
  ])('refuses %s with 400 naming the field', async (_what, body, message) => {
    const answer = await server.call('POST', '/api/v1/keys', ADMIN_KEY, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({ code: 'INVALID_PARAMETER', message });
  });

  it('refuses a body sent as another type with 400 naming the body', async () => {
    const answer = await server.call('POST', '/api/v1/keys', ADMIN_KEY, 'name=k', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(
      'body: content type "application/x-www-form-urlencoded": send JSON with "Content-Type: application/json"',
    );
  });

  it('collects exactly the accounts a corp chose (AuthOpenKfIdList), and follows its change_auth', async () => {
    const chosen = sim.fixtures.accounts[1]!.open_kfid;
    const corp = (await authorize(sim, server, { corpName: 'Chooses one account', openKfIds: [chosen] })).authCorpId;
    const row = (await store.listAuthorizations('isv')).find((r) => r.corpId === corp);
    expect(row?.openKfids).toEqual([chosen]);
    const collectedAccounts = async () =>
      (
        await store.query<{ open_kfid: string }>(
          `SELECT DISTINCT open_kfid FROM kf_days WHERE corp_id = $1 AND endpoint = 'corp' ORDER BY open_kfid`,
          [corp],
        )
      ).map((r) => r.open_kfid);
    expect((await runCollect(server)).failures).toBe(0);
    expect(await collectedAccounts()).toEqual([chosen]);

    const both = [sim.fixtures.accounts[0]!.open_kfid, chosen];
    expect((await sim.provider.changeAuth(corp, { openKfIds: both })).ok).toBe(true);
    await server.rt.authEvents.idle();
    expect((await runCollect(server)).failures).toBe(0);
    expect(await collectedAccounts()).toEqual([...both].sort());
  }, 120_000);
});

describe("WeCom's 1000 ms rule for authorization events", () => {
  let sim: Simulator;
  let store: Store;
  let server: Server;

  beforeAll(async () => {
    ({ sim, store, server } = await startProvider(tempDir('kf-auth-events-'), 'first-process'));
  }, 60_000);
  afterAll(async () => {
    sim?.setLatency(0);
    sim?.provider.stop();
    await server?.close();
    await store?.close();
    await sim?.close();
  });

  it('answers create_auth before the exchange, with WeCom taking 900 ms a call, and answers its retry without a second exchange', async () => {
    sim.setLatency(900);
    sim.resetCalls();
    const started = performance.now();
    const auth = await sim.provider.authorize({ corpName: 'Slow WeCom' });
    const answeredInMs = performance.now() - started;
    expect(auth).toMatchObject({ status: 200, body: 'success' });
    // Answered with nothing asked of WeCom yet: the suite token and the exchange take 900 ms each.
    expect((await store.listAuthorizations('isv')).map((r) => r.corpId)).not.toContain(auth.authCorpId);
    expect(answeredInMs).toBeLessThan(1000);
    await server.rt.authEvents.idle();
    expect((await store.listAuthorizations('isv')).find((r) => r.corpId === auth.authCorpId)?.state).toBe('active');

    // WeCom sends the same event again (it did not see our answer in time, say): recognised, not exchanged again.
    const again = `<xml><SuiteId>${sim.fixtures.suite.suiteId}</SuiteId><AuthCode>${auth.authCode}</AuthCode><InfoType>create_auth</InfoType><TimeStamp>${Math.floor(now() / 1000)}</TimeStamp></xml>`;
    for (let i = 0; i < 2; i += 1) expect(await postEvent(sim, server.base, again)).toEqual({ status: 200, text: 'success' });
    await server.rt.authEvents.idle();
    expect(sim.callCount('/cgi-bin/service/get_permanent_code')).toBe(1);
    const metrics = (await server.call('GET', '/metrics')).text;
    expect(metrics).toContain('kf_authorization_events_total{source="isv",event="create_auth",outcome="repeated"} 2');
    expect(metrics).toContain('kf_authorization_events_total{source="isv",event="create_auth",outcome="applied"} 1');
    // Nothing of the code stays: the event row keeps a hash only.
    expect(await store.dump()).not.toContain(auth.authCode);
    sim.setLatency(0);
  }, 60_000);

  it('finishes an event in the next process when the first stopped before its exchange got an answer, exchanging the code once', async () => {
    // WeCom does not answer the first process's exchange (core does not repeat it: the code may be spent).
    sim.inject({ kind: 'drop', path: '/cgi-bin/service/get_permanent_code' });
    sim.resetCalls();
    const auth = await authorize(sim, server, { corpName: 'Across a restart' });
    const pending = (await server.call('GET', '/api/v1/sources')).body.sources[0].authorizations;
    expect(pending).toEqual([
      expect.objectContaining({
        event: 'create_auth',
        state: 'pending',
        attempts: 1,
        outcome: expect.stringMatching(/^exchange failed .*; tried again$/),
      }),
    ]);
    expect(server.rt.logs.text()).toMatch(/create_auth: the exchange failed \(.*\); tried again in 5 s/);
    // The process stops; another starts on the same store and finishes the event when it is due.
    await server.close();
    server = await startServer(sim, store, 'second-process');
    pointCallback(sim, server);
    const deadline = Date.now() + 30_000;
    while (!(await store.listAuthorizations('isv')).some((r) => r.corpId === auth.authCorpId) && Date.now() < deadline) {
      await server.rt.authEvents.tick();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await store.listAuthorizations('isv')).find((r) => r.corpId === auth.authCorpId)?.state).toBe('active');
    const answered = sim.calls.filter((c) => c.path === '/cgi-bin/service/get_permanent_code' && !c.fault);
    expect(answered).toHaveLength(1);
    expect((await server.call('GET', '/api/v1/sources')).body.sources[0].authorizations).toBeUndefined();
  }, 60_000);

  it('does not try a code again that WeCom refused, and lists the failure without the code', async () => {
    sim.inject({ kind: 'errcode', errcode: 40078, errmsg: 'invalid auth code', path: '/cgi-bin/service/get_permanent_code' });
    sim.resetCalls();
    const auth = await authorize(sim, server, { corpName: 'Refused' });
    const failed = (await server.call('GET', '/api/v1/sources')).body.sources[0].authorizations;
    expect(failed).toEqual([expect.objectContaining({ event: 'create_auth', state: 'failed', attempts: 1 })]);
    expect(failed[0].outcome).toMatch(/errcode 40078/);
    expect(sim.callCount('/cgi-bin/service/get_permanent_code')).toBe(1);
    expect(JSON.stringify(failed)).not.toContain(auth.authCode);
    expect(server.rt.logs.text()).not.toContain(auth.authCode);
  });
});

describe.each(['embedded', 'postgres'] as const)('a cancelled corp on the %s store', (kind) => {
  let sim: Simulator;
  let store: Store;
  let server: Server;
  let postgres: TestPostgres | undefined;
  let location: string;

  beforeAll(async () => {
    if (kind === 'postgres') {
      postgres = await startPostgres();
      location = await postgres.createDatabase();
    } else {
      location = tempDir('kf-cancel-');
    }
    ({ sim, store, server } = await startProvider(location, 'cancel-test'));
  }, 120_000);
  afterAll(async () => {
    sim?.provider.stop();
    await server?.close();
    await store?.close();
    await postgres?.stop();
    await sim?.close();
  });

  it('deletes everything of it at once (the default), leaves no trace in the store, and is unknown to every route', async () => {
    const leaving = (await authorize(sim, server, { corpName: 'Leaving' })).authCorpId;
    const staying = (await authorize(sim, server, { corpName: 'Staying' })).authCorpId;
    expect((await runCollect(server)).failures).toBe(0);
    const scoped = await server.call('POST', '/api/v1/keys', ADMIN_KEY, {
      name: 'leaving-and-staying',
      corps: [leaving, staying],
      token: true,
    });
    // The provider's own group hears of every cancellation; the corp's group was made for it alone.
    const opsRobot = sim.robots.add();
    const corpRobot = sim.robots.add();
    for (const [id, robot, corps] of [
      ['provider-ops', opsRobot, undefined],
      ['leaving-group', corpRobot, [leaving]],
    ] as const) {
      const made = await server.call('POST', '/api/v1/destinations', ADMIN_KEY, {
        id,
        webhook: robot.url,
        language: 'en',
        ...(corps ? { corps } : {}),
        rules: [{ authorizationCancelled: true }],
      });
      expect(made.status).toBe(201);
    }
    // Its tokens, accounts, series and days are in the store now.
    expect(await store.dump()).toContain(leaving);
    expect((await server.call('GET', `/api/v1/sources/isv/token?corpid=${leaving}`, TOKEN_KEY)).status).toBe(200);
    const tokenRows = Number((await store.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_tokens'))[0]!.n);

    expect((await sim.provider.cancelAuth(leaving)).ok).toBe(true);
    await server.rt.authEvents.idle();
    await server.rt.notifier.idle();
    for (const robot of [opsRobot, corpRobot]) {
      const told = sim.robots.messages(robot.key);
      expect(told).toHaveLength(1);
      expect(told[0]!.content).toContain(`corp ${leaving} of source isv cancelled its authorization`);
    }
    // The corp's own destination went with its data; the provider's stays, its record naming no corp.
    expect((await server.call('GET', '/api/v1/destinations', ADMIN_KEY)).body.destinations.map((d: Json) => d.id)).toEqual([
      'provider-ops',
    ]);
    expect((await store.notify.sends('provider-ops')).map((r) => [r.kind, r.state, r.corpId])).toEqual([['notice', 'sent', null]]);

    const dump = await store.dump();
    expect(dump.split('\n').filter((line) => line.includes(leaving))).toEqual([]);
    expect(dump).toContain(staying);
    expect(Number((await store.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_tokens'))[0]!.n)).toBe(tokenRows - 1);
    expect(server.rt.clients.find('isv', leaving)).toEqual([]);
    const sources = await server.call('GET', '/api/v1/sources');
    expect(sources.body.sources[0].corps).toEqual([staying]);
    expect(sources.body.sources[0].cancelled_corps).toBeUndefined();
    const routes = [
      `/api/v1/statistics?source=isv&corpid=${leaving}&endpoint=component&last=7`,
      `/api/v1/summary?source=isv&corpid=${leaving}&endpoint=component&last=7`,
      `/api/v1/accounts?source=isv&corpid=${leaving}`,
      `/api/v1/servicers?source=isv&corpid=${leaving}&open_kfid=${sim.fixtures.accounts[0]!.open_kfid}`,
      `/api/v1/sources/isv/token?corpid=${leaving}`,
    ];
    for (const path of routes) {
      const operator = await server.call('GET', path, TOKEN_KEY);
      expect({ path, status: operator.status }).toEqual({ path, status: 404 });
      const tenant = await server.call('GET', path, scoped.body.key);
      expect({ path, status: tenant.status }).toEqual({ path, status: 403 });
    }
    // The key keeps its other corp.
    expect((await server.call('GET', '/api/v1/sources', scoped.body.key)).body.sources[0].corps).toEqual([staying]);
    expect(
      (await server.call('GET', `/api/v1/statistics?source=isv&corpid=${staying}&endpoint=component&last=7`, scoped.body.key)).status,
    ).toBe(200);
    expect(server.rt.logs.text()).toMatch(
      new RegExp(`cancel_auth of source isv: corp ${leaving} cancelled: its data and \\d+ archived days are deleted`),
    );

    // It authorizes again: collected afresh, with the days WeCom still has.
    await authorize(sim, server, { corpId: leaving, corpName: 'Back again' });
    const summary = await runCollect(server);
    expect(summary.failures).toBe(0);
    const back = await server.call('GET', `/api/v1/statistics?source=isv&corpid=${leaving}&endpoint=component&last=180`);
    expect(back.status).toBe(200);
    expect(back.body.days).toHaveLength(180);
    expect(back.body.warnings).toEqual([]);
  }, 180_000);

  it('keeps the archived days for retention.cancelledCorpDays, listed with the day they go, then deletes them', async () => {
    await server.close();
    server = await startServer(sim, store, 'retention-test', { retention: { cancelledCorpDays: 3 } });
    pointCallback(sim, server);
    const corp = (await authorize(sim, server, { corpName: 'Kept a while' })).authCorpId;
    expect((await runCollect(server)).failures).toBe(0);
    expect((await sim.provider.cancelAuth(corp)).ok).toBe(true);
    await server.rt.authEvents.idle();

    const listed = (await server.call('GET', '/api/v1/sources')).body.sources[0];
    expect(listed.cancelled_corps).toEqual([{ corpid: corp, archive_deleted_on: chinaDayOfEpochMs(now() + 3 * 86_400_000) }]);
    const archived = await server.call('GET', `/api/v1/statistics?source=isv&corpid=${corp}&endpoint=component&last=7`);
    expect(archived.body.days).toHaveLength(7);
    // Everything but the days went already: no code, no tokens, no accounts.
    const [row] = await store.query<{ permanent_code_sealed: string }>(
      'SELECT permanent_code_sealed FROM kf_authorizations WHERE corp_id = $1',
      [corp],
    );
    expect(row!.permanent_code_sealed).toBe('');
    expect(await store.query('SELECT 1 FROM kf_accounts WHERE corp_id = $1', [corp])).toEqual([]);

    offsetMs += 3 * 86_400_000 + 60_000;
    try {
      await server.rt.authEvents.tick();
      expect(await store.dump()).not.toContain(corp);
      expect((await server.call('GET', `/api/v1/statistics?source=isv&corpid=${corp}&endpoint=component&last=7`)).status).toBe(404);
    } finally {
      offsetMs -= 3 * 86_400_000 + 60_000;
    }
  }, 180_000);

  it('deletes a corp by hand through the admin route, a self-built one too', async () => {
    const corp = (await authorize(sim, server, { corpName: 'Purged by hand' })).authCorpId;
    expect((await runCollect(server)).failures).toBe(0);
    expect((await server.call('DELETE', `/api/v1/sources/isv/corps/${corp}`, KEY)).status).toBe(403);
    expect((await server.call('DELETE', `/api/v1/sources/isv/corps/${corp}`, ADMIN_KEY)).status).toBe(204);
    expect(await store.dump()).not.toContain(corp);
    expect((await server.call('DELETE', `/api/v1/sources/isv/corps/${corp}`, ADMIN_KEY)).status).toBe(404);

    const own = sim.fixtures.selfBuilt.corpId;
    expect(await store.query('SELECT 1 FROM kf_days WHERE source = $1 LIMIT 1', ['own'])).not.toEqual([]);
    expect((await server.call('DELETE', `/api/v1/sources/own/corps/${own}`, ADMIN_KEY)).status).toBe(204);
    expect(await store.query('SELECT 1 FROM kf_days WHERE source = $1 LIMIT 1', ['own'])).toEqual([]);
    expect(await store.query('SELECT 1 FROM kf_accounts WHERE source = $1 LIMIT 1', ['own'])).toEqual([]);
  }, 120_000);
});

describe('replicas on PostgreSQL', () => {
  let sim: Simulator;
  let postgres: TestPostgres;
  const servers: Server[] = [];
  const stores: Store[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, now });
    postgres = await startPostgres();
    const url = await postgres.createDatabase();
    for (const owner of ['replica-a', 'replica-b']) {
      const store = await openStore(url, { sealKey: Buffer.from(STORE_KEY, 'base64') });
      stores.push(store);
      servers.push(await startServer(sim, store, owner));
    }
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const store of stores) await store.close();
    await postgres?.stop();
    await sim?.close();
  });

  it(`a key made on one replica works on the other, and once revoked is refused there within ${KEYS_REFRESH_MS / 1000} s (the rule: 5 s)`, async () => {
    const [a, b] = servers as [Server, Server];
    const made = await a.call('POST', '/api/v1/keys', ADMIN_KEY, { name: 'shared', sources: ['own'] });
    expect(made.status).toBe(201);
    const until = async (status: number) => {
      const started = Date.now();
      while ((await b.call('GET', '/api/v1/accounts?source=own', made.body.key)).status !== status) {
        if (Date.now() - started > 10_000) throw new Error(`replica B never answered ${status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return Date.now() - started;
    };
    expect(await until(200)).toBeLessThan(5000);
    expect((await a.call('DELETE', '/api/v1/keys/shared', ADMIN_KEY)).status).toBe(204);
    expect((await a.call('GET', '/api/v1/accounts?source=own', made.body.key)).status).toBe(401);
    expect(await until(401)).toBeLessThan(5000);
  }, 60_000);

  it('two replicas asked for the same missing days at once fetch them from WeCom once', async () => {
    const [a, b] = servers as [Server, Server];
    const path = `/api/v1/statistics?source=own&endpoint=corp&open_kfid=${sim.fixtures.accounts[2]!.open_kfid}&last=60`;
    sim.setLatency(300);
    sim.resetCalls();
    try {
      const answers = await Promise.all([a.call('GET', path), b.call('GET', path)]);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.days).toHaveLength(60);
        expect(answer.body.warnings, JSON.stringify(answer.body.warnings)).toEqual([]);
      }
      expect(answers[0]!.body.days).toEqual(answers[1]!.body.days);
    } finally {
      sim.setLatency(0);
    }
    // 60 days are two chunks (31 + 29): two calls in all, not two per replica.
    expect(sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(2);
  }, 60_000);
});
