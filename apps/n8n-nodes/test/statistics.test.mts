/**
 * The node's execute() inside n8n's execution engine, against the simulator over real HTTP.
 */
import { METRICS, metricKeysFor, summarizeDays, type StatisticsDay } from '@wecom-kf-stats/core/internal';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import type { IDataObject } from 'n8n-workflow';
import { beforeAll, describe, expect, test } from 'vitest';
import { runWorkflow, singleNodeWorkflow } from './n8n-harness.mjs';
import { chinaDaysAgo, corpParameters, PRESALES, simulatorCredentials } from './fixtures.mjs';

const kf = useSimulator({ quietDayShare: 0.25 });
beforeAll(async () => {});

const SELF_BUILT = 'wecomKfSelfBuiltApi';
const run = (parameters: IDataObject, credentialType = SELF_BUILT, input?: { json: IDataObject }[]) =>
  runWorkflow(singleNodeWorkflow(parameters, credentialType), { credentials: simulatorCredentials(kf.sim), ...(input ? { input } : {}) });

function expectedDays(
  query: { endpoint: 'component' | 'corp' | 'servicer'; corpId: string; openKfid?: string; servicerUserid?: string },
  dates: string[],
): StatisticsDay[] {
  return dates.map((date) => {
    const statistic = kf.sim.expectedStatistic({ ...query, date }) ?? null;
    return { date, stat_time: 0, statistic } as StatisticsDay;
  });
}

