import { describe, expect, it } from 'vitest';
import { AbortedError, IncompleteFetchError, ResponseFormatError, WecomApiError, createMemoryTokenStore } from '../src/internal.js';
import { OK, makeClient, standardHandler, statisticsAnswer } from './support/fake-wecom.js';

const STAT = '/cgi-bin/kf/get_statistic';
const CORP = '/cgi-bin/kf/get_corp_statistic';

describe('statistics results', () => {
  it('returns every requested day once, in order, with China date and stat_time', async () => {
    const { client } = makeClient(standardHandler());
    const result = await client.getStatistics({ endpoint: 'component', from: '2026-10-30', to: '2026-11-02' });
    expect(result.days.map((d) => [d.date, d.stat_time])).toEqual([
      ['2026-10-30', 1793289600],
      ['2026-10-31', 1793376000],
      ['2026-11-01', 1793462400],
      ['2026-11-02', 1793548800],
    ]);
  });

  it('keeps absent metrics as null, never 0, and a day without statistic as null', async () => {
    const { client } = makeClient(
      standardHandler({
        [STAT]: (req) => statisticsAnswer(req.body, (t) => (t === 1793376000 ? undefined : { session_cnt: 3, servicer_session_cnt: 0 })),
      }),
    );
    const result = await client.getStatistics({ endpoint: 'component', from: '2026-10-30', to: '2026-10-31' });
    expect(result.days[0]!.statistic).toMatchObject({
      session_cnt: 3,
      servicer_session_cnt: 0,
      reply_rate: null,
      first_reply_average_sec: null,
    });
    expect(result.days[1]!.statistic).toBeNull();
  });

  it('keeps unknown fields as WeCom sent them', async () => {
    const { client } = makeClient(
      standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => ({ session_cnt: 1, brand_new_cnt: 7, note: 'x' })) }),
    );
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days[0]!.statistic).toMatchObject({ brand_new_cnt: 7, note: 'x' });
  });

  it('marks a day WeCom left out of the list as a day without data', async () => {
    const { client } = makeClient(standardHandler({ [STAT]: () => ({ ...OK, statistic_list: [] }) }));
    const result = await client.getStatistics({ endpoint: 'component', last: 2 });
    expect(result.days.map((d) => d.statistic)).toEqual([null, null]);
  });

  it('flags a rate above 1 without changing it', async () => {
    const { client } = makeClient(standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => ({ reply_rate: 87 })) }));
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days[0]!.statistic!.reply_rate).toBe(87);
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'RATE_ABOVE_ONE', days: ['2026-11-23'] })]);
  });

  it('warns that yesterday is not ready before 06:00 China time and does not cache it', async () => {
    const { client, clock, count } = makeClient(standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => undefined) }));
    clock.advance(-5 * 3600_000); // 05:00 China time
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'DAY_NOT_READY', days: ['2026-11-23'] })]);
    await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(count(STAT)).toBe(2);
  });

  it('names the field of a statistic that is not a number', async () => {
    const { client } = makeClient(standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => ({ reply_rate: '0.5' })) }));
    await expect(client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(
      /field statistic_list\[0\]\.statistic\.reply_rate is "0\.5"; expected a number or absent/,
    );
  });

  it('sends open_kfid and servicer_userid only to the endpoints that take them', async () => {
    const fake = makeClient(standardHandler());
    await fake.client.getStatistics({ endpoint: 'servicer', openKfid: 'wk1', servicerUserid: 'zhangsan', last: 1 });
    await fake.client.getStatistics({ endpoint: 'corp', openKfid: 'wk1', last: 1 });
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(fake.requests.filter((r) => r.path.startsWith('/cgi-bin/kf/')).map((r) => [r.path, r.body])).toEqual([
      [
        '/cgi-bin/kf/get_servicer_statistic',
        { start_time: 1795363200, end_time: 1795363200, open_kfid: 'wk1', servicer_userid: 'zhangsan' },
      ],
      [CORP, { start_time: 1795363200, end_time: 1795363200, open_kfid: 'wk1' }],
      [STAT, { start_time: 1795363200, end_time: 1795363200 }],
    ]);
  });
});

