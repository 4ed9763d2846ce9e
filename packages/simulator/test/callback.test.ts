import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallbackTarget, Simulator, SimulatorOptions } from '../src/index.js';
import { callKf, midnight, postJson, simulatorPool, suiteToken, testClock, type TestClock } from './helpers.js';
import { CALLBACK_AES_KEY, CALLBACK_TOKEN, pause, startReceiver, unusedUrl, type Receiver } from './receiver.js';

const pool = simulatorPool();
const receivers: Receiver[] = [];
afterEach(async () => {
  await pool.closeAll();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

const MINUTE = 60_000;
const JUNE_10 = { start_time: midnight('2024-06-10'), end_time: midnight('2024-06-10') };

interface Setup {
  sim: Simulator;
  receiver: Receiver;
  clock: TestClock;
}

async function setup(target: Partial<CallbackTarget> = {}, options: SimulatorOptions = {}): Promise<Setup> {
  const clock = testClock();
  const sim = await pool.start({ now: clock.now, ...options });
  const receiver = await startReceiver();
  receivers.push(receiver);
  sim.provider.configure({ url: receiver.url, token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY, ...target });
  return { sim, receiver, clock };
}

function getSuiteToken(sim: Simulator, ticket: string): Promise<{ body: Record<string, unknown> }> {
  const { suite } = sim.fixtures;
  return postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
    suite_id: suite.suiteId,
    suite_secret: suite.suiteSecret,
    suite_ticket: ticket,
  });
}

async function ticketAccepted(sim: Simulator, ticket: string): Promise<boolean> {
  const { body } = await getSuiteToken(sim, ticket);
  if (typeof body['suite_access_token'] === 'string') return true;
  expect(body).toEqual({ errcode: 40085, errmsg: 'invalid suite_ticket' });
  return false;
}

async function getPermanentCode(sim: Simulator, authCode: unknown, token?: string): Promise<Record<string, unknown>> {
  const suiteAccessToken = token ?? (await suiteToken(sim));
  const { body } = await postJson(
    `${sim.url}/cgi-bin/service/get_permanent_code?suite_access_token=${encodeURIComponent(suiteAccessToken)}`,
    { auth_code: authCode },
  );
  return body;
}

async function getCorpToken(sim: Simulator, authCorpId: string, permanentCode: string): Promise<Record<string, unknown>> {
  const { body } = await postJson(
    `${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${encodeURIComponent(await suiteToken(sim))}`,
    {
      auth_corpid: authCorpId,
      permanent_code: permanentCode,
    },
  );
  return body;
}

describe('URL verification', () => {
  it('GETs the URL with msg_signature, timestamp, nonce and an echostr encrypted for the suite id', async () => {
    const { sim, receiver, clock } = await setup();
    expect(await sim.provider.verifyUrl()).toBe(true);
    const [got] = receiver.received;
    expect(got?.method).toBe('GET');
    expect(new URL(receiver.url).pathname).toBe('/callback/sim-source');
    expect([...(got?.query.keys() ?? [])].sort()).toEqual(['echostr', 'msg_signature', 'nonce', 'timestamp']);
    expect(got?.query.get('timestamp')).toBe(String(Math.floor(clock.ms / 1000)));
    expect(got?.query.get('nonce')).toMatch(/^\d{10}$/);
    expect(got?.signatureOk).toBe(true);
    expect(got?.receiveId).toBe(sim.fixtures.suite.suiteId);
    expect(got?.message).toMatch(/^\d{19}$/);
  });

  it('signs with sha1 over the sorted token, timestamp, nonce and ciphertext', async () => {
    const { sim, receiver } = await setup();
    await sim.provider.verifyUrl();
    const query = receiver.received[0]?.query ?? new URLSearchParams();
    const parts = [CALLBACK_TOKEN, query.get('timestamp') ?? '', query.get('nonce') ?? '', query.get('echostr') ?? ''];
    const sha1 = createHash('sha1').update(parts.sort().join('')).digest('hex');
    expect(query.get('msg_signature')).toBe(sha1);
  });

  it('is false when the answer is not the plain echostr, and the delivery log says what came back', async () => {
    const { sim, receiver } = await setup();
    receiver.answer = (got) => ({ status: 200, body: got.ciphertext });
    expect(await sim.provider.verifyUrl()).toBe(false);
    expect(sim.provider.deliveries).toMatchObject([{ kind: 'verify_url', method: 'GET', status: 200, ok: false }]);
    expect(sim.provider.deliveries[0]?.body).toBe(receiver.received[0]?.ciphertext);
  });

  it('uses the configured suite id as receive id', async () => {
    const { sim, receiver } = await setup({ suiteId: 'wwothersuite0001' });
    await sim.provider.verifyUrl();
    await sim.provider.pushTicket();
    expect(receiver.received.map((got) => got.receiveId)).toEqual(['wwothersuite0001', 'wwothersuite0001']);
    expect(receiver.received[1]?.fields['SuiteId']).toBe('wwothersuite0001');
    expect(receiver.received[1]?.outer['ToUserName']).toBe('wwothersuite0001');
  });
});

