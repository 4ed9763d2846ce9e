/**
 * The rules hosts used to keep for themselves now live in core: errors as data, one shaping order,
 * summary notes as data, the servicer id, the default sleep, the defaults and limits.
 */
import { describe, expect, it } from 'vitest';
import {
  createKfStatsClient,
  DEFAULTS,
  LIMITS,
  servicerIdOf,
  shapeDays,
  summarizeDays,
  TimeoutError,
  TransportError,
  validateBaseUrl,
  ValidationError,
  WecomApiError,
  type StatisticsDay,
} from '../src/index.js';
import { fakeTransport, standardHandler, statisticsAnswer } from './support/fake-wecom.js';

const day = (date: string, statistic: Record<string, number | null> | null): StatisticsDay => ({ date, stat_time: 0, statistic });

describe('validation errors carry their parts as data', () => {
  const error = new ValidationError('from', '2026-02-30', 'YYYY-MM-DD', 'no such calendar date');

  it('exposes field, value, allowed and detail', () => {
    expect(error).toMatchObject({ field: 'from', value: '2026-02-30', allowed: 'YYYY-MM-DD', detail: 'no such calendar date' });
  });

  it("formats the message under a host's name for the field", () => {
    expect(error.format('--from')).toBe('Invalid --from: "2026-02-30" (no such calendar date). Allowed: YYYY-MM-DD.');
  });

  it('relabels into a new error about the host field, keeping the value hidden when it is a secret', () => {
    const relabelled = error.relabel('msg.from');
    expect(relabelled).toBeInstanceOf(ValidationError);
    expect(relabelled.message).toBe('Invalid msg.from: "2026-02-30" (no such calendar date). Allowed: YYYY-MM-DD.');
    expect(relabelled.field).toBe('msg.from');
    const secret = new ValidationError('options.auth.corpSecret', 'CANARY-secret-123456', 'the app secret');
    expect(secret.relabel('WECOM_CORP_SECRET').message).toBe('Invalid WECOM_CORP_SECRET: [redacted]. Allowed: the app secret.');
  });
});

describe('error kinds', () => {
  it('makes a timeout a kind of transport error, with its own code', () => {
    const timeout = new TimeoutError('/cgi-bin/kf/get_statistic', 1000);
    expect(timeout).toBeInstanceOf(TransportError);
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.path).toBe('/cgi-bin/kf/get_statistic');
  });

  it.each([
    [40001, 'credentials'],
    [45009, 'rate_limit'],
    [-1, 'transient'],
    [42001, 'token'],
    [48002, 'permission'],
    [60020, 'ip_not_trusted'],
    [95004, 'account'],
    [48004, 'authorization'],
    [12345, 'unknown'],
  ])('puts errcode %i in the %s category', (errcode, category) => {
    expect(new WecomApiError('/cgi-bin/kf/get_statistic', errcode, 'x').category).toBe(category);
  });
});

describe('one shaping order for every host', () => {
  const days = [day('2026-11-01', { session_cnt: 4, customer_cnt: 3, ai_transfer_rate: 0.5 }), day('2026-11-02', null)];

  it('fills days without data before picking, so a picked day and a filled day have the same fields', () => {
    const shaped = shapeDays('corp', days, { metrics: ['session_cnt', 'ai_transfer_rate'], fillPolicy: 'zero' });
    expect(shaped.map((d) => d.statistic)).toEqual([
      { session_cnt: 4, ai_transfer_rate: 0.5 },
      { session_cnt: 0, ai_transfer_rate: null },
    ]);
  });

  it('keeps every field, and days without data, by default', () => {
    const withNew = [day('2026-11-01', { session_cnt: 4, brand_new_cnt: 2 }), day('2026-11-02', null)];
    expect(shapeDays('corp', withNew)).toEqual(withNew);
  });

  it('omits days without data on request', () => {
    expect(shapeDays('corp', days, { fillPolicy: 'omit' }).map((d) => d.date)).toEqual(['2026-11-01']);
  });
});

describe('summaries', () => {
  it('summarize only the picked metrics, with their notes as data', () => {
    const summary = summarizeDays('servicer', [day('2026-11-01', { session_cnt: 0, reply_rate: 1 })], { metrics: ['reply_rate'] });
    expect(Object.keys(summary.metrics)).toEqual(['reply_rate']);
    expect(summary.notes).toEqual([{ metric: 'reply_rate', kind: 'unweighted', message: expect.stringContaining('plain mean of 1 days') }]);
  });
});

describe('servicers', () => {
  it('are asked for by userid, or by the open_userid a third-party app sees', () => {
    expect(servicerIdOf({ userid: 'zhangsan', open_userid: 'wo123' })).toBe('zhangsan');
    expect(servicerIdOf({ open_userid: 'wo123' })).toBe('wo123');
    expect(servicerIdOf({})).toBeUndefined();
  });
});

describe('defaults and limits', () => {
  it('are the ones the client applies', () => {
    expect(DEFAULTS).toMatchObject({
      baseUrl: 'https://qyapi.weixin.qq.com',
      concurrency: 3,
      timeoutMs: 15_000,
      windowPolicy: 'clamp',
      endpoint: 'corp',
    });
    expect(LIMITS).toMatchObject({ windowDays: 180, maxDaysPerCall: 31, maxAccounts: 5000, accountPageSize: 100 });
    expect(() =>
      createKfStatsClient({
        auth: { type: 'token', accessToken: 'tok-abcdef' },
        transport: async () => ({ status: 200, body: '{}' }),
        concurrency: LIMITS.concurrency.max + 1,
      }),
    ).toThrow(`Invalid options.concurrency: ${LIMITS.concurrency.max + 1}. Allowed: concurrency: a whole number from 1 to 32.`);
  });

  it('checks a base URL as the client does', () => {
    expect(validateBaseUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(() => validateBaseUrl('qyapi.weixin.qq.com', 'apiBaseUrl')).toThrow(
      'Invalid apiBaseUrl: "qyapi.weixin.qq.com". Allowed: an http(s) URL such as https://qyapi.weixin.qq.com.',
    );
  });
});

describe('the default sleep', () => {
  it('waits with timers when no sleep is given, so hosts need not write one', async () => {
    let calls = 0;
    const fake = fakeTransport(
      standardHandler({
        '/cgi-bin/kf/get_statistic': (req) => (++calls === 1 ? { errcode: -1, errmsg: 'busy' } : statisticsAnswer(req.body)),
      }),
    );
    const client = createKfStatsClient({
      auth: { type: 'selfBuilt', corpId: 'wwsleep', corpSecret: 'sleep-secret-abcdef' },
      transport: fake.transport,
      baseUrl: 'https://wecom.test',
      retry: { baseDelayMs: 20 },
    });
    const started = Date.now();
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9);
    expect(fake.count('/cgi-bin/kf/get_statistic')).toBe(2);
  });
});
