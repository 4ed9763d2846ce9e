import { describe, expect, it } from 'vitest';
import { createKfStatsClient, parseChoice, resolveRange, ValidationError, type KfStatsClientOptions } from '../src/internal.js';
import { makeClient, standardHandler } from './support/fake-wecom.js';

const NOW = Date.parse('2026-11-24T10:00:00+08:00'); // window: 2026-05-28 .. 2026-11-23
const base: KfStatsClientOptions = {
  auth: { type: 'token', accessToken: 'tok-abcdef' },
  transport: async () => ({ status: 200, body: '{}' }),
  sleep: async () => {},
};

describe('bad client options are rejected with one message naming the field', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'missing auth',
      { auth: undefined },
      /Invalid options\.auth: missing\. Allowed: one of "token", "selfBuilt", "serviceProvider", "tokenService"/,
    ],
    ['unknown auth type', { auth: { type: 'oauth' } }, /Invalid options\.auth\.type: "oauth"\. Allowed: one of "token"/],
    [
      'empty access token',
      { auth: { type: 'token', accessToken: '' } },
      /Invalid options\.auth\.accessToken: ""\. Allowed: an access_token as a non-empty string/,
    ],
    ['numeric access token', { auth: { type: 'token', accessToken: 42 } }, /Invalid options\.auth\.accessToken: \[redacted\]\./],
    [
      'self-built without secret',
      { auth: { type: 'selfBuilt', corpId: 'ww1' } },
      /Invalid options\.auth\.corpSecret: missing\. Allowed: the app secret as a non-empty string/,
    ],
    [
      'self-built with blank corp id',
      { auth: { type: 'selfBuilt', corpId: '  ', corpSecret: 'abcdefgh' } },
      /Invalid options\.auth\.corpId: "  "\. Allowed: a corp id like "ww\.\.\."/,
    ],
    [
      'self-built with a typo option',
      { auth: { type: 'selfBuilt', corpId: 'ww1', corpSecret: 'abcdefgh', secret: 'x' } },
      /Invalid options\.auth\.secret: \[redacted\] \(unknown option\)\. Allowed: no such option/,
    ],
    [
      'provider without ticket',
      { auth: { type: 'serviceProvider', suiteId: 's', suiteSecret: 'abcdefgh', authCorpId: 'ww2', permanentCode: 'pppppppp' } },
      /Invalid options\.auth\.suiteTicket: missing\. Allowed: the newest suite_ticket/,
    ],
    [
      'provider without permanent code',
      { auth: { type: 'serviceProvider', suiteId: 's', suiteSecret: 'abcdefgh', suiteTicket: 't', authCorpId: 'ww2' } },
      /Invalid options\.auth\.permanentCode: missing\. Allowed: the permanent_code/,
    ],
    [
      'token service with ftp URL',
      { auth: { type: 'tokenService', url: 'ftp://tokens' } },
      /Invalid options\.auth\.url: "ftp:\/\/tokens"\. Allowed: an http\(s\) URL or a path starting with \//,
    ],
    [
      'token service with numeric header',
      { auth: { type: 'tokenService', url: '/t', headers: { k: 1 } } },
      /Invalid options\.auth\.headers\.k: \[redacted\]\./,
    ],
    ['missing transport', { transport: undefined }, /Invalid options\.transport: missing\. Allowed: a transport function/],
    ['transport not a function', { transport: 'undici' }, /Invalid options\.transport: "undici"\. Allowed: a transport function/],
    ['sleep not a function', { sleep: 500 }, /Invalid options\.sleep: 500\. Allowed: a sleep function/],
    [
      'base URL without scheme',
      { baseUrl: 'qyapi.weixin.qq.com' },
      /Invalid options\.baseUrl: "qyapi\.weixin\.qq\.com"\. Allowed: an http\(s\) URL/,
    ],
    ['base URL with query', { baseUrl: 'https://x.test/?a=1' }, /Invalid options\.baseUrl: "https:\/\/x\.test\/\?a=1"/],
    ['concurrency 0', { concurrency: 0 }, /Invalid options\.concurrency: 0\. Allowed: concurrency: a whole number from 1 to 32/],
    ['concurrency 2.5', { concurrency: 2.5 }, /Invalid options\.concurrency: 2\.5\. Allowed: concurrency: a whole number from 1 to 32/],
    ['concurrency as text', { concurrency: '4' }, /Invalid options\.concurrency: "4"\. Allowed: concurrency: a whole number/],
    ['timeout too small', { timeoutMs: 5 }, /Invalid options\.timeoutMs: 5\. Allowed: timeout in ms: a whole number from 100 to 600000/],
    [
      'negative retries',
      { retry: { maxRetries: -1 } },
      /Invalid options\.retry\.maxRetries: -1\. Allowed: retries: a whole number from 0 to 10/,
    ],
    ['unknown retry option', { retry: { attempts: 3 } }, /Invalid options\.retry\.attempts: 3 \(unknown option\)/],
    ['window policy typo', { windowPolicy: 'cut' }, /Invalid options\.windowPolicy: "cut"\. Allowed: "clamp" or "strict"/],
    ['cache true', { cache: true }, /Invalid options\.cache: true\. Allowed: false or a store with get\/set/],
    [
      'token store without delete',
      { tokenStore: { get() {}, set() {} } },
      /Invalid options\.tokenStore: \{\}\. Allowed: a store with get\/set\/delete/,
    ],
    ['unknown option', { retries: 3 }, /Invalid options\.retries: 3 \(unknown option\)\. Allowed: no such option/],
  ])('%s', (_name, patch, message) => {
    const options = { ...base, ...patch } as KfStatsClientOptions;
    expect(() => createKfStatsClient(options)).toThrow(ValidationError);
    expect(() => createKfStatsClient(options)).toThrow(message);
  });
});