describe('suite_ticket pushes', () => {
  it('POSTs the encrypted suite_ticket message, signed, for the suite id, and resolves with the answer', async () => {
    const { sim, receiver, clock } = await setup();
    const push = await sim.provider.pushTicket();
    expect(push).toEqual({ ticket: push.ticket, status: 200, body: 'success', ok: true });
    expect(push.ticket).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(sim.provider.latestTicket).toBe(push.ticket);
    const got = receiver.received[0];
    expect(got?.method).toBe('POST');
    expect([...(got?.query.keys() ?? [])].sort()).toEqual(['msg_signature', 'nonce', 'timestamp']);
    expect(got?.body).toBe(
      `<xml><ToUserName><![CDATA[${sim.fixtures.suite.suiteId}]]></ToUserName><Encrypt><![CDATA[${got?.ciphertext ?? ''}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>`,
    );
    expect(got?.signatureOk).toBe(true);
    expect(got?.receiveId).toBe(sim.fixtures.suite.suiteId);
    const seconds = Math.floor(clock.ms / 1000);
    expect(got?.message).toBe(
      `<xml><SuiteId><![CDATA[${sim.fixtures.suite.suiteId}]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType>` +
        `<TimeStamp>${seconds}</TimeStamp><SuiteTicket><![CDATA[${push.ticket}]]></SuiteTicket></xml>`,
    );
  });

  it('a pushed ticket is accepted for 30 simulated minutes, then refused with 40085', async () => {
    const { sim, clock } = await setup({ ticketIntervalMinutes: false });
    const { ticket } = await sim.provider.pushTicket();
    expect(await ticketAccepted(sim, ticket)).toBe(true);
    clock.ms += 30 * MINUTE - 1;
    expect(await ticketAccepted(sim, ticket)).toBe(true);
    clock.ms += 1;
    expect(await ticketAccepted(sim, ticket)).toBe(false);
  });

  it('the newest and older tickets are both accepted while unexpired', async () => {
    const { sim, clock } = await setup({ ticketIntervalMinutes: false });
    const first = (await sim.provider.pushTicket()).ticket;
    clock.ms += 10 * MINUTE;
    const second = (await sim.provider.pushTicket()).ticket;
    expect(second).not.toBe(first);
    expect(await ticketAccepted(sim, first)).toBe(true);
    expect(await ticketAccepted(sim, second)).toBe(true);
    clock.ms += 20 * MINUTE;
    expect(await ticketAccepted(sim, first)).toBe(false);
    expect(await ticketAccepted(sim, second)).toBe(true);
  });

  it('the fixture ticket stays valid by default; pushedTicketsOnly refuses it and accepts pushed ones', async () => {
    const usual = await setup({ ticketIntervalMinutes: false });
    expect(await ticketAccepted(usual.sim, usual.sim.fixtures.suite.suiteTicket)).toBe(true);
    const strict = await setup({ ticketIntervalMinutes: false }, { pushedTicketsOnly: true });
    expect(await ticketAccepted(strict.sim, strict.sim.fixtures.suite.suiteTicket)).toBe(false);
    const { ticket } = await strict.sim.provider.pushTicket();
    expect(await ticketAccepted(strict.sim, ticket)).toBe(true);
    strict.sim.addSuiteTicket('sim-added-ticket');
    expect(await ticketAccepted(strict.sim, 'sim-added-ticket')).toBe(true);
  });

  it('a ticket stays valid even when the provider did not answer success', async () => {
    const { sim, receiver } = await setup({ ticketIntervalMinutes: false });
    receiver.answer = () => ({ status: 500, body: 'down' });
    const push = await sim.provider.pushTicket();
    expect(push).toMatchObject({ status: 500, body: 'down', ok: false });
    expect(await ticketAccepted(sim, push.ticket)).toBe(true);
  });
});

