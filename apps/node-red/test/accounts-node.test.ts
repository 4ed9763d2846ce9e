import { useSimulator } from '@wecom-kf-stats/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, helper, load, selfBuiltConfig } from './runtime.js';

const kf = useSimulator();

beforeAll(async () => {});
afterEach(async () => {
  await helper.unload();
});

const catcher = [
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

async function start(settings: object, downstream: object[] = [{ id: 'out', type: 'helper' }], wires = [['out']]) {
  const { node, credentials } = selfBuiltConfig(kf.sim);
  await load(
    [node, { id: 'accounts', type: 'wecom-kf-accounts', config: 'cfg', ...settings, wires }, ...downstream, ...catcher],
    credentials,
  );
  return helper.getNode('accounts');
}

describe('accounts node', () => {
  it('sends the account list in one msg', async () => {
    const accounts = await start({ output: 'all' });
    const out = collect('out');
    accounts.receive({ topic: 'list' });
    const [msg] = await out.waitFor(1);
    expect(msg.topic).toBe('list');
    expect(msg.payload.map((a: { open_kfid: string; name: string }) => [a.open_kfid, a.name])).toEqual(
      kf.sim.fixtures.accounts.map((a) => [a.open_kfid, a.name]),
    );
  });

  it('sends one msg per account with msg.openKfid and its servicers', async () => {
    const accounts = await start({ output: 'each', servicers: true });
    const out = collect('out');
    accounts.receive({});
    const messages = await out.waitFor(kf.sim.fixtures.accounts.length);
    expect(messages.map((m) => m.openKfid)).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid));
    for (const msg of messages) {
      expect(msg.payload.servicers.map((s: { userid: string }) => s.userid)).toEqual(kf.sim.fixtures.servicers[msg.openKfid]);
      expect(msg.parts.count).toBe(kf.sim.fixtures.accounts.length);
    }
  });

  it('feeds a statistics node, one fetch per account', async () => {
    const accounts = await start(
      { output: 'each' },
      [
        {
          id: 'stats',
          type: 'wecom-kf-stats',
          config: 'cfg',
          endpoint: 'corp',
          rangeType: 'last',
          last: '7',
          output: 'all',
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ],
      [['stats']],
    );
    const out = collect('out');
    accounts.receive({});
    const messages = await out.waitFor(kf.sim.fixtures.accounts.length);
    expect(messages.map((m) => m.statistics.openKfid).sort()).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid).sort());
    expect(messages.every((m) => m.payload.length === 7)).toBe(true);
  });

  it('reports an API error to Catch nodes with its hint', async () => {
    const accounts = await start({ output: 'all' });
    const caught = collect('caught');
    kf.sim.inject({ kind: 'errcode', errcode: 60020, path: '/cgi-bin/kf/account/list' });
    accounts.receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toContain('errcode 60020');
    expect(msg.wecomError).toMatchObject({ code: 'WECOM_API', errcode: 60020 });
  });
});

describe('editor pickers (admin HTTP endpoints of the config node)', () => {
  it('lists accounts and servicers through a deployed configuration', async () => {
    await start({ output: 'all' });
    const accounts = await helper.request().get('/wecom-kf-stats/config/cfg/accounts').expect(200);
    expect(accounts.body.map((a: { open_kfid: string }) => a.open_kfid)).toEqual(kf.sim.fixtures.accounts.map((a) => a.open_kfid));
    const account = kf.sim.fixtures.accounts[0]!.open_kfid;
    const servicers = await helper.request().get(`/wecom-kf-stats/config/cfg/servicers?openKfid=${account}`).expect(200);
    expect(servicers.body.map((s: { userid: string }) => s.userid)).toEqual(kf.sim.fixtures.servicers[account]);
  });

  it('answers 404 for a configuration that is not deployed, and 502 with the reason for an API error', async () => {
    await start({ output: 'all' });
    const missing = await helper.request().get('/wecom-kf-stats/config/nope/accounts').expect(404);
    expect(missing.body.error).toMatch(/Deploy the WeCom KF configuration first/);
    const bad = await helper.request().get('/wecom-kf-stats/config/cfg/servicers?openKfid=wkUNKNOWN').expect(502);
    expect(bad.body.error).toContain('errcode 95004');
  });
});
