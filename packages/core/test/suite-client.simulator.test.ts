/**
 * A provider's suite-level calls against the simulator over real HTTP: the one-time auth code of a
 * create_auth exchanged for the corp's permanent code, with the suite token shared with the corps'
 * clients; and what a token service says when it refuses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { createNodeClient, createUndiciTransport } from '../src/node.js';
import { createMemoryTokenStore, createSuiteClient, HttpStatusError, ValidationError, WecomApiError } from '../src/internal.js';

const kf = useSimulator();
const transport = createUndiciTransport();
let receiver: Server;

beforeAll(async () => {
  // The provider's callback URL, as far as these tests need it: every event acknowledged.
  receiver = createServer((_req, res) => res.end('success'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  kf.sim.provider.configure({
    url: `http://127.0.0.1:${port}/callback`,
    token: 'Tok',
    encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    ticketIntervalMinutes: false,
  });
});
afterAll(async () => {
  kf.sim.provider.stop();
  await transport.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const suite = () => ({
  suiteId: kf.sim.fixtures.suite.suiteId,
  suiteSecret: kf.sim.fixtures.suite.suiteSecret,
  suiteTicket: kf.sim.fixtures.suite.suiteTicket,
});

describe('createSuiteClient', () => {
  it("exchanges a create_auth's auth code for the corp's permanent code, once", async () => {
    const auth = await kf.sim.provider.authorize({ corpName: 'Joined corp' });
    const client = createSuiteClient({ suite: suite(), transport, baseUrl: kf.sim.url, now: kf.now });
    expect(await client.getPermanentCode(auth.authCode)).toEqual({
      corpId: auth.authCorpId,
      corpName: 'Joined corp',
      permanentCode: auth.permanentCode,
    });
    await expect(client.getPermanentCode(auth.authCode)).rejects.toBeInstanceOf(WecomApiError);
  });

  it('never tries an exchange again: a lost answer may have used the one-time code', async () => {
    const auth = await kf.sim.provider.authorize();
    const client = createSuiteClient({
      suite: suite(),
      transport,
      baseUrl: kf.sim.url,
      now: kf.now,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    });
    await client.getPermanentCode((await kf.sim.provider.authorize()).authCode);
    kf.sim.resetCalls();
    kf.sim.inject({ path: '/cgi-bin/service/get_permanent_code', kind: 'http', status: 502 });
    await expect(client.getPermanentCode(auth.authCode)).rejects.toBeInstanceOf(HttpStatusError);
    expect(kf.sim.callCount('/cgi-bin/service/get_permanent_code')).toBe(1);
  });

  it('shares one suite token with the corps of the suite', async () => {
    const tokenStore = createMemoryTokenStore();
    const auth = await kf.sim.provider.authorize();
    kf.sim.resetCalls();
    const client = createSuiteClient({ suite: suite(), transport, baseUrl: kf.sim.url, now: kf.now, tokenStore });
    const joined = await client.getPermanentCode(auth.authCode);
    const corp = createNodeClient({
      baseUrl: kf.sim.url,
      now: kf.now,
      tokenStore,
      auth: { type: 'serviceProvider', ...suite(), authCorpId: joined.corpId, permanentCode: joined.permanentCode },
    });
    await corp.getStatistics({ endpoint: 'component', last: 3 });
    await corp.close();
    expect(kf.sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
  });

  it('names a bad option or auth code as a ValidationError', () => {
    expect(() => createSuiteClient(undefined as never)).toThrow(ValidationError);
    expect(() => createSuiteClient({ suite: { ...suite(), suiteSecret: ' ' }, transport } as never)).toThrow(/options\.suite\.suiteSecret/);
    const client = createSuiteClient({ suite: suite(), transport, baseUrl: kf.sim.url });
    return expect(client.getPermanentCode('')).rejects.toThrow(/authCode/);
  });
});

describe('a token service that refuses', () => {
  it("says what it answered, not that WeCom's gateway failed", async () => {
    const service = createServer((_req, res) => {
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'this API key may not take access tokens' } }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const { port } = service.address() as AddressInfo;
    const client = createNodeClient({
      baseUrl: kf.sim.url,
      auth: { type: 'tokenService', url: `http://127.0.0.1:${port}/token`, headers: { authorization: 'Bearer k' } },
    });
    const error = await client.checkAuth().catch((e: unknown) => e);
    await client.close();
    await new Promise((resolve) => service.close(resolve));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as Error).message).toBe('Request to /token answered HTTP 403: this API key may not take access tokens.');
  });
});

describe('a token service shared by callers with different keys', () => {
  it('never answers one key with the token another key obtained', async () => {
    const token = 'token-for-the-good-key-123456';
    const seen: string[] = [];
    const service = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization === 'Bearer good-key') return res.end(JSON.stringify({ access_token: token, expires_in: 7200 }));
      res.statusCode = 403;
      res.end(JSON.stringify({ error: { message: 'this API key may not take access tokens' } }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/token`;
    const tokenStore = createMemoryTokenStore();
    const client = (key: string) =>
      createNodeClient({
        baseUrl: kf.sim.url,
        tokenStore,
        auth: { type: 'tokenService', url, headers: { Authorization: `Bearer ${key}` } },
      });
    const good = client('good-key');
    const bad = client('read-only-key');
    await good.checkAuth();
    const refused = await bad.checkAuth().catch((e: unknown) => e);
    await Promise.all([good.close(), bad.close()]);
    await new Promise((resolve) => service.close(resolve));
    expect(refused).toBeInstanceOf(HttpStatusError);
    expect(seen).toEqual(['Bearer good-key', 'Bearer read-only-key']);
    expect(good.authKey).not.toBe(bad.authKey);
    expect(`${good.authKey}${bad.authKey}`).not.toMatch(/key/);
  });
});