describe('retries', () => {
  it.each([-1, 45009, 45033])('retries errcode %i with growing backoff, then succeeds', async (errcode) => {
    let failures = 2;
    const { client, clock, count } = makeClient(
      standardHandler({ [STAT]: (req) => (failures-- > 0 ? { errcode, errmsg: 'busy' } : statisticsAnswer(req.body)) }),
      { retry: { baseDelayMs: 100, rateLimitDelayMs: 60_000 } },
    );
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days).toHaveLength(1);
    expect(count(STAT)).toBe(3);
    // random() = 0.5 → 75 % of the nominal delay.
    expect(clock.sleeps).toEqual(errcode === 45009 ? [60_075, 60_150] : [75, 150]);
  });

  it('gives up after three retries of -1 with the hint', async () => {
    const { client, count } = makeClient(standardHandler({ [STAT]: () => ({ errcode: -1, errmsg: 'system busy' }) }));
    const error = await client.getStatistics({ endpoint: 'component', last: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WecomApiError);
    expect((error as WecomApiError).message).toMatch(/errcode -1 \(system busy\)\. WeCom is busy; retry later\. \/ 系统繁忙/);
    expect(count(STAT)).toBe(4);
  });

  it.each([48002, 60020, 95004, 40001])('fails at once on errcode %i', async (errcode) => {
    const { client, count } = makeClient(standardHandler({ [CORP]: () => ({ errcode, errmsg: 'no' }) }));
    await expect(client.getStatistics({ endpoint: 'corp', openKfid: 'wk1', last: 20 })).rejects.toMatchObject({ errcode });
    expect(count(CORP)).toBe(1);
  });

  it('retries HTTP 502 but not a malformed body', async () => {
    let calls = 0;
    const { client, count } = makeClient(
      standardHandler({ [STAT]: (req) => (++calls === 1 ? { status: 502, raw: '<html>' } : statisticsAnswer(req.body)) }),
    );
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days[0]!.statistic).toMatchObject({ session_cnt: 1 });
    expect(count(STAT)).toBe(2);
    const bad = makeClient(standardHandler({ [STAT]: () => ({ raw: '{"errcode":0,"statistic_list":[' }) }));
    await expect(bad.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(ResponseFormatError);
    expect(bad.count(STAT)).toBe(1);
  });

  it('halves the concurrency after 45033', async () => {
    let inFlight = 0;
    let started = 0;
    let peakAfterFirstWave = 0;
    const { client } = makeClient(
      standardHandler({
        [STAT]: async (req) => {
          started += 1;
          const index = started;
          inFlight += 1;
          // Request 5 is the retry, overlapping the first wave; 6 and 7 start only in freed slots.
          if (index > 5) peakAfterFirstWave = Math.max(peakAfterFirstWave, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight -= 1;
          return index === 1 ? { errcode: 45033, errmsg: 'too many' } : statisticsAnswer(req.body);
        },
      }),
      { concurrency: 4 },
    );
    const result = await client.getStatistics({ endpoint: 'component', last: 180 });
    expect(result.days).toHaveLength(180);
    expect(started).toBe(7);
    expect(peakAfterFirstWave).toBeLessThanOrEqual(2);
  });
});

describe('tokens', () => {
  it('fetches one token for a whole 180-day range', async () => {
    const { client, count } = makeClient(standardHandler());
    await client.getStatistics({ endpoint: 'component', last: 180 });
    expect(count('/cgi-bin/gettoken')).toBe(1);
    expect(count(STAT)).toBe(6);
  });

  it.each([40014, 42001])('renews the token once on %i and retries', async (errcode) => {
    let first = true;
    const fake = makeClient(
      standardHandler({
        [STAT]: (req) => {
          if (first) {
            first = false;
            return { errcode, errmsg: 'invalid' };
          }
          return statisticsAnswer(req.body);
        },
      }),
    );
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(fake.count('/cgi-bin/gettoken')).toBe(2);
    expect(fake.requests.filter((r) => r.path === STAT).map((r) => r.query.access_token)).toEqual(['tok-1', 'tok-2']);
  });

  it('does not loop when the renewed token is rejected too', async () => {
    const fake = makeClient(standardHandler({ [STAT]: () => ({ errcode: 40014, errmsg: 'invalid' }) }));
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toMatchObject({ errcode: 40014 });
    expect(fake.count(STAT)).toBe(2);
  });

  it('cannot renew a fixed token and says what is wrong', async () => {
    const fake = makeClient(standardHandler({ [STAT]: () => ({ errcode: 42001, errmsg: 'expired' }) }), {
      auth: { type: 'token', accessToken: 'fixed-token-value' },
    });
    await expect(fake.client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(/42001.*expired; a new one is needed/);
    expect(fake.count(STAT)).toBe(1);
  });

  it('renews a token early, before expires_in runs out', async () => {
    const fake = makeClient(standardHandler());
    await fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    fake.clock.advance(7200_000 - 299_000);
    await fake.client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
    expect(fake.count('/cgi-bin/gettoken')).toBe(2);
  });

  it('shares one refresh among concurrent callers and clients on one store', async () => {
    const tokenStore = createMemoryTokenStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler = standardHandler({
      '/cgi-bin/gettoken': async () => {
        await gate;
        return { ...OK, access_token: 'shared-token', expires_in: 7200 };
      },
    });
    const a = makeClient(handler, { tokenStore });
    const b = makeClient(handler, { tokenStore });
    const runs = [a.client.checkAuth(), a.client.checkAuth(), b.client.checkAuth()];
    release();
    await Promise.all(runs);
    expect(a.count('/cgi-bin/gettoken') + b.count('/cgi-bin/gettoken')).toBe(1);
  });

  it('tells the token store when a refresh it was asked for failed, so a shared store can release its reservation', async () => {
    const memory = createMemoryTokenStore();
    const released: string[] = [];
    const tokenStore = { ...memory, release: (key: string) => void released.push(key) };
    const fake = makeClient(standardHandler({ '/cgi-bin/gettoken': () => ({ errcode: 40001, errmsg: 'invalid credential' }) }), {
      tokenStore,
    });
    await expect(fake.client.checkAuth()).rejects.toBeInstanceOf(WecomApiError);
    expect(released).toHaveLength(1);
    expect(released[0]).toMatch(/^selfBuilt:/);
  });

  it('runs the service-provider flow and renews the suite token on 42009', async () => {
    let suite = 0;
    let rejectOnce = true;
    const fake = makeClient(
      standardHandler({
        '/cgi-bin/service/get_suite_token': () => ({ suite_access_token: `suite-${++suite}`, expires_in: 7200 }),
        '/cgi-bin/service/get_corp_token': (req) => {
          if (rejectOnce) {
            rejectOnce = false;
            return { errcode: 42009, errmsg: 'suite token expired' };
          }
          return { access_token: `corp-via-${req.query.suite_access_token}`, expires_in: 7200 };
        },
      }),
      {
        auth: {
          type: 'serviceProvider',
          suiteId: 'wwsuite',
          suiteSecret: 'suite-secret-value',
          suiteTicket: async () => 'ticket-value-1',
          authCorpId: 'wwauth',
          permanentCode: 'permanent-code-value',
        },
      },
    );
    await fake.client.getStatistics({ endpoint: 'component', last: 1 });
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/cgi-bin/service/get_suite_token',
      '/cgi-bin/service/get_corp_token',
      '/cgi-bin/service/get_suite_token',
      '/cgi-bin/service/get_corp_token',
      STAT,
    ]);
    expect(fake.requests[0]!.body).toEqual({ suite_id: 'wwsuite', suite_secret: 'suite-secret-value', suite_ticket: 'ticket-value-1' });
    expect(fake.requests.at(-1)!.query.access_token).toBe('corp-via-suite-2');
  });
});

