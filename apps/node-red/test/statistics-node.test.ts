import { hintFor, listDays, metricKeysFor } from '@wecom-kf-stats/core/internal';
import { daysAgo, useSimulator } from '@wecom-kf-stats/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, expectDaysMatch, helper, load, selfBuiltConfig } from './runtime.js';

const kf = useSimulator();

beforeAll(async () => {});
afterEach(async () => {
  await helper.unload();
});

function statsFlow(settings: object = {}, config: object = {}) {
  const { node, credentials } = selfBuiltConfig(kf.sim, config);
  const flow = [
    node,
    {
      id: 'stats',
      type: 'wecom-kf-stats',
      config: 'cfg',
      endpoint: 'corp',
      openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
      rangeType: 'last',
      last: '1',
      output: 'all',
      fill: 'null',
      summary: false,
      ...settings,
      wires: [['out']],
    },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    { id: 'watcher', type: 'status', scope: ['stats'], wires: [['statuses']] },
    { id: 'statuses', type: 'helper' },
  ];
  return { flow, credentials };
}

async function start(settings: object = {}, config: object = {}) {
  const { flow, credentials } = statsFlow(settings, config);
  await load(flow, credentials);
  return {
    stats: helper.getNode('stats'),
    out: collect('out'),
    caught: collect('caught'),
    statuses: collect('statuses'),
  };
}