describe('automatic pushes', () => {
  it('push a new ticket every 10 simulated minutes while configured', async () => {
    const { sim, receiver, clock } = await setup({ clockPollMs: 5 });
    await pause(40);
    expect(receiver.received).toHaveLength(0);
    clock.ms += 10 * MINUTE - 1;
    await pause(40);
    expect(receiver.received).toHaveLength(0);
    clock.ms += 1;
    await receiver.waitFor(1);
    clock.ms += 10 * MINUTE;
    await receiver.waitFor(2);
    await sim.provider.settled();
    expect(receiver.received.map((got) => got.fields['InfoType'])).toEqual(['suite_ticket', 'suite_ticket']);
    expect(sim.provider.deliveries.map((delivery) => [delivery.kind, delivery.automatic, delivery.ok])).toEqual([
      ['suite_ticket', true, true],
      ['suite_ticket', true, true],
    ]);
    const tickets = receiver.received.map((got) => got.fields['SuiteTicket'] ?? '');
    expect(sim.provider.latestTicket).toBe(tickets[1]);
    for (const ticket of tickets) expect(await ticketAccepted(sim, ticket)).toBe(true);
  });

  it('follow the configured interval, pushing once when the clock jumps several intervals', async () => {
    const { sim, receiver, clock } = await setup({ clockPollMs: 5, ticketIntervalMinutes: 3 });
    clock.ms += 3 * MINUTE;
    await receiver.waitFor(1);
    clock.ms += 3 * 3 * MINUTE;
    await receiver.waitFor(2);
    await pause(40);
    await sim.provider.settled();
    expect(receiver.received).toHaveLength(2);
  });

  it('run on a clock that runs faster than real time', async () => {
    const start = Date.now();
    const sim = await pool.start({ now: () => start + (Date.now() - start) * 60_000 });
    const receiver = await startReceiver();
    receivers.push(receiver);
    sim.provider.configure({ url: receiver.url, token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY, clockPollMs: 5 });
    await receiver.waitFor(2);
  });

  it('stop with stop(), with close(), and never with ticketIntervalMinutes false', async () => {
    const stopped = await setup({ clockPollMs: 5 });
    stopped.sim.provider.stop();
    expect(stopped.sim.provider.target).toBeUndefined();
    const closed = await setup({ clockPollMs: 5 });
    await closed.sim.close();
    const never = await setup({ clockPollMs: 5, ticketIntervalMinutes: false });
    for (const { clock } of [stopped, closed, never]) clock.ms += 60 * MINUTE;
    await pause(60);
    expect([stopped, closed, never].map(({ receiver }) => receiver.received.length)).toEqual([0, 0, 0]);
    await expect(stopped.sim.provider.pushTicket()).rejects.toThrow(/no callback target/);
  });

  it('do not keep the process alive', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    await setup({ clockPollMs: 5 });
    expect(timers()).toBe(before);
  });

  it('to an unreachable URL are logged and never throw', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now });
    const deliveries: string[] = [];
    sim.provider.configure({
      url: await unusedUrl(),
      token: CALLBACK_TOKEN,
      encodingAesKey: CALLBACK_AES_KEY,
      clockPollMs: 5,
      onDelivery: (delivery) => {
        deliveries.push(delivery.kind);
        throw new Error('a failing listener');
      },
    });
    clock.ms += 10 * MINUTE;
    for (let i = 0; i < 100 && sim.provider.deliveries.length === 0; i++) await pause(10);
    expect(sim.provider.deliveries).toMatchObject([{ kind: 'suite_ticket', automatic: true, status: 0, body: '', ok: false }]);
    expect(sim.provider.deliveries[0]?.error).toMatch(/ECONNREFUSED/);
    expect(deliveries).toEqual(['suite_ticket']);
    const push = await sim.provider.pushTicket();
    expect(push).toMatchObject({ status: 0, body: '', ok: false, error: expect.stringMatching(/ECONNREFUSED/) as unknown });
  });
});

