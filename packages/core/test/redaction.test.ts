import { describe, expect, it } from 'vitest';
import { createKfStatsClient, redactText, type KfStatsClientOptions } from '../src/internal.js';
import { OK, fakeClock, fakeTransport, makeClient, standardHandler, statisticsAnswer } from './support/fake-wecom.js';

/** Canary values: if any of these shows up in output, a secret leaked. */
const CANARY = {
  secret: 'CANARY-corp-secret-7f3a91',
  suiteSecret: 'CANARY-suite-secret-55e0',
  ticket: 'CANARY-suite-ticket-0c2d',
  permanentCode: 'CANARY-permanent-code-b81f',
  token: 'CANARY-access-token-19ae',
  /** A token the caller holds: registered by nothing but the static-token strategy itself. */
  staticToken: 'CANARY-static-token-4e21',
  suiteToken: 'CANARY-suite-token-77aa',
  header: 'CANARY-token-service-key-3c3c',
};
const leaks = (text: string) => Object.values(CANARY).filter((c) => text.includes(c));

const STAT = '/cgi-bin/kf/get_statistic';

function everyAuth(): KfStatsClientOptions['auth'][] {
  return [
    { type: 'selfBuilt', corpId: 'wwcanary', corpSecret: CANARY.secret },
    {
      type: 'serviceProvider',
      suiteId: 'wwsuite',
      suiteSecret: CANARY.suiteSecret,
      suiteTicket: CANARY.ticket,
      authCorpId: 'wwauth',
      permanentCode: CANARY.permanentCode,
    },
    { type: 'tokenService', url: 'https://tokens.test/token', headers: { 'x-key': CANARY.header } },
    { type: 'token', accessToken: CANARY.staticToken },
  ];
}

/** A WeCom whose answers echo what it was sent (URL with token, body with secrets): the worst case for redaction. */
/** WeCom echoing the request back, the token it was sent included. */
const echo = (raw: { url: string; body?: string }) =>
  `bad request ${raw.url} ${raw.body ?? ''} token ${new URL(raw.url).searchParams.get('access_token') ?? ''}`;
const echoing = (failWith: number, failPath: string) =>
  standardHandler({
    '/cgi-bin/gettoken': (_req, raw) =>
      failPath === 'token' ? { errcode: failWith, errmsg: echo(raw) } : { ...OK, access_token: CANARY.token, expires_in: 7200 },
    '/token': (_req, raw) =>
      failPath === 'token' ? { errcode: failWith, errmsg: echo(raw) } : { access_token: CANARY.token, expires_in: 7200 },
    '/cgi-bin/service/get_suite_token': (_req, raw) =>
      failPath === 'token' ? { errcode: failWith, errmsg: echo(raw) } : { suite_access_token: CANARY.suiteToken, expires_in: 7200 },
    '/cgi-bin/service/get_corp_token': (_req, raw) =>
      failPath === 'token' ? { errcode: failWith, errmsg: echo(raw) } : { access_token: CANARY.token, expires_in: 7200 },
    [STAT]: (req, raw) => (failWith === 0 || failPath === 'token' ? statisticsAnswer(req.body) : { errcode: failWith, errmsg: echo(raw) }),
  });

describe('secrets stay secret', () => {
  it.each(everyAuth().map((a) => [a.type, a] as const))('no canary in errors, logs or results with %s auth', async (_type, auth) => {
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    for (const [errcode, failPath] of [
      [0, 'none'],
      [-1, 'stats'],
      [48002, 'stats'],
      [40014, 'stats'],
      [-1, 'token'],
      [40001, 'token'],
    ] as const) {
      const { client } = makeClient(echoing(errcode, failPath), { auth, logger, retry: { maxRetries: 1 } });
      const outcome = await client.getStatistics({ endpoint: 'component', last: 40 }).then(
        (result) => JSON.stringify(result),
        (error: Error) =>
          `${error.message} ${JSON.stringify(error)} ${String(error.stack)} ${JSON.stringify((error as { partial?: unknown }).partial ?? null)}`,
      );
      expect(leaks(outcome)).toEqual([]);
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(leaks(lines.join('\n'))).toEqual([]);
  });

  it('never echoes a malformed secret option in a validation error', () => {
    const clock = fakeClock();
    const { transport } = fakeTransport(standardHandler());
    const bad = { type: 'selfBuilt', corpId: 'ww', corpSecret: [CANARY.secret] } as unknown as KfStatsClientOptions['auth'];
    expect(() => createKfStatsClient({ auth: bad, transport, sleep: clock.sleep })).toThrow(
      /Invalid options\.auth\.corpSecret: \[redacted\]/,
    );
  });

  it('redacts credential parameters in any URL or JSON text', () => {
    expect(redactText('https://x/cgi-bin/gettoken?corpid=ww1&corpsecret=abc&x=1')).toBe(
      'https://x/cgi-bin/gettoken?corpid=ww1&corpsecret=[redacted]&x=1',
    );
    expect(redactText('{"suite_ticket":"t-1","permanent_code": "p-2"}')).toBe(
      '{"suite_ticket":"[redacted]","permanent_code": "[redacted]"}',
    );
    expect(redactText('?access_token=abc#frag')).toBe('?access_token=[redacted]#frag');
  });
});