describe('statistics node: msg in, msgs out', () => {
  it('sends one msg with every day from msg.from to msg.to, equal to what WeCom serves', async () => {
    const { stats, out } = await start();
    const account = kf.sim.fixtures.accounts[1]!.open_kfid;
    stats.receive({ topic: 'kf', openKfid: account, from: daysAgo(40), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expect(msg.topic).toBe('kf');
    expect(msg.payload.map((d: { date: string }) => d.date)).toEqual(listDays(daysAgo(40), daysAgo(2)));
    expectDaysMatch(kf.sim, msg.payload, { endpoint: 'corp', corpId: kf.sim.fixtures.selfBuilt.corpId, openKfid: account });
    expect(msg.statistics).toMatchObject({ endpoint: 'corp', openKfid: account, from: daysAgo(40), to: daysAgo(2), stats: { chunks: 2 } });
    expect(msg.warnings).toEqual([]);
    expect(kf.sim.callCount('/cgi-bin/kf/get_corp_statistic')).toBe(2);
  });

  it('takes the range from its own settings: last 1 day is yesterday', async () => {
    const { stats, out } = await start();
    stats.receive({ payload: 'tick' });
    const [msg] = await out.waitFor(1);
    expect(msg.payload).toHaveLength(1);
    expect(msg.payload[0].date).toBe(daysAgo(1));
    expectDaysMatch(kf.sim, msg.payload, {
      endpoint: 'corp',
      corpId: kf.sim.fixtures.selfBuilt.corpId,
      openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
    });
  });

  it('takes a from/to range from its settings, as relative days', async () => {
    const { stats, out } = await start({ rangeType: 'range', from: '10 days ago', to: '3 days ago' });
    stats.receive({});
    const [msg] = await out.waitFor(1);
    expect(msg.payload.map((d: { date: string }) => d.date)).toEqual(listDays(daysAgo(10), daysAgo(3)));
  });

  it('sends one msg per day with msg.date and msg.parts for a join node', async () => {
    const { stats, out } = await start({ output: 'day' });
    stats.receive({ last: 5 });
    const messages = await out.waitFor(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(messages).toHaveLength(5);
    expect(messages.map((m) => m.date)).toEqual(listDays(daysAgo(5), daysAgo(1)));
    expect(messages.map((m) => m.payload.date)).toEqual(messages.map((m) => m.date));
    expect(messages.map((m) => m.parts.index)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(messages.map((m) => m.parts.id)).size).toBe(1);
    expect(messages.every((m) => m.parts.count === 5)).toBe(true);
  });

  it('reads servicer statistics for msg.endpoint, msg.openKfid and msg.servicer', async () => {
    const { stats, out } = await start();
    const account = kf.sim.fixtures.accounts[2]!.open_kfid;
    const servicer = kf.sim.fixtures.servicers[account]![1]!;
    stats.receive({ endpoint: 'servicer', openKfid: account, servicer, from: daysAgo(9), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expect(msg.statistics).toMatchObject({ endpoint: 'servicer', openKfid: account, servicerUserid: servicer });
    expect(msg.payload).toHaveLength(8);
    expectDaysMatch(kf.sim, msg.payload, {
      endpoint: 'servicer',
      corpId: kf.sim.fixtures.selfBuilt.corpId,
      openKfid: account,
      servicerUserid: servicer,
    });
  });

  it('adds a summary whose counts are the sums of the days', async () => {
    const { stats, out } = await start({ summary: true });
    stats.receive({ from: daysAgo(30), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    const expectedSessions = msg.payload.reduce(
      (sum: number, d: { statistic: { session_cnt?: number } | null }) => sum + (d.statistic?.session_cnt ?? 0),
      0,
    );
    expect(expectedSessions).toBeGreaterThan(0);
    expect(msg.summary.metrics.session_cnt).toBe(expectedSessions);
    expect(msg.summary.dayCount).toBe(29);
  });

  it('keeps only the metrics asked for in msg.metrics, in the days and in the summary', async () => {
    const { stats, out } = await start({ summary: true });
    stats.receive({ from: daysAgo(20), to: daysAgo(2), metrics: 'session_cnt,ai_knowledge_hit_rate' });
    const [msg] = await out.waitFor(1);
    for (const day of msg.payload)
      if (day.statistic) expect(Object.keys(day.statistic).sort()).toEqual(['ai_knowledge_hit_rate', 'session_cnt']);
    expect(Object.keys(msg.summary.metrics).sort()).toEqual(['ai_knowledge_hit_rate', 'session_cnt']);
    for (const note of msg.summary.notes) expect(['ai_knowledge_hit_rate', 'session_cnt']).toContain(note.metric);
  });

  it('sends corp days and summaries with the corp fields only: no reply_rate key at all', async () => {
    const { stats, out } = await start({ summary: true });
    stats.receive({ from: daysAgo(20), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    const withData = msg.payload.filter((d: { statistic: object | null }) => d.statistic);
    expect(withData.length).toBeGreaterThan(5);
    for (const day of withData) expect(Object.keys(day.statistic)).toEqual(metricKeysFor('corp'));
    expect(Object.keys(msg.summary.metrics)).toEqual(metricKeysFor('corp'));
    expect(msg.summary.metrics).not.toHaveProperty('reply_rate');
  });

  it('gives an account’s human service from servicer statistics without a servicer', async () => {
    const { stats, out } = await start({ summary: true });
    const account = kf.sim.fixtures.accounts[0]!.open_kfid;
    stats.receive({ endpoint: 'servicer', from: daysAgo(9), to: daysAgo(2), metrics: 'reply_rate,first_reply_average_sec,satisfied_rate' });
    const [msg] = await out.waitFor(1);
    expect(msg.statistics).toMatchObject({ endpoint: 'servicer', openKfid: account });
    expect(msg.statistics.servicerUserid).toBeUndefined();
    for (const day of msg.payload) {
      const expected = kf.sim.expectedStatistic({
        endpoint: 'servicer',
        corpId: kf.sim.fixtures.selfBuilt.corpId,
        openKfid: account,
        date: day.date,
      });
      expect(day.statistic?.reply_rate ?? null, day.date).toBe(expected?.reply_rate ?? null);
    }
    expect(msg.summary.metrics.reply_rate).toEqual(expect.any(Number));
  });

  it('fills days without data with zero counts and null rates when fill is "zero"', async () => {
    const { stats, out } = await start({ fill: 'zero' });
    stats.receive({ from: daysAgo(180), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    const quiet = msg.payload.filter(
      (d: { date: string }) =>
        kf.sim.expectedStatistic({
          endpoint: 'corp',
          corpId: kf.sim.fixtures.selfBuilt.corpId,
          openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
          date: d.date,
        }) === undefined,
    );
    expect(quiet.length).toBeGreaterThan(0);
    for (const day of quiet) {
      expect(day.statistic.session_cnt).toBe(0);
      expect(day.statistic.ai_transfer_rate).toBeNull();
      expect(day.statistic).not.toHaveProperty('reply_rate');
    }
  });

  it('answers a repeated range from the config node’s day cache without calling WeCom', async () => {
    const { stats, out } = await start();
    stats.receive({ from: daysAgo(60), to: daysAgo(2) });
    await out.waitFor(1);
    const calls = kf.sim.callCount(/statistic/);
    stats.receive({ from: daysAgo(60), to: daysAgo(2) });
    const [first, second] = await out.waitFor(2);
    expect(second.payload).toEqual(first.payload);
    expect(second.statistics.stats.cachedDays).toBe(59);
    expect(kf.sim.callCount(/statistic/)).toBe(calls);
  });
});

describe('statistics node: status', () => {
  it('shows progress as "n/6 chunks" for 179 days, then the day count', async () => {
    const { stats, out, statuses } = await start({}, { concurrency: '1' });
    stats.receive({ from: daysAgo(180), to: daysAgo(2) });
    await out.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    const texts = statuses.messages.map((m) => m.status.text);
    expect(texts).toEqual([
      'fetching',
      '0/6 chunks',
      '1/6 chunks',
      '2/6 chunks',
      '3/6 chunks',
      '4/6 chunks',
      '5/6 chunks',
      '6/6 chunks',
      '179 days',
    ]);
    expect(statuses.messages.at(-1).status.fill).toBe('green');
  });

  it('puts a clamped range in msg.warnings, in a warning and in a yellow status', async () => {
    const { stats, out, statuses } = await start();
    stats.receive({ from: daysAgo(400), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expect(msg.warnings.map((w: { code: string }) => w.code)).toContain('RANGE_CLAMPED');
    expect(msg.payload[0].date).toBe(daysAgo(180));
    await new Promise((r) => setTimeout(r, 50));
    const last = statuses.messages.at(-1).status;
    expect(last.fill).toBe('yellow');
    expect(last.text).toMatch(/^179 days, \d+ warning\(s\)$/);
    expect(stats.warn.calledWithMatch(/was clamped to/)).toBe(true);
  });
});

describe('statistics node: errors reach Catch nodes through done(err)', () => {
  it('reports errcode 48002 with its hint, and sends nothing', async () => {
    const { stats, out, caught, statuses } = await start();
    kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic' });
    stats.receive({ topic: 'daily', from: daysAgo(5), to: daysAgo(2) });
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toContain('errcode 48002');
    expect(msg.error.message).toContain(hintFor(48002).en);
    expect(msg.error.message).toContain(hintFor(48002).zh);
    expect(msg.error.source.id).toBe('stats');
    expect(msg.topic).toBe('daily');
    expect(msg.wecomError).toMatchObject({ code: 'WECOM_API', errcode: 48002, hint: hintFor(48002) });
    expect(out.messages).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(statuses.messages.at(-1).status).toMatchObject({ fill: 'red', text: 'errcode 48002' });
  });

  it('reports a wrong app secret (40001) from the token call', async () => {
    const { node } = selfBuiltConfig(kf.sim);
    const { flow } = statsFlow();
    flow[0] = node;
    await load(flow, { cfg: { corpSecret: 'not-the-secret' } });
    const caught = collect('caught');
    helper.getNode('stats').receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toContain('errcode 40001');
    expect(msg.error.message).not.toContain('not-the-secret');
  });

  it('sends the days that arrived, then reports the chunk that failed', async () => {
    const { stats, out, caught } = await start({}, { concurrency: '2' });
    kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic' });
    stats.receive({ from: daysAgo(63), to: daysAgo(2) });
    const [err] = await caught.waitFor(1);
    const [msg] = await out.waitFor(1);
    expect(msg.payload).toHaveLength(31);
    expect(msg.incomplete.missingDays).toHaveLength(31);
    expect([...msg.incomplete.fetchedDays, ...msg.incomplete.missingDays].sort()).toEqual(listDays(daysAgo(63), daysAgo(2)));
    expectDaysMatch(kf.sim, msg.payload, {
      endpoint: 'corp',
      corpId: kf.sim.fixtures.selfBuilt.corpId,
      openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
    });
    expect(err.error.message).toMatch(/^IncompleteFetchError: Fetched 31 of 62 days; missing .*errcode 48002/);
    expect(err.wecomError).toMatchObject({ code: 'INCOMPLETE', errcode: 48002 });
  });

  it('reports a node without a configuration', async () => {
    await load([
      { id: 'stats', type: 'wecom-kf-stats', endpoint: 'corp', wires: [[]] },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = collect('caught');
    helper.getNode('stats').receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toBe('Error: No WeCom KF configuration node is selected: open the node and pick one.');
  });

  it('reports a configuration with a missing secret by naming the field', async () => {
    const { flow } = statsFlow();
    await load(flow, {});
    const caught = collect('caught');
    helper.getNode('stats').receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toMatch(/Invalid options\.auth\.corpSecret: missing\. Allowed: the app secret/);
  });

  const account = () => kf.sim.fixtures.accounts[0]!.open_kfid;
  const badMessages: [string, () => object, RegExp][] = [
    ['an unknown endpoint', () => ({ endpoint: 'agents' }), /Invalid msg\.endpoint: "agents"\. Allowed: "component", "corp" or "servicer"/],
    ['a numeric endpoint', () => ({ endpoint: 3 }), /Invalid msg\.endpoint: 3\. Allowed: "component", "corp" or "servicer"/],
    [
      'a date that does not exist',
      () => ({ from: '2026-02-30' }),
      /Invalid msg\.from: "2026-02-30" \(no such calendar date\)\. Allowed: YYYY-MM-DD/,
    ],
    ['a from that is not a date', () => ({ from: 'last tuesday' }), /Invalid msg\.from: "last tuesday"\. Allowed: YYYY-MM-DD/],
    ['a from that is an object', () => ({ from: { day: 1 } }), /Invalid msg\.from: \{"day":1\}\. Allowed: YYYY-MM-DD/],
    [
      'a reversed range',
      () => ({ from: daysAgo(3), to: daysAgo(9) }),
      /Invalid msg\.to: "[\d-]+" \(the range is reversed\)\. Allowed: a day on or after from/,
    ],
    ['a to without a from', () => ({ to: daysAgo(3) }), /Invalid msg\.from: missing\. Allowed: a start day when a "to" day is given/],
    [
      'a range in the future',
      () => ({ from: 'today' }),
      /Invalid msg\.from: "[\d-]+" \(the range lies wholly after yesterday.*\)\. Allowed: days from/,
    ],
    [
      'a range wholly older than 180 days',
      () => ({ from: daysAgo(300), to: daysAgo(200) }),
      /Invalid msg\.to: "[\d-]+" \(the range lies wholly more than 180 days ago\)/,
    ],
    [
      'a strict range reaching past 180 days',
      () => ({ from: daysAgo(200), to: daysAgo(2), policy: 'strict' }),
      /Invalid msg\.from: "[\d-]+"\. Allowed: days from .* \(180 days ago to yesterday, China time\)/,
    ],
    ['last of zero', () => ({ last: 0 }), /Invalid msg\.last: 0\. Allowed: a whole number of days from 1 to 3660/],
    [
      'last that is not a number',
      () => ({ last: 'a week' }),
      /Invalid msg\.last: "a week"\. Allowed: a whole number of days from 1 to 3660/,
    ],
    ['last together with from', () => ({ last: 7, from: daysAgo(9) }), /Invalid msg\.last: 7\. Allowed: either last or from\/to, not both/],
    ['an unknown policy', () => ({ policy: 'loose' }), /Invalid msg\.policy: "loose"\. Allowed: "clamp" or "strict"/],
    ['an empty open_kfid', () => ({ openKfid: '  ' }), /Invalid msg\.openKfid: "  "\. Allowed: a customer-service account id/],
    ['a numeric open_kfid', () => ({ openKfid: 42 }), /Invalid msg\.openKfid: 42\. Allowed: a customer-service account id/],
    [
      'an open_kfid for component statistics',
      () => ({ endpoint: 'component', openKfid: account() }),
      /Invalid msg\.openKfid: "wk\w+"\. Allowed: no open_kfid for component statistics/,
    ],
    [
      'a servicer for corp statistics',
      () => ({ servicer: 'zhangsan' }),
      /Invalid msg\.servicer: "zhangsan"\. Allowed: a servicer only with endpoint "servicer"/,
    ],
    [
      'a metric key that cannot be a field name',
      () => ({ metrics: 'session_cnt,Happiness!' }),
      /Invalid msg\.metrics: "Happiness!" \(not a field name\)\. Allowed: comma-separated metric keys of corp statistics \(session_cnt/,
    ],
    [
      'reply_rate for corp statistics, which have none',
      () => ({ metrics: 'session_cnt,reply_rate' }),
      /Invalid msg\.metrics: "reply_rate" \(a field of component and servicer statistics only; for an account's human service, ask servicer statistics without a servicer\)\. Allowed: metrics of corp statistics: session_cnt/,
    ],
    [
      'metrics that are a number',
      () => ({ metrics: 7 }),
      /Invalid msg\.metrics: 7\. Allowed: metric keys as "session_cnt,customer_cnt" or an array of keys/,
    ],
    ['an unknown fill policy', () => ({ fill: 'interpolate' }), /Invalid msg\.fill: "interpolate"\. Allowed: "null", "zero", "omit"/],
  ];

  it(`rejects ${badMessages.length} kinds of bad msg with a message naming the property, and keeps working`, async () => {
    const { stats, out, caught } = await start();
    for (const [index, [, input]] of badMessages.entries()) {
      stats.receive({ _case: index, ...input() });
      await caught.waitFor(index + 1);
    }
    for (const [index, [what, , pattern]] of badMessages.entries()) {
      const msg = caught.messages.find((m) => m._case === index);
      expect(msg.error.message, what).toMatch(pattern);
      expect(msg.wecomError.code, what).toBe('VALIDATION');
    }
    expect(new Set(caught.messages.map((m) => m.error.message)).size).toBe(badMessages.length);
    expect(kf.sim.callCount(/cgi-bin/)).toBe(0);
    expect(out.messages).toHaveLength(0);

    stats.receive({ last: 2 });
    const [msg] = await out.waitFor(1);
    expect(msg.payload).toHaveLength(2);
  });
});