describe('delivery log and timeouts', () => {
  it('records kind, status, answer body and simulator time of every delivery', async () => {
    const { sim, receiver, clock } = await setup({ ticketIntervalMinutes: false });
    await sim.provider.verifyUrl();
    clock.ms += 1_000;
    receiver.answer = () => ({ status: 502, body: 'bad gateway' });
    await sim.provider.pushTicket();
    expect(sim.provider.deliveries).toMatchObject([
      { kind: 'verify_url', automatic: false, method: 'GET', url: receiver.url, status: 200, ok: true, at: clock.ms - 1_000 },
      {
        kind: 'suite_ticket',
        automatic: false,
        method: 'POST',
        url: receiver.url,
        status: 502,
        body: 'bad gateway',
        ok: false,
        at: clock.ms,
      },
    ]);
    expect(sim.provider.deliveries[1]?.message).toContain('<InfoType><![CDATA[suite_ticket]]></InfoType>');
    sim.provider.clearDeliveries();
    expect(sim.provider.deliveries).toEqual([]);
  });

  it('a provider that does not answer within timeoutMs is logged as unanswered', async () => {
    const { sim, receiver } = await setup({ ticketIntervalMinutes: false, timeoutMs: 100 });
    receiver.answer = () => 'hang';
    const push = await sim.provider.pushTicket();
    expect(push).toMatchObject({ status: 0, ok: false, error: 'no answer within 100 ms' });
  });

  it('keeps the query string of the callback URL', async () => {
    const { sim, receiver } = await setup({ ticketIntervalMinutes: false });
    sim.provider.configure({ url: `${receiver.url}?source=kf`, token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY });
    await sim.provider.pushTicket();
    expect(receiver.received[0]?.query.get('source')).toBe('kf');
    expect(receiver.received[0]?.signatureOk).toBe(true);
  });

  it('refuses a bad target', async () => {
    const sim = await pool.start();
    const good = { url: 'http://127.0.0.1:1/callback', token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY };
    expect(() => sim.provider.configure({ ...good, url: 'ftp://example.com/' })).toThrow(/http or https/);
    expect(() => sim.provider.configure({ ...good, url: '/callback/1' })).toThrow(/http or https/);
    expect(() => sim.provider.configure({ ...good, token: '' })).toThrow(/token/);
    expect(() => sim.provider.configure({ ...good, encodingAesKey: 'short' })).toThrow(/43 characters/);
    expect(() => sim.provider.configure({ ...good, ticketIntervalMinutes: 0 })).toThrow(/ticketIntervalMinutes/);
    expect(sim.provider.target).toBeUndefined();
  });
});

