/**
 * Bad input that used to pass, or to fail with someone else's wording: each gets one message
 * naming the field, the value and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { createKfStatsClient, parseDayInput, ValidationError, type KfStatsClientOptions } from '../src/internal.js';
import { makeClient, standardHandler } from './support/fake-wecom.js';

const NOW = Date.parse('2026-11-24T10:00:00+08:00'); // window: 2026-05-28 .. 2026-11-23

describe('the client itself', () => {
  it.each<[string, unknown, string]>([
    ['no options at all', undefined, 'Invalid options: missing. Allowed: an object such as { auth, transport, sleep }.'],
    ['null options', null, 'Invalid options: null. Allowed: an object such as { auth, transport, sleep }.'],
    ['a string for options', 'selfBuilt', 'Invalid options: "selfBuilt". Allowed: an object such as { auth, transport, sleep }.'],
    ['an array for options', [], 'Invalid options: []. Allowed: an object such as { auth, transport, sleep }.'],
  ])('%s', (_name, options, message) => {
    expect(() => createKfStatsClient(options as KfStatsClientOptions)).toThrow(
      new ValidationError('options', options, 'an object such as { auth, transport, sleep }'),
    );
    expect(() => createKfStatsClient(options as KfStatsClientOptions)).toThrow(message);
  });

  it('names onWait when it is not a function', () => {
    const options = {
      auth: { type: 'token', accessToken: 'tok-abcdef' },
      transport: async () => ({ status: 200, body: '{}' }),
      sleep: async () => {},
      onWait: 'stderr',
    };
    expect(() => createKfStatsClient(options as never)).toThrow(
      'Invalid options.onWait: "stderr". Allowed: a function receiving each wait before a retry.',
    );
  });
});

describe('queries', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'no query',
      undefined,
      /^Invalid query: missing\. Allowed: an object such as \{ endpoint: "corp", openKfid: "wk\.\.\.", last: 7 \}\.$/,
    ],
    ['null query', null, /^Invalid query: null\. Allowed: an object such as/],
    ['an endpoint name for a query', 'corp', /^Invalid query: "corp"\. Allowed: an object such as/],
    [
      'last of 700000 days',
      { endpoint: 'component', last: 700_000 },
      /^Invalid last: 700000\. Allowed: a whole number of days from 1 to 3660 \(e\.g\. 7 or "7d"\); WeCom keeps the last 180\.$/,
    ],
    [
      'last of 375000 days as text',
      { endpoint: 'component', last: '375000' },
      /^Invalid last: "375000"\. Allowed: a whole number of days from 1 to 3660/,
    ],
    ['last of 3661 days', { endpoint: 'component', last: 3661 }, /^Invalid last: 3661\. Allowed: a whole number of days from 1 to 3660/],
    ['last of -5 days', { endpoint: 'component', last: -5 }, /^Invalid last: -5\. Allowed: a whole number of days/],
    ['last as weeks', { endpoint: 'component', last: '2 weeks' }, /^Invalid last: "2 weeks"\. Allowed: a whole number of days/],
    ['last as Infinity', { endpoint: 'component', last: Infinity }, /^Invalid last: Infinity\. Allowed: a whole number of days/],
    [
      'last 700000 under the strict policy',
      { endpoint: 'component', last: 700_000, windowPolicy: 'strict' },
      /^Invalid last: 700000\. Allowed: a whole number of days from 1 to 3660/,
    ],
    [
      'a compact date for from',
      { endpoint: 'component', from: '20261101' },
      /^Invalid from: "20261101" \(a date without dashes is ambiguous with epoch seconds: write 2026-11-01\)\. Allowed: YYYY-MM-DD/,
    ],
    [
      'a compact date for to',
      { endpoint: 'component', from: '2026-11-01', to: '20261110' },
      /^Invalid to: "20261110" \(a date without dashes is ambiguous with epoch seconds: write 2026-11-10\)/,
    ],
    [
      'an impossible compact date',
      { endpoint: 'component', from: '20261131' },
      /^Invalid from: "20261131" \(digits only, but not epoch seconds \(10 digits\) or milliseconds \(13 digits\)\)/,
    ],
    ['seven digits', { endpoint: 'component', from: '2026111' }, /^Invalid from: "2026111" \(digits only, but not epoch seconds/],
    ['eleven digits', { endpoint: 'component', from: '17934624000' }, /^Invalid from: "17934624000" \(digits only, but not epoch seconds/],
    ['a year alone', { endpoint: 'component', from: '2026' }, /^Invalid from: "2026" \(digits only, but not epoch seconds/],
    [
      'a wait hook that is not a function',
      { endpoint: 'component', last: 1, onWait: () => {} },
      /^Invalid onWait: a function \(unknown option\)/,
    ],
  ])('%s', async (_name, query, message) => {
    const fake = makeClient(standardHandler(), { now: () => NOW });
    const error = await fake.client.getStatistics(query as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('still takes epoch seconds and milliseconds as digit strings', () => {
    expect(parseDayInput('1793462400', 'from', NOW)).toBe('2026-11-01');
    expect(parseDayInput('1793462400000', 'from', NOW)).toBe('2026-11-01');
  });
});

describe('servicer lists', () => {
  it.each([[undefined], [42], ['   ']])('names a bad account id %j', async (openKfid) => {
    const fake = makeClient(standardHandler());
    await expect(fake.client.listServicers(openKfid as never)).rejects.toThrow(
      /^Invalid openKfid: .+\. Allowed: a customer-service account id \(open_kfid, "wk\.\.\."\)\.$/,
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe('stores and getters that misbehave', () => {
  const base = (patch: Partial<KfStatsClientOptions>) =>
    makeClient(
      standardHandler({
        '/cgi-bin/service/get_suite_token': () => ({ suite_access_token: 'suite-token-abcdef' }),
        '/cgi-bin/service/get_corp_token': () => ({ access_token: 'corp-token-abcdef' }),
      }),
      patch,
    );
  const provider = (suiteTicket: unknown) => ({
    auth: {
      type: 'serviceProvider',
      suiteId: 'wwsuite',
      suiteSecret: 'suite-secret-abcdef',
      suiteTicket,
      authCorpId: 'wwcorp',
      permanentCode: 'permanent-code-abcdef',
    } as KfStatsClientOptions['auth'],
  });
  it.each<[string, Partial<KfStatsClientOptions>, RegExp]>([
    [
      'a token store whose set throws',
      {
        tokenStore: {
          get: () => undefined,
          set: () => {
            throw new Error('quota');
          },
          delete: () => undefined,
        },
      },
      /^Invalid options\.tokenStore\.set: a function \(it threw: quota\)/,
    ],
    [
      'a token store whose get rejects',
      { tokenStore: { get: () => Promise.reject(new Error('timeout')), set: () => undefined, delete: () => undefined } },
      /^Invalid options\.tokenStore\.get: a function \(it threw: timeout\)/,
    ],
    [
      'a ticket getter that returns an empty string',
      provider(() => ''),
      /^Invalid options\.auth\.suiteTicket: \[redacted\] \(it returned ""\)/,
    ],
    ['a ticket getter that returns a number', provider(() => 7), /^Invalid options\.auth\.suiteTicket: \[redacted\] \(it returned 7\)/],
    [
      'a ticket getter that rejects',
      provider(() => Promise.reject(new Error('redis down'))),
      /^Invalid options\.auth\.suiteTicket: \[redacted\] \(it threw: redis down\)/,
    ],
    [
      'a token getter that throws',
      {
        auth: {
          type: 'token',
          accessToken: () => {
            throw new Error('vault sealed');
          },
        },
      },
      /^Invalid options\.auth\.accessToken: \[redacted\] \(it threw: vault sealed\)/,
    ],
    [
      'a cache whose get throws synchronously',
      {
        cache: {
          get: () => {
            throw new Error('corrupt');
          },
          set: () => undefined,
        },
      },
      /^Invalid options\.cache\.get: a function \(it threw: corrupt\)/,
    ],
  ])('%s', async (_name, patch, message) => {
    const fake = base(patch);
    const error = await fake.client.getStatistics({ endpoint: 'component', last: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });
});
