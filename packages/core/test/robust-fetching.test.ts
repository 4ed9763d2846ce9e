/**
 * Fetching that never hurts the user: bounded paging, failures that cost only their own days,
 * identical requests shared, waits told, redaction that does not grow without end.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryDayCache,
  createMemoryTokenStore,
  HttpStatusError,
  IncompleteFetchError,
  registeredSecretCount,
  ResponseFormatError,
  TimeoutError,
  ValidationError,
  WecomApiError,
  type CallResponse,
  type RetryWait,
} from '../src/internal.js';
import { OK, makeClient, standardHandler, statisticsAnswer } from './support/fake-wecom.js';

const STAT = '/cgi-bin/kf/get_statistic';
const LIST = '/cgi-bin/kf/account/list';

const fullPage = (offset: number) => ({ ...OK, account_list: Array.from({ length: 100 }, (_, i) => ({ open_kfid: `wk${offset + i}` })) });

describe('account paging is bounded', () => {
  it('stops with a clear error when every page comes back full past 5,000 accounts', async () => {
    const fake = makeClient(standardHandler({ [LIST]: (req) => fullPage((req.body as { offset: number }).offset) }));
    const error = await fake.client.listAccounts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseFormatError);
    expect((error as Error).message).toMatch(
      /every page came back full past 5000 accounts, the most a corp can have \(page 94661\)\. Stopped after 51 calls/,
    );
    expect(fake.count(LIST)).toBe(51);
  });

  it('stops at the first repeated page when the server ignores offset', async () => {
    const fake = makeClient(standardHandler({ [LIST]: () => fullPage(0) }));
    await expect(fake.client.listAccounts()).rejects.toThrow(
      /the page at offset 100 repeats accounts already listed \(wk0…\): the server ignores offset\. Stopped after 2 calls/,
    );
    expect(fake.count(LIST)).toBe(2);
  });

  it('still reads exactly 5,000 accounts, ending on an empty page', async () => {
    const fake = makeClient(
      standardHandler({
        [LIST]: (req) =>
          (req.body as { offset: number }).offset < 5000 ? fullPage((req.body as { offset: number }).offset) : { ...OK, account_list: [] },
      }),
    );
    expect(await fake.client.listAccounts()).toHaveLength(5000);
    expect(fake.count(LIST)).toBe(51);
  });
});

describe('a failing chunk costs only its own days', () => {
  it('fetches every other chunk after a non-retryable failure and names the failing days', async () => {
    let calls = 0;
    const fake = makeClient(
      standardHandler({ [STAT]: (req) => (++calls === 1 ? { errcode: 40058, errmsg: 'invalid parameter' } : statisticsAnswer(req.body)) }),
      { concurrency: 1 },
    );
    const error = await fake.client.getStatistics({ endpoint: 'component', last: 180 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteFetchError);
    const incomplete = error as IncompleteFetchError;
    expect(fake.count(STAT)).toBe(6);
    expect(incomplete.partial.days).toHaveLength(149);
    expect(incomplete.missingDays).toHaveLength(31);
    expect(incomplete.failures).toHaveLength(1);
    expect(incomplete.failures[0]!.error).toBeInstanceOf(WecomApiError);
    expect(incomplete.failures[0]!.days).toEqual(incomplete.missingDays);
  });

  it('keeps going after an HTTP error that retries could not cure', async () => {
    let calls = 0;
    const fake = makeClient(
      standardHandler({ [STAT]: (req) => (++calls <= 4 ? { status: 502, raw: 'bad gateway' } : statisticsAnswer(req.body)) }),
      { concurrency: 1 },
    );
    const error = (await fake.client.getStatistics({ endpoint: 'component', last: 62 }).catch((e: unknown) => e)) as IncompleteFetchError;
    expect(error.failures[0]!.error).toBeInstanceOf(HttpStatusError);
    expect(error.partial.days).toHaveLength(31);
    expect(fake.count(STAT)).toBe(5);
  });

  it.each([
    [48002, 'permission'],
    [60020, 'ip_not_trusted'],
    [48004, 'authorization'],
    [95017, 'permission'],
  ])('stops at once after errcode %i (%s): every other call would fail the same way', async (errcode, category) => {
    const fake = makeClient(standardHandler({ [STAT]: () => ({ errcode, errmsg: 'refused' }) }), { concurrency: 1 });
    const error = await fake.client.getStatistics({ endpoint: 'component', last: 180 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WecomApiError);
    expect((error as WecomApiError).category).toBe(category);
    expect(fake.count(STAT)).toBe(1);
  });

  it('stops at once when the secret is wrong', async () => {
    const fake = makeClient(standardHandler({ '/cgi-bin/gettoken': () => ({ errcode: 40001, errmsg: 'invalid credential' }) }), {
      concurrency: 1,
    });
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 180 })).rejects.toMatchObject({
      errcode: 40001,
      category: 'credentials',
    });
    expect(fake.count('/cgi-bin/gettoken')).toBe(1);
    expect(fake.count(STAT)).toBe(0);
  });
});

describe('identical requests in flight are shared', () => {
  it('makes 6 statistics calls for 8 identical concurrent 180-day queries', async () => {
    const fake = makeClient(standardHandler(), { concurrency: 6 });
    const results = await Promise.all(Array.from({ length: 8 }, () => fake.client.getStatistics({ endpoint: 'component', last: 180 })));
    expect(fake.count(STAT)).toBe(6);
    for (const result of results) expect(result.days).toHaveLength(180);
    expect(results.map((r) => r.stats.chunks)).toEqual([6, 0, 0, 0, 0, 0, 0, 0]);
    expect(results[1]!.stats.sharedDays).toBe(180);
  });

  it('shares without a day cache too', async () => {
    const fake = makeClient(standardHandler(), { concurrency: 6, cache: false });
    await Promise.all(Array.from({ length: 8 }, () => fake.client.getStatistics({ endpoint: 'component', last: 180 })));
    expect(fake.count(STAT)).toBe(6);
  });

  it('fetches only the days no one is fetching yet for an overlapping query', async () => {
    const fake = makeClient(standardHandler(), { cache: false });
    const [first, second] = await Promise.all([
      fake.client.getStatistics({ endpoint: 'component', from: '2026-10-01', to: '2026-10-31' }),
      fake.client.getStatistics({ endpoint: 'component', from: '2026-10-15', to: '2026-11-10' }),
    ]);
    const bodies = fake.requests.filter((r) => r.path === STAT).map((r) => r.body as { start_time: number; end_time: number });
    expect(bodies).toHaveLength(2);
    // 2026-11-01 00:00 China time: the second query asked only for the days after October.
    expect(bodies[1]).toEqual({ start_time: 1793462400, end_time: 1793462400 + 9 * 86400 });
    expect(first.days).toHaveLength(31);
    expect(second.days).toHaveLength(27);
    expect(second.stats).toMatchObject({ sharedDays: 17, fetchedDays: 10 });
  });

  it('does not share between different accounts', async () => {
    const fake = makeClient(standardHandler());
    await Promise.all([
      fake.client.getStatistics({ endpoint: 'corp', openKfid: 'wk1', last: 31 }),
      fake.client.getStatistics({ endpoint: 'corp', openKfid: 'wk2', last: 31 }),
    ]);
    expect(fake.count('/cgi-bin/kf/get_corp_statistic')).toBe(2);
  });

  it('fetches the days itself when the query it shared with is aborted', async () => {
    const fake = makeClient(standardHandler(), { cache: false });
    const controller = new AbortController();
    const aborted = fake.client.getStatistics({ endpoint: 'component', last: 31, signal: controller.signal });
    const other = fake.client.getStatistics({ endpoint: 'component', last: 31 });
    controller.abort(new Error('user left'));
    await expect(aborted).rejects.toThrow(/aborted/);
    const result = await other;
    expect(result.days).toHaveLength(31);
    expect(result.days.every((d) => d.statistic !== null)).toBe(true);
  });
});

describe('waits are told to the host', () => {
  it('tells every wait before a retry, a whole minute after 45009, with its reason', async () => {
    let calls = 0;
    const waits: RetryWait[] = [];
    const fake = makeClient(
      standardHandler({
        [STAT]: (req) => (++calls <= 2 ? { errcode: 45009, errmsg: 'api freq out of limit' } : statisticsAnswer(req.body)),
      }),
      {
        onWait: (wait) => waits.push(wait),
      },
    );
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(waits).toHaveLength(2);
    expect(waits[0]).toMatchObject({ path: STAT, retry: 1, maxRetries: 3, reason: expect.stringContaining('errcode 45009') });
    expect(waits[0]!.delayMs).toBeGreaterThanOrEqual(60_000);
    expect(waits[1]!.retry).toBe(2);
  });

  it('tells every response: path, status, errcode and attempt, without the host reading bodies', async () => {
    let calls = 0;
    const responses: CallResponse[] = [];
    const fake = makeClient(
      standardHandler({
        [STAT]: (req) => (++calls <= 2 ? { errcode: 45009, errmsg: 'api freq out of limit' } : statisticsAnswer(req.body)),
      }),
      { onResponse: (response) => responses.push(response) },
    );
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(responses.map(({ path, status, errcode, attempt }) => [path, status, errcode, attempt])).toEqual([
      ['/cgi-bin/gettoken', 200, 0, 1],
      [STAT, 200, 45009, 1],
      [STAT, 200, 45009, 2],
      [STAT, 200, 0, 3],
    ]);
    expect(responses.every((r) => r.durationMs >= 0)).toBe(true);
    const timedOut: CallResponse[] = [];
    const failing = makeClient(standardHandler({ [STAT]: (_req, raw) => Promise.reject(new TimeoutError(raw.label, raw.timeoutMs)) }), {
      onResponse: (response) => {
        timedOut.push(response);
        throw new Error('a hook that throws changes nothing');
      },
    });
    await expect(failing.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toBeInstanceOf(TimeoutError);
    expect(timedOut.filter((r) => r.path === STAT).map((r) => [r.status, r.errcode, r.attempt])).toEqual([
      [undefined, undefined, 1],
      [undefined, undefined, 2],
      [undefined, undefined, 3],
      [undefined, undefined, 4],
    ]);
  });

  it('says in a timeout message how long all tries took', async () => {
    const fake = makeClient(standardHandler({ [STAT]: (_req, raw) => Promise.reject(new TimeoutError(raw.label, raw.timeoutMs)) }), {
      timeoutMs: 1000,
    });
    const error = (await fake.client.getStatistics({ endpoint: 'component', last: 1 }).catch((e: unknown) => e)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.attempts).toBe(4);
    // The fake clock moves only by the backoffs: 500, 1000 and 2000 ms, jittered to 75 %.
    expect(error.elapsedMs).toBe(2625);
    expect(error.message).toBe(`Request to ${STAT} timed out after 1000 ms on each of 4 tries (3 s in all).`);
  });
});

describe('redaction follows the secrets alive', () => {
  it('forgets each token when it is renewed', async () => {
    let n = 0;
    const fake = makeClient(
      standardHandler({ '/cgi-bin/gettoken': () => ({ ...OK, access_token: `rotating-token-${++n}-abcdef`, expires_in: 7200 }) }),
    );
    await fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    const before = registeredSecretCount();
    for (let i = 0; i < 200; i += 1) {
      // Past the renewal point (5 minutes before expiry), before the expiry itself.
      fake.clock.advance(7000_000);
      await fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    }
    expect(n).toBe(201);
    expect(registeredSecretCount()).toBe(before);
  });

  it('forgets a token once it has expired, even when no new one comes', async () => {
    let refuse = false;
    const fake = makeClient(
      standardHandler({
        '/cgi-bin/gettoken': () =>
          refuse ? { errcode: 40001, errmsg: 'invalid credential' } : { ...OK, access_token: 'expiring-token-abcdef', expires_in: 7200 },
      }),
    );
    const before = registeredSecretCount();
    await fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    expect(registeredSecretCount()).toBe(before + 1);
    fake.clock.advance(3 * 3600_000);
    refuse = true;
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false })).rejects.toThrow(/40001/);
    expect(registeredSecretCount()).toBe(before);
  });

  it('forgets a token WeCom rejected', async () => {
    let n = 0;
    let rejectNext = true;
    const fake = makeClient(
      standardHandler({
        '/cgi-bin/gettoken': () => ({ ...OK, access_token: `rejected-token-${++n}-abcdef`, expires_in: 7200 }),
        [STAT]: (req) => (rejectNext ? ((rejectNext = false), { errcode: 42001, errmsg: 'expired' }) : statisticsAnswer(req.body)),
      }),
    );
    const before = registeredSecretCount();
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(n).toBe(2);
    expect(registeredSecretCount()).toBe(before + 1);
  });
});

describe('a broken store or getter is named, not a bare Error', () => {
  it('names the day cache that threw', async () => {
    const cache = { get: () => Promise.reject(new Error('disk full')), set: () => undefined };
    const fake = makeClient(standardHandler(), { cache });
    const error = await fake.client.getStatistics({ endpoint: 'component', last: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('options.cache.get');
    expect((error as Error).message).toMatch(
      /^Invalid options\.cache\.get: a function \(it threw: disk full\)\. Allowed: a store whose get and set/,
    );
  });

  it('names the day cache whose set threw, and keeps nothing from going missing silently', async () => {
    const memory = createMemoryDayCache();
    const cache = {
      get: memory.get,
      set: () => {
        throw new Error('read-only');
      },
    };
    const fake = makeClient(standardHandler(), { cache, concurrency: 1 });
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 62 })).rejects.toThrow(
      /Invalid options\.cache\.set: a function \(it threw: read-only\)/,
    );
    expect(fake.count(STAT)).toBe(1);
  });

  it('names the token store that threw', async () => {
    const store = {
      ...createMemoryTokenStore(),
      get: () => {
        throw new Error('connection refused');
      },
    };
    const fake = makeClient(standardHandler(), { tokenStore: store });
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(
      /^Invalid options\.tokenStore\.get: a function \(it threw: connection refused\)\. Allowed: a token store whose get, set and delete/,
    );
  });

  it('names the suite ticket getter that threw, without the ticket', async () => {
    const fake = makeClient(
      standardHandler({ '/cgi-bin/service/get_suite_token': () => ({ suite_access_token: 'suite-token-abcdef', expires_in: 7200 }) }),
      {
        auth: {
          type: 'serviceProvider',
          suiteId: 'wwsuite',
          suiteSecret: 'suite-secret-abcdef',
          suiteTicket: () => {
            throw new Error('ticket store offline');
          },
          authCorpId: 'wwcorp',
          permanentCode: 'permanent-code-abcdef',
        },
      },
    );
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(
      /^Invalid options\.auth\.suiteTicket: \[redacted\] \(it threw: ticket store offline\)\. Allowed: a function returning the newest suite_ticket/,
    );
  });

  it('names a token getter that returned nothing', async () => {
    const fake = makeClient(standardHandler(), { auth: { type: 'token', accessToken: async () => undefined as unknown as string } });
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(
      /^Invalid options\.auth\.accessToken: \[redacted\] \(it returned missing\)\. Allowed: a function returning the current access_token/,
    );
  });
});