describe('bad statistics queries are rejected before any call', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['unknown endpoint', { endpoint: 'account', last: 1 }, /Invalid endpoint: "account"\. Allowed: "component", "corp" or "servicer"/],
    ['missing endpoint', { last: 1 }, /Invalid endpoint: missing\. Allowed: "component", "corp" or "servicer"/],
    [
      'corp without account',
      { endpoint: 'corp', last: 1 },
      /Invalid openKfid: missing\. Allowed: an open_kfid \("wk\.\.\."\) for corp statistics/,
    ],
    [
      'component with account',
      { endpoint: 'component', openKfid: 'wk1', last: 1 },
      /Invalid openKfid: "wk1"\. Allowed: no open_kfid for component statistics/,
    ],
    [
      'servicer on corp endpoint',
      { endpoint: 'corp', openKfid: 'wk1', servicerUserid: 'u1', last: 1 },
      /Invalid servicerUserid: "u1"\. Allowed: a servicer only with endpoint "servicer"/,
    ],
    ['blank account', { endpoint: 'corp', openKfid: ' ', last: 1 }, /Invalid openKfid: " "\. Allowed: a customer-service account id/],
    [
      'reversed range',
      { endpoint: 'component', from: '2026-11-10', to: '2026-11-01' },
      /Invalid to: "2026-11-01" \(the range is reversed\)\. Allowed: a day on or after from \(2026-11-10\)/,
    ],
    [
      'impossible date',
      { endpoint: 'component', from: '2026-02-30', to: '2026-03-02' },
      /Invalid from: "2026-02-30" \(no such calendar date\)/,
    ],
    ['garbage date', { endpoint: 'component', from: 'last week' }, /Invalid from: "last week"\. Allowed: YYYY-MM-DD/],
    [
      'today only',
      { endpoint: 'component', from: 'today', to: 'today' },
      /Invalid from: "2026-11-24" \(the range lies wholly after yesterday.*Allowed: days from 2026-05-28 to 2026-11-23/,
    ],
    [
      'future range',
      { endpoint: 'component', from: '2027-01-01', to: '2027-01-05' },
      /Invalid from: "2027-01-01\.\.2027-01-05" \(the range lies wholly after yesterday/,
    ],
    [
      'ancient range',
      { endpoint: 'component', from: '2025-01-01', to: '2025-02-01' },
      /Invalid to: "2025-02-01" \(the range lies wholly more than 180 days ago\)\. Allowed: days from 2026-05-28 to 2026-11-23/,
    ],
    ['last zero', { endpoint: 'component', last: 0 }, /Invalid last: 0\. Allowed: a whole number of days from 1 to 3660/],
    ['last fraction', { endpoint: 'component', last: 1.5 }, /Invalid last: 1\.5\. Allowed: a whole number of days/],
    ['last words', { endpoint: 'component', last: 'a week' }, /Invalid last: "a week"\. Allowed: a whole number of days/],
    [
      'last with from',
      { endpoint: 'component', last: 7, from: '2026-11-01' },
      /Invalid last: 7\. Allowed: either last or from\/to, not both/,
    ],
    [
      'to without from',
      { endpoint: 'component', to: '2026-11-01' },
      /Invalid from: missing\. Allowed: a start day when a "to" day is given/,
    ],
    [
      'strict and too old',
      { endpoint: 'component', from: '2026-05-01', to: '2026-06-01', windowPolicy: 'strict' },
      /Invalid from: "2026-05-01"\. Allowed: days from 2026-05-28 to 2026-11-23/,
    ],
    [
      'strict and last 200',
      { endpoint: 'component', last: 200, windowPolicy: 'strict' },
      /Invalid last: 200\. Allowed: at most 180 days under the strict window policy \(days from 2026-05-28/,
    ],
    [
      'window policy typo',
      { endpoint: 'component', last: 1, windowPolicy: 'loose' },
      /Invalid windowPolicy: "loose"\. Allowed: "clamp" or "strict"/,
    ],
    [
      'progress not a function',
      { endpoint: 'component', last: 1, onProgress: 'bar' },
      /Invalid onProgress: "bar"\. Allowed: a function receiving progress/,
    ],
    ['signal not a signal', { endpoint: 'component', last: 1, signal: 'stop' }, /Invalid signal: "stop"\. Allowed: an AbortSignal/],
    ['unknown query option', { endpoint: 'component', last: 1, days: 7 }, /Invalid days: 7 \(unknown option\)/],
  ])('%s', async (_name, query, message) => {
    const fake = makeClient(standardHandler(), { now: () => NOW });
    await expect(fake.client.getStatistics(query as never)).rejects.toThrow(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects a blank account id for the servicer list', async () => {
    const fake = makeClient(standardHandler());
    await expect(fake.client.listServicers('')).rejects.toThrow(/Invalid openKfid: ""\. Allowed: a customer-service account id/);
  });
});

describe('the window policy', () => {
  it('clamps a range reaching past the window and says so in a warning', () => {
    const range = resolveRange({ from: '2026-05-01', to: '2026-11-30' }, NOW, 'clamp');
    expect(range).toMatchObject({
      from: '2026-05-28',
      to: '2026-11-23',
      requested: { from: '2026-05-01', to: '2026-11-30' },
      dayCount: 180,
    });
    expect(range.warnings).toEqual([
      expect.objectContaining({
        code: 'RANGE_CLAMPED',
        message: expect.stringMatching(/2026-05-01\.\.2026-11-30 was clamped to 2026-05-28\.\.2026-11-23/),
      }),
    ]);
  });

  it('keeps an in-window range as asked, without warnings', () => {
    expect(resolveRange({ from: '2026-11-01', to: '2026-11-07' }, NOW, 'strict')).toMatchObject({ dayCount: 7, warnings: [] });
  });

  it('defaults to yesterday when nothing is given', () => {
    expect(resolveRange({}, NOW)).toMatchObject({ from: '2026-11-23', to: '2026-11-23' });
  });

  it('accepts "7d" and "last 7 days" for last', () => {
    expect(resolveRange({ last: '7d' }, NOW)).toMatchObject({ from: '2026-11-17', to: '2026-11-23' });
    expect(resolveRange({ last: 'last 7 days' }, NOW)).toMatchObject({ dayCount: 7 });
  });
});

describe('choices from hosts', () => {
  it('takes an allowed value and falls back when empty', () => {
    expect(parseChoice('fill', 'zero', ['null', 'zero', 'omit'], 'null')).toBe('zero');
    expect(parseChoice('fill', '', ['null', 'zero', 'omit'], 'null')).toBe('null');
    expect(parseChoice('fill', undefined, ['null', 'zero', 'omit'], 'null')).toBe('null');
  });

  it('names the field, the value and the choices otherwise', () => {
    expect(() => parseChoice('msg.fill', 'zeros', ['null', 'zero', 'omit'], 'null')).toThrow(
      'Invalid msg.fill: "zeros". Allowed: "null", "zero", "omit".',
    );
    expect(() => parseChoice('format', 3, ['table', 'time_series'], 'table')).toThrow(
      'Invalid format: 3. Allowed: "table", "time_series".',
    );
  });
});