describe('statistics, one item per day', () => {
  test('corp statistics for the last 5 days: one flat item per day with WeCom values, paired with the input item', async () => {
    const result = await run(corpParameters({ range: 'lastDays', lastDays: 5 }));
    const items = result.output('KF');
    const dates = [5, 4, 3, 2, 1].map((n) => chinaDaysAgo(n));
    expect(items.map((i) => i.json.date)).toEqual(dates);
    for (const item of items) {
      expect(item.pairedItem).toEqual({ item: 0 });
      expect(Object.keys(item.json).slice(0, 3)).toEqual(['date', 'stat_time', 'has_data']);
      const expected = kf.sim.expectedStatistic({
        endpoint: 'corp',
        corpId: kf.sim.fixtures.selfBuilt.corpId,
        openKfid: PRESALES,
        date: item.json.date as string,
      });
      expect(item.json.has_data).toBe(expected !== undefined);
      for (const key of metricKeysFor('corp')) expect(item.json[key]).toBe(expected?.[key] ?? null);
      expect(item.json.open_kfid).toBe(PRESALES);
    }
  });

  test('component statistics need the service provider credential and read kf/get_statistic', async () => {
    const result = await run(
      {
        authentication: 'serviceProvider',
        resource: 'statistics',
        operation: 'getComponentStatistics',
        range: 'dates',
        fromDate: chinaDaysAgo(3),
        toDate: chinaDaysAgo(2),
      },
      'wecomKfServiceProviderApi',
    );
    const items = result.output('KF');
    expect(items.map((i) => i.json.date)).toEqual([chinaDaysAgo(3), chinaDaysAgo(2)]);
    for (const item of items) {
      const expected = kf.sim.expectedStatistic({
        endpoint: 'component',
        corpId: kf.sim.fixtures.suite.authCorpId,
        date: item.json.date as string,
      });
      expect(item.json.session_cnt).toBe(expected?.session_cnt ?? null);
    }
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(1);
    expect(kf.sim.callCount('/cgi-bin/service/get_corp_token')).toBeLessThanOrEqual(1);
  });

  test('servicer statistics per input item: the servicer comes from an expression and items stay paired', async () => {
    const [first, second] = kf.sim.fixtures.servicers[PRESALES]!;
    const result = await run(
      {
        ...corpParameters(),
        operation: 'getServicerStatistics',
        servicerUserid: '={{ $json.servicer }}',
        range: 'dates',
        fromDate: chinaDaysAgo(2),
        toDate: chinaDaysAgo(2),
      },
      SELF_BUILT,
      [{ json: { servicer: first } }, { json: { servicer: second } }],
    );
    const items = result.output('KF');
    expect(items.map((i) => [i.json.servicer_userid, i.pairedItem])).toEqual([
      [first, { item: 0 }],
      [second, { item: 1 }],
    ]);
    for (const item of items) {
      const expected = kf.sim.expectedStatistic({
        endpoint: 'servicer',
        corpId: kf.sim.fixtures.selfBuilt.corpId,
        openKfid: PRESALES,
        servicerUserid: item.json.servicer_userid as string,
        date: chinaDaysAgo(2),
      });
      expect(item.json.customer_cnt).toBe(expected?.customer_cnt ?? null);
    }
  });

  test('picked metrics only, under their Chinese labels', async () => {
    const result = await run(
      corpParameters({
        range: 'dates',
        fromDate: chinaDaysAgo(4),
        toDate: chinaDaysAgo(4),
        metrics: ['ai_transfer_rate', 'session_cnt'],
        options: { fieldNames: 'zh', includeWarnings: false },
      }),
    );
    const [item] = result.output('KF');
    expect(Object.keys(item!.json)).toEqual(['date', 'stat_time', 'has_data', '咨询会话数', '转人工率', 'open_kfid']);
  });

  test('days without data: null by default, counts zeroed (rates still null) or left out on request', async () => {
    const dates = Array.from({ length: 30 }, (_, i) => chinaDaysAgo(30 - i));
    const quiet = dates.filter(
      (date) =>
        kf.sim.expectedStatistic({ endpoint: 'corp', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid: PRESALES, date }) === undefined,
    );
    expect(quiet.length).toBeGreaterThan(0);
    const range = { range: 'lastDays', lastDays: 30 };

    const byNull = (await run(corpParameters(range))).output('KF');
    const nullDay = byNull.find((i) => i.json.date === quiet[0])!;
    expect(nullDay.json).toMatchObject({ has_data: false, session_cnt: null, ai_transfer_rate: null });

    const byZero = (await run(corpParameters({ ...range, options: { fillPolicy: 'zero' } }))).output('KF');
    expect(byZero.find((i) => i.json.date === quiet[0])!.json).toMatchObject({ has_data: false, session_cnt: 0, ai_transfer_rate: null });

    const byOmit = (await run(corpParameters({ ...range, options: { fillPolicy: 'omit' } }))).output('KF');
    expect(byOmit.map((i) => i.json.date)).toEqual(dates.filter((d) => !quiet.includes(d)));
  });

  test('corp items carry only the corp fields: no reply_rate, first reply or satisfaction key at all', async () => {
    const items = (await run(corpParameters({ range: 'lastDays', lastDays: 10, options: { includeWarnings: false } }))).output('KF');
    expect(items).toHaveLength(10);
    for (const item of items) {
      expect(Object.keys(item.json)).toEqual(['date', 'stat_time', 'has_data', ...metricKeysFor('corp'), 'open_kfid']);
      for (const key of ['reply_rate', 'first_reply_average_sec', 'servicer_session_cnt', 'satisfied_rate'])
        expect(item.json).not.toHaveProperty(key);
    }
  });

  test('servicer statistics without a servicer give the account’s human service: reply rate and first reply', async () => {
    const dates = Array.from({ length: 7 }, (_, i) => chinaDaysAgo(7 - i));
    const result = await run({
      ...corpParameters(),
      operation: 'getServicerStatistics',
      servicerUserid: '',
      range: 'lastDays',
      lastDays: 7,
      metrics: ['reply_rate', 'first_reply_average_sec'],
    });
    const items = result.output('KF');
    expect(items.map((i) => i.json.date)).toEqual(dates);
    for (const item of items) {
      const expected = kf.sim.expectedStatistic({
        endpoint: 'servicer',
        corpId: kf.sim.fixtures.selfBuilt.corpId,
        openKfid: PRESALES,
        date: item.json.date as string,
      });
      expect(item.json.reply_rate).toBe(expected?.reply_rate ?? null);
      expect(item.json.first_reply_average_sec).toBe(expected?.first_reply_average_sec ?? null);
    }
    expect(items.some((i) => typeof i.json.reply_rate === 'number')).toBe(true);
    expect(kf.sim.callCount('/cgi-bin/kf/get_servicer_statistic')).toBe(1);
  });

  test('a range reaching past 180 days is clamped and says so in each item and as an execution hint', async () => {
    const result = await run(corpParameters({ range: 'dates', fromDate: chinaDaysAgo(200), toDate: chinaDaysAgo(179), output: 'days' }));
    const items = result.output('KF');
    expect(items[0]!.json.date).toBe(chinaDaysAgo(180));
    expect(items).toHaveLength(2);
    expect(String((items[0]!.json.warnings as string[])[0])).toMatch(/clamped/);
    expect(JSON.stringify(result.run.data.resultData.runData.KF![0]!.hints)).toMatch(/clamped/);
  });

  test('an expired token (errcode 42001 inside an HTTP 200 answer) is renewed and the run succeeds', async () => {
    await run(corpParameters());
    kf.sim.invalidateTokens();
    kf.sim.resetCalls();
    const result = await run(corpParameters({ range: 'dates', fromDate: chinaDaysAgo(6), toDate: chinaDaysAgo(6) }));
    expect(result.output('KF')).toHaveLength(1);
    expect(kf.sim.callCount('/cgi-bin/gettoken')).toBe(1);
  });
});

