/**
 * Data as WeCom sends it: odd values are flagged and passed on, never silently changed; one
 * malformed day costs only that day.
 */
import { describe, expect, it } from 'vitest';
import { IncompleteFetchError, parseStatisticsBody, ResponseFormatError } from '../src/internal.js';
import { OK, makeClient, standardHandler, statisticsAnswer } from './support/fake-wecom.js';

const STAT = '/cgi-bin/kf/get_statistic';
/** 2026-11-20 00:00 China time. */
const NOV_20 = 1795104000;

describe('odd values are flagged, never silently changed', () => {
  it('flags a negative count and passes it on', async () => {
    const { client } = makeClient(standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => ({ session_cnt: -3 })) }));
    const result = await client.getStatistics({ endpoint: 'component', last: 2 });
    expect(result.days.map((d) => d.statistic!.session_cnt)).toEqual([-3, -3]);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'NEGATIVE_VALUE',
        field: 'session_cnt',
        days: ['2026-11-22', '2026-11-23'],
        message: expect.stringContaining('session_cnt is negative on 2026-11-22, 2026-11-23'),
      }),
    ]);
  });

  it('flags a negative rate and passes it on', async () => {
    const { client } = makeClient(standardHandler({ [STAT]: (req) => statisticsAnswer(req.body, () => ({ reply_rate: -0.2 })) }));
    const result = await client.getStatistics({ endpoint: 'component', last: 1 });
    expect(result.days[0]!.statistic!.reply_rate).toBe(-0.2);
    expect(result.warnings.map((w) => [w.code, w.field])).toEqual([['NEGATIVE_VALUE', 'reply_rate']]);
  });

  it('flags a number that parses to Infinity as too large, instead of calling it null', async () => {
    const body = `{"errcode":0,"errmsg":"ok","statistic_list":[{"stat_time":${NOV_20},"statistic":{"session_cnt":1e999,"customer_cnt":4}}]}`;
    const { client } = makeClient(standardHandler({ [STAT]: () => ({ raw: body }) }));
    const result = await client.getStatistics({ endpoint: 'component', from: '2026-11-20', to: '2026-11-20' });
    expect(result.days[0]!.statistic).toMatchObject({ session_cnt: null, customer_cnt: 4 });
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'NOT_FINITE',
        field: 'session_cnt',
        days: ['2026-11-20'],
        message: expect.stringMatching(/too large to represent \(it parses to Infinity\)/),
      }),
    ]);
  });

  it('keeps the first of two entries for one day and flags the repeat', async () => {
    const answer = {
      ...OK,
      statistic_list: [
        { stat_time: NOV_20, statistic: { session_cnt: 5 } },
        { stat_time: NOV_20, statistic: { session_cnt: 9 } },
      ],
    };
    const { client } = makeClient(standardHandler({ [STAT]: () => answer }));
    const result = await client.getStatistics({ endpoint: 'component', from: '2026-11-20', to: '2026-11-20' });
    expect(result.days).toHaveLength(1);
    expect(result.days[0]!.statistic!.session_cnt).toBe(5);
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'DUPLICATE_DAY', days: ['2026-11-20'] })]);
  });

  it('leaves out a day that was not asked for and flags it', async () => {
    const answer = {
      ...OK,
      statistic_list: [
        { stat_time: NOV_20, statistic: { session_cnt: 5 } },
        { stat_time: NOV_20 - 30 * 86400, statistic: { session_cnt: 9 } },
      ],
    };
    const { client } = makeClient(standardHandler({ [STAT]: () => answer }));
    const result = await client.getStatistics({ endpoint: 'component', from: '2026-11-20', to: '2026-11-20' });
    expect(result.days.map((d) => d.date)).toEqual(['2026-11-20']);
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED_DAY', days: ['2026-10-21'], message: expect.stringContaining('not asked for') }),
    ]);
  });
});

describe('one malformed day costs only that day', () => {
  it('returns the other days of the same answer and names the failing day and field', async () => {
    const { client } = makeClient(
      standardHandler({
        [STAT]: (req) => statisticsAnswer(req.body, (t) => (t === NOV_20 ? { session_cnt: 'many' } : { session_cnt: 2 })),
      }),
    );
    const error = await client.getStatistics({ endpoint: 'component', from: '2026-11-18', to: '2026-11-22' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteFetchError);
    const incomplete = error as IncompleteFetchError;
    expect(incomplete.partial.days.map((d) => d.date)).toEqual(['2026-11-18', '2026-11-19', '2026-11-21', '2026-11-22']);
    expect(incomplete.missingDays).toEqual(['2026-11-20']);
    expect(incomplete.failures).toEqual([{ days: ['2026-11-20'], error: expect.any(ResponseFormatError) }]);
    expect(incomplete.message).toMatch(/missing 2026-11-20\. Cause: .*field statistic_list\[2\]\.statistic\.session_cnt is "many"/);
  });

  it('decodes a saved body day by day', () => {
    const body = JSON.stringify({
      ...OK,
      statistic_list: [
        { stat_time: NOV_20, statistic: { session_cnt: 'x' } },
        { stat_time: NOV_20 + 86400, statistic: { session_cnt: 1 } },
      ],
    });
    const decoded = parseStatisticsBody('component', { from: '2026-11-20', to: '2026-11-21' }, body);
    expect(decoded.days.map((d) => d.date)).toEqual(['2026-11-21']);
    expect(decoded.failures.map((f) => f.days)).toEqual([['2026-11-20']]);
  });
});
