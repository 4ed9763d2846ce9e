import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedRequire } from './host.js';
import { builtNodes, collect, helper, onTab } from './runtime.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
const read = (file: string): Record<string, unknown>[] => JSON.parse(readFileSync(path.join(root, 'examples', file), 'utf8'));

// Node-RED's own core nodes the examples use, from the installed node-red.
const nodesDir = path.dirname(nodeRedRequire.resolve('@node-red/nodes/package.json'));
const coreNodes = ['common/20-inject.js', 'function/15-change.js', 'sequence/17-split.js', 'common/90-comment.js'].map((file) =>
  nodeRedRequire(path.join(nodesDir, 'core', file)),
);
const CREDENTIAL_FIELDS = ['corpSecret', 'suiteSecret', 'suiteTicket', 'permanentCode', 'accessToken', 'tokenServiceHeaderValue'];

const kf = useSimulator();
beforeAll(async () => {});
afterEach(async () => {
  await helper.unload();
});

const ASKS_FOR_CREDENTIALS = 'enter the corp ID and app secret';
const ASKS_FOR_ACCOUNT = 'set the account (open_kfid) in the statistics node';

/** What an example's own comment asks the user to fill in. */
function asks(file: string): { account: boolean } {
  const info = read(file)
    .filter((n) => n.type === 'comment')
    .map((n) => n.info as string)
    .join('\n');
  expect(info, `${file}: its comment asks for the credentials`).toContain(ASKS_FOR_CREDENTIALS);
  return { account: info.includes(ASKS_FOR_ACCOUNT) };
}

/**
 * The example against the simulator, filled in as its comment asks (the base URL points at the
 * simulator), debug nodes swapped for helper nodes. `fill` narrows it to what a user who skipped a
 * step would have filled.
 */
async function run(file: string, fill = asks(file)) {
  const flow = read(file).map((n) => {
    if (n.type === 'wecom-kf-config') return { ...n, corpId: kf.sim.fixtures.selfBuilt.corpId, baseUrl: kf.sim.url };
    if (n.type === 'wecom-kf-stats' && fill.account) return { ...n, openKfid: kf.sim.fixtures.accounts[0]!.open_kfid };
    if (n.type === 'debug') return { id: n.id, type: 'helper', name: n.name };
    return n;
  });
  const config = flow.find((n) => n.type === 'wecom-kf-config')!;
  await helper.load([...coreNodes, ...(await builtNodes())], onTab(flow), {
    [config.id as string]: { corpSecret: kf.sim.fixtures.selfBuilt.corpSecret },
  });
  const byName = (type: string, name: string) => flow.find((n) => n.type === type && n.name === name)!.id as string;
  return { byName };
}

describe('examples', () => {
  it.each(examples)('%s carries no credentials and only known node types', (file) => {
    const flow = read(file);
    for (const node of flow) {
      for (const field of [...CREDENTIAL_FIELDS, 'credentials']) expect(node, `${file} ${node.id}`).not.toHaveProperty(field);
    }
    const known = ['wecom-kf-config', 'wecom-kf-stats', 'wecom-kf-accounts', 'inject', 'debug', 'catch', 'change', 'join', 'comment'];
    for (const node of flow) expect(known, `${file} ${node.id}`).toContain(node.type);
  });

  it('daily-yesterday: the 06:30 schedule fetches yesterday', async () => {
    expect(read('daily-yesterday.json').find((n) => n.type === 'inject')!.crontab).toBe('30 06 * * *');
    const { byName } = await run('daily-yesterday.json');
    const out = collect(byName('helper', 'days'));
    helper.getNode(byName('inject', '06:30 daily')).receive({});
    const [msg] = await out.waitFor(1);
    expect(msg.payload).toHaveLength(1);
    expect(msg.statistics.to).toBe(msg.payload[0].date);
  });

  it('backfill-180-days: one row per day for 180 days', async () => {
    const { byName } = await run('backfill-180-days.json');
    const out = collect(byName('helper', 'one row per day'));
    helper.getNode(byName('inject', 'last 180 days')).receive({});
    const rows = await out.waitFor(180);
    expect(rows[0].payload).toMatchObject({ date: expect.any(String), open_kfid: kf.sim.fixtures.accounts[0]!.open_kfid });
    expect(new Set(rows.map((r) => r.payload.date)).size).toBe(180);
  });

  it('backfill-180-days asks for the account, because the flow fails without it', async () => {
    expect(asks('backfill-180-days.json').account).toBe(true);
    const { byName } = await run('backfill-180-days.json', { account: false });
    const errors = collect(byName('helper', 'error'));
    helper.getNode(byName('inject', 'last 180 days')).receive({});
    const [msg] = await errors.waitFor(1);
    expect(msg.error.message).toMatch(/open_?kfid/i);
  });

  it('per-account needs nothing but the credentials: the accounts node supplies each account', () => {
    expect(asks('per-account.json').account).toBe(false);
  });

  it('per-account: one joined array with every account’s days and summary', async () => {
    const { byName } = await run('per-account.json');
    const out = collect(byName('helper', 'all accounts'));
    helper.getNode(byName('inject', 'run')).receive({});
    const [msg] = await out.waitFor(1);
    expect(msg.payload.map((r: { openKfid: string }) => r.openKfid).sort()).toEqual(
      kf.sim.fixtures.accounts.map((a) => a.open_kfid).sort(),
    );
    for (const result of msg.payload) {
      expect(result.days).toHaveLength(7);
      expect(typeof result.summary.metrics.session_cnt).toBe('number');
    }
  });
});