describe('China days, whatever the host time zone', () => {
  test.each(['Pacific/Kiritimati', 'America/Los_Angeles', 'UTC'])('"yesterday" is the China day before today under TZ=%s', async (tz) => {
    const previous = process.env.TZ;
    process.env.TZ = tz;
    try {
      const result = await run(corpParameters({ range: 'yesterday' }));
      expect(result.output('KF').map((i) => i.json.date)).toEqual([chinaDaysAgo(1)]);
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });
});

describe('statistics, one summary item', () => {
  test('counts summed and rates weighted, as core summarizes the same days', async () => {
    const dates = Array.from({ length: 14 }, (_, i) => chinaDaysAgo(14 - i));
    const result = await run(corpParameters({ range: 'lastDays', lastDays: 14, output: 'summary' }));
    const [item, ...rest] = result.output('KF');
    expect(rest).toHaveLength(0);
    expect(item!.pairedItem).toEqual({ item: 0 });
    const expected = summarizeDays(
      'corp',
      expectedDays({ endpoint: 'corp', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid: PRESALES }, dates),
    );
    expect(item!.json).toMatchObject({ from: dates[0], to: dates.at(-1), day_count: 14, days_with_data: expected.daysWithData });
    for (const metric of METRICS.filter((m) => m.endpoints.includes('corp'))) {
      const value = item!.json[metric.key];
      if (expected.metrics[metric.key] === null) expect(value).toBeNull();
      else expect(value).toBeCloseTo(expected.metrics[metric.key]!, 9);
    }
  });
});

describe('lists', () => {
  test('list KF accounts: one item per account', async () => {
    const result = await run({ authentication: 'selfBuilt', resource: 'account', operation: 'getAll' });
    expect(result.output('KF').map((i) => i.json)).toEqual(kf.sim.fixtures.accounts.map((a) => expect.objectContaining(a)));
  });

  test('list servicers of an account', async () => {
    const result = await run({ authentication: 'selfBuilt', resource: 'servicer', operation: 'getAll', openKfid: PRESALES });
    expect(result.output('KF').map((i) => i.json.userid)).toEqual(kf.sim.fixtures.servicers[PRESALES]);
  });

  test('an access token credential works as is', async () => {
    const token = await fetch(
      `${kf.sim.url}/cgi-bin/gettoken?corpid=${kf.sim.fixtures.selfBuilt.corpId}&corpsecret=${kf.sim.fixtures.selfBuilt.corpSecret}`,
    ).then((r) => r.json() as Promise<{ access_token: string }>);
    const result = await runWorkflow(
      singleNodeWorkflow({ authentication: 'accessToken', resource: 'account', operation: 'getAll' }, 'wecomKfAccessTokenApi'),
      {
        credentials: { wecomKfAccessTokenApi: { accessToken: token.access_token, baseUrl: kf.sim.url } },
      },
    );
    expect(result.output('KF')).toHaveLength(kf.sim.fixtures.accounts.length);
  });
});
