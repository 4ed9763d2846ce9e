/**
 * The config node's token service against a real wecom-kf-stats server process: a service
 * provider's server whose suite_ticket and authorized corp arrive only through WeCom's callback
 * (the simulator plays WeCom, and accepts no ticket but the pushed one). The flow holds the token
 * URL; the key goes to Node-RED's credential store as the header value `Bearer <key>`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listDays } from '@wecom-kf-stats/core/internal';
import { daysAgo, useSimulator } from '@wecom-kf-stats/test-utils';
import { startProviderServer, type ProviderServer } from '@wecom-kf-stats/test-utils/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedRequire } from './host.js';
import { builtNodes, collect, expectDaysMatch, helper, load, onTab } from './runtime.js';

const require = createRequire(import.meta.url);
const serverBin = path.join(path.dirname(require.resolve('@wecom-kf-stats/server/package.json')), 'bin', 'wecom-kf-stats-server.js');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const kf = useSimulator({ pushedTicketsOnly: true });
let server: ProviderServer;

beforeAll(async () => {
  server = await startProviderServer(kf.sim, { bin: serverBin });
}, 60_000);
afterEach(async () => {
  await helper.unload();
});
afterAll(async () => {
  await server?.stop();
});

const watchers = [
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
  { id: 'watcher', type: 'status', scope: null, wires: [['statuses']] },
  { id: 'statuses', type: 'helper' },
];

function tokenServiceFlow() {
  return [
    {
      id: 'cfg',
      type: 'wecom-kf-config',
      authType: 'tokenService',
      tokenServiceUrl: server.tokenUrl,
      tokenServiceHeader: 'Authorization',
      baseUrl: kf.sim.url,
      concurrency: '3',
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

const withKey = (key: string) => ({ cfg: { tokenServiceHeaderValue: `Bearer ${key}` } });

/** The corp's current access token, as the server hands it out. */
async function currentAccessToken(): Promise<string> {
  const answer = await fetch(server.tokenUrl, { headers: { authorization: `Bearer ${server.tokenKey}` } });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

describe('token service of a wecom-kf-stats server', () => {
  it('fetches component statistics of the authorized corp with the token key; the flow holds no ticket, key or token', async () => {
    await load(tokenServiceFlow(), withKey(server.tokenKey));
    const out = collect('out');
    const statuses = collect('statuses');
    helper.getNode('stats').receive({ from: daysAgo(40), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expect(msg.payload.map((d: { date: string }) => d.date)).toEqual(listDays(daysAgo(40), daysAgo(2)));
    expectDaysMatch(kf.sim, msg.payload, { endpoint: 'component', corpId: server.corpId });

    const exported = helper._redNodes.getFlows();
    const configNode = exported.flows.find((n: { id: string }) => n.id === 'cfg');
    expect(configNode).not.toHaveProperty('credentials');
    expect(configNode).not.toHaveProperty('tokenServiceHeaderValue');
    expect(helper.getNode('cfg').credentials.tokenServiceHeaderValue).toBe(`Bearer ${server.tokenKey}`);
    const seen = JSON.stringify([exported.flows, out.messages, statuses.messages, helper.log().args]);
    expect(seen).not.toContain(server.tokenKey);
    expect(seen).not.toContain(await currentAccessToken());
    expect(seen).not.toContain(kf.sim.provider.latestTicket!);
  });

  it('refuses a read key with the server’s reason for a Catch node, HTTP 403 in the status, and the key nowhere', async () => {
    await load(tokenServiceFlow(), withKey(server.readKey));
    const caught = collect('caught');
    const statuses = collect('statuses');
    helper.getNode('stats').receive({});
    const [msg] = await caught.waitFor(1);
    expect(msg.error.message).toBe(
      'HttpStatusError: Request to /api/v1/sources/isv/token answered HTTP 403: this API key may read statistics but not take access tokens: use a key from tokenApiKeysEnv.',
    );
    expect(msg.wecomError).toEqual({ code: 'HTTP_STATUS', status: 403 });
    const texts = (await statuses.waitFor(2)).map((m: { status: { text?: string } }) => m.status.text);
    expect(texts.at(-1)).toBe('HTTP 403');
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(0);
    const seen = JSON.stringify([helper._redNodes.getFlows().flows, caught.messages, statuses.messages, helper.log().args]);
    expect(seen).not.toContain(server.readKey);
    expect(seen).not.toContain(await currentAccessToken());
  });
  it("takes a provider's customer key (its corp only, with tokens), and refuses one of another corp with the server's reason", async () => {
    await load(tokenServiceFlow(), withKey(server.customerTokenKey));
    const out = collect('out');
    helper.getNode('stats').receive({ from: daysAgo(5), to: daysAgo(2) });
    const [msg] = await out.waitFor(1);
    expectDaysMatch(kf.sim, msg.payload, { endpoint: 'component', corpId: server.corpId });
    await helper.unload();

    await load(tokenServiceFlow(), withKey(server.otherCustomerTokenKey));
    const caught = collect('caught');
    helper.getNode('stats').receive({});
    const [refused] = await caught.waitFor(1);
    expect(refused.error.message).toBe(
      `HttpStatusError: Request to /api/v1/sources/isv/token answered HTTP 403: this API key may not read source "isv".`,
    );
    const seen = JSON.stringify([helper._redNodes.getFlows().flows, caught.messages, helper.log().args]);
    expect(seen).not.toContain(server.otherCustomerTokenKey);
  });
});

describe('example component-via-token-service', () => {
  const nodesDir = path.dirname(nodeRedRequire.resolve('@node-red/nodes/package.json'));
  const coreNodes = ['common/20-inject.js', 'common/90-comment.js'].map((file) => nodeRedRequire(path.join(nodesDir, 'core', file)));
  const example = JSON.parse(readFileSync(path.join(root, 'examples', 'component-via-token-service.json'), 'utf8')) as Record<
    string,
    unknown
  >[];

  it('asks for the token URL and the key as "Bearer" header value, and for no ticket', () => {
    const info = example.find((n) => n.type === 'comment')!.info as string;
    expect(info).toContain('/api/v1/sources/<source>/token?corpid=<corp ID>');
    expect(info).toContain("as header value Bearer followed by a key from the server's tokenApiKeysEnv");
    const config = example.find((n) => n.type === 'wecom-kf-config')!;
    expect(config).toMatchObject({ authType: 'tokenService', tokenServiceHeader: 'Authorization', tokenServiceUrl: '' });
  });

  it('filled in as its comment asks, sends the last 7 days of component statistics with a summary', async () => {
    const flow = example.map((n) => {
      if (n.type === 'wecom-kf-config') return { ...n, tokenServiceUrl: server.tokenUrl, baseUrl: kf.sim.url };
      if (n.type === 'debug') return { id: n.id, type: 'helper', name: n.name };
      return n;
    });
    const config = flow.find((n) => n.type === 'wecom-kf-config')!;
    await helper.load([...coreNodes, ...(await builtNodes())], onTab(flow), {
      [config.id as string]: { tokenServiceHeaderValue: `Bearer ${server.tokenKey}` },
    });
    const byName = (type: string, name: string) => flow.find((n) => n.type === type && n.name === name)!.id as string;
    const out = collect(byName('helper', 'days and summary'));
    helper.getNode(byName('inject', '06:30 daily')).receive({});
    const [msg] = await out.waitFor(1);
    expect(msg.payload.map((d: { date: string }) => d.date)).toEqual(listDays(daysAgo(7), daysAgo(1)));
    expectDaysMatch(kf.sim, msg.payload, { endpoint: 'component', corpId: server.corpId });
    expect(msg.summary).toMatchObject({ endpoint: 'component', dayCount: 7 });
  });
});
