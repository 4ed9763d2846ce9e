import { listDays } from '@wecom-kf-stats/core/internal';
import { daysAgo, useSimulator } from '@wecom-kf-stats/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, expectDaysMatch, helper, load, onTab, selfBuiltConfig } from './runtime.js';

const kf = useSimulator();
const CANARY = 'canary-7f3e9a-do-not-leak';

beforeAll(async () => {
  kf.sim.addSuiteTicket(CANARY);
});
afterEach(async () => {
  await helper.unload();
});

const watchers = [
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
  { id: 'watcher', type: 'status', scope: null, wires: [['statuses']] },
  { id: 'statuses', type: 'helper' },
];

function providerFlow(extra: object = {}) {
  const suite = kf.sim.fixtures.suite;
  return [
    {
      id: 'cfg',
      type: 'wecom-kf-config',
      authType: 'serviceProvider',
      suiteId: suite.suiteId,
      authCorpId: suite.authCorpId,
      suiteTicketSource: 'credential',
      suiteTicketContextKey: 'wecomSuiteTicket',
      baseUrl: kf.sim.url,
      concurrency: '3',
      ...extra,
    },
    {
      id: 'stats',
      type: 'wecom-kf-stats',
      config: 'cfg',
      endpoint: 'component',
      rangeType: 'last',
      last: '7',
      output: 'all',
      fill: 'null',
      wires: [['out']],
    },
    { id: 'out', type: 'helper' },
    ...watchers,
  ];
}

describe('credentials', () => {
  it('fetches component statistics with a suite ticket that appears in no flow, msg, status or log', async () => {
    const suite = kf.sim.fixtures.suite;
    await load(providerFlow(), { cfg: { suiteSecret: suite.suiteSecret, suiteTicket: CANARY, permanentCode: suite.permanentCode } });
    const out = collect('out');
    const statuses = collect('statuses');
    helper.getNode('stats').receive({ from: daysAgo(40), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expect(msg.payload.map((d: { date: string }) => d.date)).toEqual(listDays(daysAgo(40), daysAgo(2)));
    expectDaysMatch(kf.sim, msg.payload, { endpoint: 'component', corpId: suite.authCorpId });
    expect(kf.sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);

    const exported = helper._redNodes.getFlows();
    const configNode = exported.flows.find((n: { id: string }) => n.id === 'cfg');
    expect(configNode).not.toHaveProperty('credentials');
    expect(configNode).not.toHaveProperty('suiteTicket');
    // The runtime node did hold the canary: it reached the credential store, and only that.
    expect(helper.getNode('cfg').credentials.suiteTicket).toBe(CANARY);
    const seen = JSON.stringify([exported.flows, out.messages, statuses.messages, helper.log().args, kf.sim.calls]);
    expect(seen).not.toContain(CANARY);
    expect(seen).not.toContain(suite.suiteSecret);
    expect(seen).not.toContain(suite.permanentCode);
  });

  it('keeps an access token out of the error a Catch node receives', async () => {
    await load(
      [
        { id: 'cfg', type: 'wecom-kf-config', authType: 'token', baseUrl: kf.sim.url, concurrency: '3' },
        {
          id: 'stats',
          type: 'wecom-kf-stats',
          config: 'cfg',
          endpoint: 'corp',
          openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
          rangeType: 'last',
          last: '3',
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
        ...watchers,
      ],
      { cfg: { accessToken: CANARY } },
    );
    const caught = collect('caught');
    helper.getNode('stats').receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toContain('errcode 40014');
    const flows = helper._redNodes.getFlows().flows;
    expect(JSON.stringify([msg, flows, helper.log().args])).not.toContain(CANARY);
  });

  it('reads the newest suite ticket from global context when told to', async () => {
    const suite = kf.sim.fixtures.suite;
    const pushed = 'pushed-ticket-0002';
    kf.sim.addSuiteTicket(pushed);
    await load(providerFlow({ suiteTicketSource: 'global' }), {
      cfg: { suiteSecret: suite.suiteSecret, permanentCode: suite.permanentCode },
    });
    const out = collect('out');
    const caught = collect('caught');
    const stats = helper.getNode('stats');
    stats.receive({ _case: 'no ticket yet' });
    const [failure] = await caught.waitFor(1);
    expect(failure.error.message).toBe(
      'ValidationError: Invalid global.wecomSuiteTicket: missing. Allowed: the newest suite_ticket WeCom pushed to your callback, stored there by your flow.',
    );
    helper.getNode('cfg').context().global.set('wecomSuiteTicket', pushed);
    stats.receive({ _case: 'ticket stored' });
    const [msg] = await out.waitFor(1);
    expect(msg.payload).toHaveLength(7);
  });
});

describe('redeploy', () => {
  const statsNode = (extra: object = {}) => ({
    id: 'stats',
    type: 'wecom-kf-stats',
    config: 'cfg',
    endpoint: 'corp',
    openKfid: kf.sim.fixtures.accounts[0]!.open_kfid,
    rangeType: 'last',
    last: '3',
    wires: [['out']],
    ...extra,
  });

  it('closes the old client (awaited by the runtime) and serves the next msg with a new one', async () => {
    const { node, credentials } = selfBuiltConfig(kf.sim);
    await load([node, statsNode(), { id: 'out', type: 'helper' }], credentials);
    const out = collect('out');
    helper.getNode('stats').receive({});
    await out.waitFor(1);

    const oldConfig = helper.getNode('cfg');
    const oldClient = oldConfig.getClient();
    let closed = false;
    const close = oldClient.close;
    oldClient.close = async () => {
      await close();
      closed = true;
    };

    await helper.setFlows(onTab([{ ...node, concurrency: '2' }, statsNode(), { id: 'out', type: 'helper' }]), 'full', credentials);
    expect(closed).toBe(true);
    expect(() => oldConfig.getClient()).toThrow(/was stopped/);
    const calls = kf.sim.callCount();
    await expect(oldClient.listAccounts()).rejects.toThrow();
    expect(kf.sim.callCount()).toBe(calls);

    const newConfig = helper.getNode('cfg');
    expect(newConfig).not.toBe(oldConfig);
    const after = collect('out');
    helper.getNode('stats').receive({});
    const [msg] = await after.waitFor(1);
    expect(msg.payload).toHaveLength(3);
  });

  it('stops a fetch in flight when the flow stops, without sending its result', async () => {
    const { node, credentials } = selfBuiltConfig(kf.sim);
    await load([node, statsNode(), { id: 'out', type: 'helper' }], credentials);
    const out = collect('out');
    kf.sim.setLatency(1500);
    try {
      helper.getNode('stats').receive({ from: daysAgo(60), to: daysAgo(2) });
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await helper.unload();
      expect(Date.now() - started).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 200));
      expect(out.messages).toHaveLength(0);
    } finally {
      kf.sim.setLatency(0);
    }
  });
});