describe('authorization events', () => {
  it('authorize creates a corp and POSTs create_auth with a one-time auth code', async () => {
    const { sim, receiver, clock } = await setup({ ticketIntervalMinutes: false });
    const auth = await sim.provider.authorize({ corpName: '测试企业', state: 'from-test' });
    expect(auth).toMatchObject({ authCorpId: 'wwsimjoin0000001', corpName: '测试企业', status: 200, body: 'success', ok: true });
    expect(auth.authCode).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const got = receiver.received[0];
    expect(got?.signatureOk).toBe(true);
    expect(got?.receiveId).toBe(sim.fixtures.suite.suiteId);
    expect(got?.fields).toEqual({
      SuiteId: sim.fixtures.suite.suiteId,
      AuthCode: auth.authCode,
      InfoType: 'create_auth',
      TimeStamp: String(Math.floor(clock.ms / 1000)),
      State: 'from-test',
    });
  });

  it('get_permanent_code answers the permanent code, a corp token and the corp, agent and user info', async () => {
    const { sim } = await setup({ ticketIntervalMinutes: false });
    const auth = await sim.provider.authorize({ corpId: 'wwnewcorp0000001', corpName: '新企业' });
    const body = await getPermanentCode(sim, auth.authCode);
    expect(body).toMatchObject({
      errcode: 0,
      errmsg: 'ok',
      expires_in: 7200,
      permanent_code: auth.permanentCode,
      auth_corp_info: { corpid: 'wwnewcorp0000001', corp_name: '新企业', corp_type: 'verified', subject_type: 1 },
      auth_info: { agent: [{ agentid: expect.any(Number) as unknown, name: expect.any(String) as unknown }] },
      auth_user_info: { userid: expect.any(String) as unknown, open_userid: expect.any(String) as unknown },
      state: '',
    });
    expect(body['access_token']).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const stats = await callKf(sim, 'get_statistic', String(body['access_token']), JUNE_10);
    expect(stats.body['errcode']).toBe(0);
    const entry = (stats.body['statistic_list'] as { statistic?: unknown }[])[0];
    expect(entry?.statistic).toEqual(sim.expectedStatistic({ endpoint: 'component', corpId: 'wwnewcorp0000001', date: '2024-06-10' }));
    const accounts = await callKf(sim, 'account/list', String(body['access_token']), {});
    expect((accounts.body['account_list'] as unknown[]).length).toBe(sim.fixtures.accounts.length);
    expect(await getCorpToken(sim, auth.authCorpId, auth.permanentCode)).toMatchObject({ expires_in: 7200 });
    expect(sim.calls.find((call) => call.path === '/cgi-bin/service/get_permanent_code')?.corpId).toBe('wwnewcorp0000001');
  });

  it('an auth code works once', async () => {
    const { sim } = await setup({ ticketIntervalMinutes: false });
    const auth = await sim.provider.authorize();
    expect((await getPermanentCode(sim, auth.authCode))['permanent_code']).toBe(auth.permanentCode);
    expect(await getPermanentCode(sim, auth.authCode)).toEqual({ errcode: 40078, errmsg: 'invalid auth_code' });
  });

  it('an auth code expires 10 simulated minutes after the authorization', async () => {
    const { sim, clock } = await setup({ ticketIntervalMinutes: false });
    const early = await sim.provider.authorize();
    const late = await sim.provider.authorize();
    clock.ms += 10 * MINUTE - 1;
    expect((await getPermanentCode(sim, early.authCode))['errcode']).toBe(0);
    clock.ms += 1;
    expect(await getPermanentCode(sim, late.authCode)).toEqual({ errcode: 40078, errmsg: 'invalid auth_code' });
  });

  it('get_permanent_code refuses unknown codes and bad suite tokens', async () => {
    const { sim, clock } = await setup({ ticketIntervalMinutes: false }, { tokenTtlSec: 60 });
    const auth = await sim.provider.authorize();
    expect((await getPermanentCode(sim, 'not-a-code'))['errcode']).toBe(40078);
    expect((await getPermanentCode(sim, undefined))['errcode']).toBe(40078);
    expect((await getPermanentCode(sim, auth.authCode, 'not-a-suite-token'))['errcode']).toBe(40082);
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_permanent_code`, { auth_code: auth.authCode });
    expect(body['errcode']).toBe(41022);
    const expiring = await suiteToken(sim);
    clock.ms += 60_000;
    expect((await getPermanentCode(sim, auth.authCode, expiring))['errcode']).toBe(42009);
    expect((await getPermanentCode(sim, auth.authCode))['errcode']).toBe(0);
  });

  it('authorize refuses a corp that has already authorized the suite', async () => {
    const { sim } = await setup({ ticketIntervalMinutes: false });
    await expect(sim.provider.authorize({ corpId: sim.fixtures.suite.authCorpId })).rejects.toThrow(/already authorized/);
    await expect(sim.provider.authorize({ corpId: sim.fixtures.selfBuilt.corpId })).rejects.toThrow(/self-built/);
  });

  it('changeAuth POSTs change_auth with the corp id', async () => {
    const { sim, receiver } = await setup({ ticketIntervalMinutes: false });
    const result = await sim.provider.changeAuth(sim.fixtures.suite.authCorpId);
    expect(result).toEqual({ status: 200, body: 'success', ok: true });
    expect(receiver.received[0]?.signatureOk).toBe(true);
    expect(receiver.received[0]?.receiveId).toBe(sim.fixtures.suite.suiteId);
    expect(receiver.received[0]?.fields).toMatchObject({
      SuiteId: sim.fixtures.suite.suiteId,
      InfoType: 'change_auth',
      AuthCorpId: sim.fixtures.suite.authCorpId,
    });
    await expect(sim.provider.changeAuth('wwnobody')).rejects.toThrow(/has not authorized/);
  });

  it('cancelAuth POSTs cancel_auth; then get_corp_token answers 40084 and earlier corp tokens 48004', async () => {
    const { sim, receiver, clock } = await setup({ ticketIntervalMinutes: false });
    const auth = await sim.provider.authorize();
    const corpToken = String((await getPermanentCode(sim, auth.authCode))['access_token']);
    expect((await callKf(sim, 'get_statistic', corpToken, JUNE_10)).body['errcode']).toBe(0);
    const result = await sim.provider.cancelAuth(auth.authCorpId);
    expect(result).toEqual({ status: 200, body: 'success', ok: true });
    const got = receiver.received[1];
    expect(got?.signatureOk).toBe(true);
    expect(got?.receiveId).toBe(sim.fixtures.suite.suiteId);
    expect(got?.fields).toEqual({
      SuiteId: sim.fixtures.suite.suiteId,
      InfoType: 'cancel_auth',
      TimeStamp: String(Math.floor(clock.ms / 1000)),
      AuthCorpId: auth.authCorpId,
    });
    expect(await getCorpToken(sim, auth.authCorpId, auth.permanentCode)).toEqual({ errcode: 40084, errmsg: 'invalid permanent_code' });
    expect((await callKf(sim, 'get_statistic', corpToken, JUNE_10)).body).toEqual({
      errcode: 48004,
      errmsg: 'api forbidden: authorization cancelled',
    });
    expect((await callKf(sim, 'account/list', corpToken, {})).body['errcode']).toBe(48004);
    await expect(sim.provider.cancelAuth(auth.authCorpId)).rejects.toThrow(/has not authorized/);
  });

  it('cancelling the fixture corp works too, and a corp may authorize again with a new permanent code', async () => {
    const { sim } = await setup({ ticketIntervalMinutes: false });
    const { suite } = sim.fixtures;
    await sim.provider.cancelAuth(suite.authCorpId);
    expect((await getCorpToken(sim, suite.authCorpId, suite.permanentCode))['errcode']).toBe(40084);
    const again = await sim.provider.authorize({ corpId: suite.authCorpId });
    expect(again.permanentCode).not.toBe(suite.permanentCode);
    expect(await getCorpToken(sim, suite.authCorpId, again.permanentCode)).toMatchObject({ expires_in: 7200 });
  });

  it('an unused auth code of a cancelled corp is refused', async () => {
    const { sim } = await setup({ ticketIntervalMinutes: false });
    const auth = await sim.provider.authorize();
    await sim.provider.cancelAuth(auth.authCorpId);
    expect((await getPermanentCode(sim, auth.authCode))['errcode']).toBe(40078);
  });

  it('an unreachable provider still gets its corp authorized', async () => {
    const sim = await pool.start({ now: testClock().now });
    sim.provider.configure({ url: await unusedUrl(), token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY });
    const auth = await sim.provider.authorize();
    expect(auth).toMatchObject({ status: 0, ok: false });
    expect((await getPermanentCode(sim, auth.authCode))['permanent_code']).toBe(auth.permanentCode);
  });
});