describe('partial failures and cancellation', () => {
  it('keeps every day fetched before a chunk failed and names the missing days', async () => {
    let calls = 0;
    const { client } = makeClient(
      standardHandler({ [STAT]: (req) => (++calls === 2 ? { errcode: 48002, errmsg: 'api forbidden' } : statisticsAnswer(req.body)) }),
      { concurrency: 1 },
    );
    const error = (await client.getStatistics({ endpoint: 'component', last: 62 }).catch((e: unknown) => e)) as IncompleteFetchError;
    expect(error).toBeInstanceOf(IncompleteFetchError);
    expect(error.partial.days).toHaveLength(31);
    expect(error.missingDays).toHaveLength(31);
    expect(error.message).toMatch(
      /^Fetched 31 of 62 days; missing 2026-10-24\.\.2026-11-23\. Cause: WeCom \/cgi-bin\/kf\/get_statistic answered errcode 48002/,
    );
    expect(error.cause).toBeInstanceOf(WecomApiError);
  });

  it('stops at once when the signal aborts', async () => {
    const controller = new AbortController();
    const { client, count } = makeClient(
      standardHandler({
        [STAT]: (req) => {
          controller.abort();
          return statisticsAnswer(req.body);
        },
      }),
      { concurrency: 1 },
    );
    const error = await client.getStatistics({ endpoint: 'component', last: 180, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteFetchError);
    expect((error as IncompleteFetchError).cause).toBeInstanceOf(AbortedError);
    expect(count(STAT)).toBe(1);
  });

  it('reports progress chunk by chunk', async () => {
    const { client } = makeClient(standardHandler(), { concurrency: 1 });
    const seen: string[] = [];
    await client.getStatistics({
      endpoint: 'component',
      last: 70,
      onProgress: (p) => seen.push(`${p.completedChunks}/${p.totalChunks}:${p.completedDays}`),
    });
    expect(seen).toEqual(['0/3:0', '1/3:31', '2/3:62', '3/3:70']);
  });
});

describe('the day cache', () => {
  it('answers a repeated query with no calls', async () => {
    const fake = makeClient(standardHandler());
    const first = await fake.client.getStatistics({ endpoint: 'component', last: 180 });
    const before = fake.requests.length;
    const second = await fake.client.getStatistics({ endpoint: 'component', last: 180 });
    expect(fake.requests.length).toBe(before);
    expect(second.days).toEqual(first.days);
    expect(second.stats).toEqual({ chunks: 0, cachedDays: 180, fetchedDays: 0, sharedDays: 0 });
  });

  it('fetches only the missing days of an overlapping query, in the fewest chunks', async () => {
    const fake = makeClient(standardHandler());
    await fake.client.getStatistics({ endpoint: 'component', from: '2026-10-01', to: '2026-10-20' });
    fake.requests.length = 0;
    const result = await fake.client.getStatistics({ endpoint: 'component', from: '2026-09-25', to: '2026-10-25' });
    expect(fake.requests.filter((r) => r.path === STAT).map((r) => r.body)).toEqual([{ start_time: 1790265600, end_time: 1792857600 }]);
    expect(result.days).toHaveLength(31);
    const wide = await fake.client.getStatistics({ endpoint: 'component', from: '2026-07-01', to: '2026-10-25' });
    expect(wide.stats).toMatchObject({ cachedDays: 31, chunks: 3 });
  });

  it('keeps separate entries per account', async () => {
    const fake = makeClient(standardHandler());
    await fake.client.getStatistics({ endpoint: 'corp', openKfid: 'wk1', last: 3 });
    const other = await fake.client.getStatistics({ endpoint: 'corp', openKfid: 'wk2', last: 3 });
    expect(other.stats.cachedDays).toBe(0);
  });

  it('can be turned off', async () => {
    const fake = makeClient(standardHandler(), { cache: false });
    await fake.client.getStatistics({ endpoint: 'component', last: 3 });
    await fake.client.getStatistics({ endpoint: 'component', last: 3 });
    expect(fake.count(STAT)).toBe(2);
  });
});

describe('account and servicer lists', () => {
  it('reads every page of the account list until a short page', async () => {
    const fake = makeClient(
      standardHandler({
        '/cgi-bin/kf/account/list': (req) => {
          const { offset } = req.body as { offset: number };
          const size = offset < 200 ? 100 : 17;
          return {
            ...OK,
            account_list: Array.from({ length: size }, (_, i) => ({ open_kfid: `wk${offset + i}`, name: `客服${offset + i}` })),
          };
        },
      }),
    );
    const accounts = await fake.client.listAccounts();
    expect(accounts).toHaveLength(217);
    expect(fake.requests.filter((r) => r.path === '/cgi-bin/kf/account/list').map((r) => r.body)).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
      { offset: 200, limit: 100 },
    ]);
  });

  it('lists the servicers of an account', async () => {
    const fake = makeClient(
      standardHandler({
        '/cgi-bin/kf/servicer/list': (req) => ({ ...OK, servicer_list: [{ userid: `u-${req.query.open_kfid}`, status: 0 }] }),
      }),
    );
    expect(await fake.client.listServicers('wk9')).toEqual([{ userid: 'u-wk9', status: 0 }]);
  });
});
