/**
 * Reports and notices to WeCom group robots, over real HTTP with the simulator as WeCom and as the
 * robots: a shaped account that trips each rule once and clears, reports whose figures are the
 * archive's, sends paced and retried as page 91770 asks, two replicas sending each message once,
 * and a canary webhook key that appears in no output.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../src/api.js';
import { collect } from '../src/collector.js';
import { parseConfig, resolveWebhooks, type ConfigError } from '../src/config.js';
import { formatValue, metricOf, packMessages, renderDaily, REPORT_METRICS, type AccountDays } from '../src/notify/messages.js';
import { createRobotClient } from '../src/notify/robot.js';
import { createNotifier } from '../src/notify/notifier.js';
import { openStore, type Store } from '../src/store/store.js';
import { addDays } from '../src/china-days.js';
import { apiOptions, createRuntime, fetchAnswer, silentLog, tempDir, type Json, type Runtime } from './helpers.js';
import { startPostgres, type TestPostgres } from './postgres.js';

/** Monday 2026-11-30, 10:00 China time: yesterday is a Sunday, the weekly report's day has come. */
const BASE = Date.parse('2026-11-30T10:00:00+08:00');
const realStart = Date.now();
let offsetMs = 0;
const now = () => BASE + (Date.now() - realStart) + offsetMs;
/** The robot client's waits pass on the test's clock (the simulator's robots count on it too). */
const clockSleep = async (ms: number) => {
  offsetMs += ms;
};
const DAY_MS = 86_400_000;

const CANARY_KEY = 'canary-robot-key-7f3a9c51e2';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const READ_KEY = 'read-key-0123456789abcdef';
const STORE_KEY = randomBytes(32).toString('base64');

function configFor(sim: Simulator, store: string, account: string, extra: Record<string, unknown> = {}) {
  return {
    store,
    baseUrl: sim.url,
    apiKeysEnv: 'KEYS',
    adminKeysEnv: 'ADMIN_KEYS',
    storeKeyEnv: 'STORE_KEY',
    sources: [
      {
        id: 'acme',
        collect: ['corp', 'servicer'],
        auth: { type: 'selfBuilt', corpId: sim.fixtures.selfBuilt.corpId, corpSecretEnv: 'ACME_SECRET' },
      },
    ],
    notify: [
      { id: 'ops', webhookEnv: 'OPS_WEBHOOK', language: 'en', report: { daily: '09:00', weekly: 'MON 09:30' } },
      {
        id: 'alerts',
        webhookEnv: 'ALERTS_WEBHOOK',
        accounts: [account],
        rules: [
          { metric: 'reply_rate', below: 0.8 },
          { metric: 'first_reply_average_sec', above: 120 },
          { metric: 'session_cnt', dropByPercent: 50 },
          { stalledHours: 26 },
        ],
      },
    ],
    ...extra,
  };
}

interface Setup {
  sim: Simulator;
  robots: { ops: { key: string; url: string }; alerts: { key: string; url: string } };
  env: Record<string, string>;
  account: string;
  corpId: string;
}

async function setup(): Promise<Setup> {
  // Every day has data, so that shaped days count.
  const sim = await startSimulator({ port: 0, now, quietDayShare: 0 });
  const robots = { ops: sim.robots.add(CANARY_KEY), alerts: sim.robots.add() };
  const env = {
    KEYS: READ_KEY,
    ADMIN_KEYS: ADMIN_KEY,
    STORE_KEY,
    ACME_SECRET: sim.fixtures.selfBuilt.corpSecret,
    OPS_WEBHOOK: robots.ops.url,
    ALERTS_WEBHOOK: robots.alerts.url,
  };
  return { sim, robots, env, account: sim.fixtures.accounts[0]!.open_kfid, corpId: sim.fixtures.selfBuilt.corpId };
}

const runtimeOf = (s: Setup, store: Store, location: string, owner = 'replica-a') =>
  createRuntime(configFor(s.sim, location, s.account), s.env, store, now, owner, undefined, {
    robot: { sleep: clockSleep, retryDelayMs: 1000 },
  });

const collectWith = (rt: Runtime, store: Store) =>
  collect({ config: rt.config, store, clients: rt.clients, providers: rt.providers, now, owner: rt.owner, log: silentLog });

/** The line a report shows for a metric of an account: `> Label **value** …`. */
function figureLine(report: string, openKfid: string, label: string): string | undefined {
  const block = report.split('\n\n').find((b) => b.includes(`${openKfid} ·`));
  return block?.split('\n').find((l) => l.startsWith(`> ${label} **`));
}

/** The value a report line shows for a metric of an account. */
function shownFigure(report: string, openKfid: string, label: string): string | undefined {
  const line = figureLine(report, openKfid, label);
  return line ? /\*\*(.+?)\*\*/.exec(line)![1] : undefined;
}

describe('a shaped account trips each rule once and clears, and the reports show the archive (embedded store)', () => {
  let s: Setup;
  let store: Store;
  let location: string;
  let rt: Runtime;
  let app: FastifyInstance;
  beforeAll(async () => {
    s = await setup();
    location = tempDir('kf-notify-');
    store = await openStore(location, { sealKey: Buffer.from(STORE_KEY, 'base64') });
    rt = runtimeOf(s, store, location);
    app = await buildApi(apiOptions(rt, store, now, { apiKeys: [READ_KEY], adminKeys: [ADMIN_KEY] }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { corpId, account } = s;
    // Yesterday (Sunday 2026-11-29): replies at half, first reply at 300 s, 1 session against 100 a week before.
    s.sim.shapeDay(
      { endpoint: 'servicer', corpId, openKfid: account, date: '2026-11-29' },
      { reply_rate: 0.5, first_reply_average_sec: 300 },
    );
    s.sim.shapeDay({ endpoint: 'corp', corpId, openKfid: account, date: '2026-11-29' }, { session_cnt: 1 });
    s.sim.shapeDay({ endpoint: 'corp', corpId, openKfid: account, date: '2026-11-22' }, { session_cnt: 100 });
    const summary = await collectWith(rt, store);
    expect(summary.failures).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await store?.close();
    await s?.sim.close();
  });

  const url = () => `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = (path: string, init: RequestInit = {}) =>
    fetchAnswer(`${url()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });

  it("sends the daily and weekly reports once, with the archive's figures beside the week before and the 28-day median", async () => {
    await rt.notifier.tick();
    await rt.notifier.tick();
    const reports = s.sim.robots.messages(s.robots.ops.key);
    expect(reports.map((m) => m.content.split('\n')[0])).toEqual([
      '## WeChat customer service, 2026-11-29 (Sun)',
      '## WeChat customer service, week 2026-11-23 to 2026-11-29',
    ]);
    for (const m of reports) expect(m.msgtype).toBe('markdown');
    const daily = reports[0]!.content;
    for (const account of s.sim.fixtures.accounts) {
      expect(daily).toContain(account.name);
      for (const metric of REPORT_METRICS) {
        const series = { source: 'acme', endpoint: metric.endpoint, corpId: s.corpId, openKfid: account.open_kfid, servicerUserid: '' };
        const days = await store.readDays(series, '2026-10-25', '2026-11-29');
        const value = (day: string) => {
          const v = days.find((d) => d.date === day)?.statistic?.[metric.field];
          return typeof v === 'number' ? v : null;
        };
        expect(shownFigure(daily, account.open_kfid, metric.label.en), `${account.name} ${metric.name}`).toBe(
          formatValue(metric, value('2026-11-29'), 'en'),
        );
        const line = figureLine(daily, account.open_kfid, metric.label.en);
        expect(line).toContain(`week before ${formatValue(metric, value('2026-11-22'), 'en')}`);
        // The median of the 28 days before, from the archive.
        const before = Array.from({ length: 28 }, (_, i) => value(addDays('2026-11-29', -(i + 1)))).filter((v): v is number => v !== null);
        const sorted = before.sort((a, b) => a - b);
        const median = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
        expect(line).toContain(`median ${formatValue(metric, median, 'en')}`);
      }
    }
    // The shaped account's own figures, as WeCom answered them.
    expect(shownFigure(daily, s.account, 'Reply rate')).toBe('50.0%');
    expect(shownFigure(daily, s.account, 'Average first reply')).toBe('300 s');
    expect(shownFigure(daily, s.account, 'Sessions')).toBe('1');
    // The weekly report: 7 days summed (counts) against the 7 before.
    const weekly = reports[1]!.content;
    const sessions = async (from: string, to: string) =>
      (
        await store.readDays({ source: 'acme', endpoint: 'corp', corpId: s.corpId, openKfid: s.account, servicerUserid: '' }, from, to)
      ).reduce((n, d) => n + ((d.statistic?.['session_cnt'] as number) ?? 0), 0);
    expect(shownFigure(weekly, s.account, 'Sessions')).toBe(String(await sessions('2026-11-23', '2026-11-29')));
    expect(figureLine(weekly, s.account, 'Sessions')).toContain(`week before ${await sessions('2026-11-16', '2026-11-22')}`);
    const sends = await store.notify.sends('ops');
    expect(sends.map((r) => [r.kind, r.state, r.parts, r.partsSent])).toEqual([
      ['daily', 'sent', 1, 1],
      ['weekly', 'sent', 1, 1],
    ]);
  });

  it('fires each rule once for the shaped account, naming the account, metric, value, threshold and day', async () => {
    const notices = s.sim.robots.messages(s.robots.alerts.key);
    expect(notices).toHaveLength(3);
    const text = notices.map((m) => m.content).join('\n---\n');
    expect(text).toContain('人工回复率低于 80.0%');
    expect(text).toContain('2026-11-29 人工回复率 50.0%（阈值：低于 80.0%）');
    expect(text).toContain('2026-11-29 平均首次回复时长 300 s（阈值：高于 120 s）');
    expect(text).toMatch(/2026-11-29 咨询会话数 1，较 2026-11-22 的 100下降 99\.0%（阈值：下降 50%）/);
    for (const m of notices) expect(m.content).toContain(s.account);
    // Judged again, nothing new: each fires once per series and day.
    await rt.notifier.tick();
    expect(s.sim.robots.messages(s.robots.alerts.key)).toHaveLength(3);
    expect((await store.notify.incidents('alerts')).map((i) => i.day)).toEqual(['2026-11-29', '2026-11-29', '2026-11-29']);
  });

  it('says when each clears, once, after a day back within the thresholds', async () => {
    const { corpId, account, sim } = s;
    offsetMs += DAY_MS;
    // Monday 2026-11-30: back to normal, as many sessions as the Monday before.
    const weekBefore = sim.expectedStatistic({ endpoint: 'corp', corpId, openKfid: account, date: '2026-11-23' })!;
    sim.shapeDay(
      { endpoint: 'servicer', corpId, openKfid: account, date: '2026-11-30' },
      { reply_rate: 0.95, first_reply_average_sec: 30 },
    );
    sim.shapeDay({ endpoint: 'corp', corpId, openKfid: account, date: '2026-11-30' }, { session_cnt: weekBefore['session_cnt']! });
    expect((await collectWith(rt, store)).failures).toBe(0);
    await rt.notifier.tick();
    await rt.notifier.tick();
    const cleared = s.sim.robots.messages(s.robots.alerts.key).slice(3);
    expect(cleared).toHaveLength(3);
    for (const m of cleared) {
      expect(m.content).toContain('已恢复');
      expect(m.content).toContain('自 2026-11-29 起');
    }
    expect(cleared.map((m) => m.content).join('\n')).toContain('2026-11-30 人工回复率 95.0%');
    expect(await store.notify.incidents('alerts')).toEqual([]);
    // Tuesday: the daily report only.
    expect(s.sim.robots.messages(s.robots.ops.key).map((m) => m.content.split('\n')[0])).toEqual([
      '## WeChat customer service, 2026-11-29 (Sun)',
      '## WeChat customer service, week 2026-11-23 to 2026-11-29',
      '## WeChat customer service, 2026-11-30 (Mon)',
    ]);
  });

  it('notices a source with no successful run for stalledHours, sends the report without the missing day after waiting, and clears', async () => {
    offsetMs += 27 * 3_600_000;
    await rt.notifier.tick();
    const stalled = s.sim.robots.messages(s.robots.alerts.key).slice(6);
    expect(stalled).toHaveLength(1);
    expect(stalled[0]!.content).toContain('26 小时无成功采集');
    expect(stalled[0]!.content).toMatch(/数据源 acme：上次成功采集于 .*，已 27\.\d 小时（阈值：26 小时）/);
    // 13:00: the 09:00 report waited 3 h for 2026-12-01, then went with what the archive has.
    const last = s.sim.robots.messages(s.robots.ops.key).at(-1)!.content;
    expect(last.split('\n')[0]).toBe('## WeChat customer service, 2026-12-01 (Tue)');
    expect(last).toContain('no figures for 2026-12-01 in the archive yet');
    expect((await collectWith(rt, store)).failures).toBe(0);
    await rt.notifier.tick();
    const after = s.sim.robots.messages(s.robots.alerts.key).slice(7);
    expect(after).toHaveLength(1);
    expect(after[0]!.content).toContain('已恢复');
  });

  it('marks a send whose process died as lost: logged and counted, never sent again', async () => {
    const before = s.sim.robots.messages().length;
    const id = await store.notify.claim({
      destination: 'ops',
      kind: 'notice',
      dedupe: 'notice|ops|dead-process',
      source: null,
      corpId: null,
      what: 'a notice of a process that died',
      owner: 'dead-process',
      at: now() - 20 * 60_000,
      parts: 1,
    });
    await rt.notifier.tick();
    const row = (await store.notify.sends('ops')).find((r) => r.id === id)!;
    expect(row).toMatchObject({ state: 'lost', partsSent: 0 });
    expect(rt.logs.text()).toContain('a notice of a process that died: lost');
    expect(await rt.metrics.registry.metrics()).toContain('kf_notify_sends_total{destination="ops",kind="notice",outcome="lost"} 1');
    expect(s.sim.robots.messages().length).toBe(before);
  });

  it('tries -1 and 45009 again, and stops on a refused key with one log line', async () => {
    s.sim.inject({ path: '/cgi-bin/webhook/send', kind: 'errcode', errcode: -1 });
    s.sim.inject({ path: '/cgi-bin/webhook/send', kind: 'errcode', errcode: 45009 });
    const sent = await admin('/api/v1/destinations/alerts/test', { method: 'POST' });
    expect(sent.body).toEqual({ destination: 'alerts', outcome: 'sent' });
    const rows = await store.notify.sends('alerts');
    expect(rows.at(-1)).toMatchObject({ kind: 'test', state: 'sent', attempts: 3 });
    expect(s.sim.robots.messages(s.robots.alerts.key).at(-1)!.msgtype).toBe('text');
    s.sim.robots.remove(s.robots.alerts.key);
    for (let i = 0; i < 2; i += 1) {
      const refused = await admin('/api/v1/destinations/alerts/test', { method: 'POST' });
      expect(refused.body.outcome).toMatch(/^the robot refused the webhook key \(errcode 93000/);
    }
    expect(rt.logs.text().match(/refused the webhook key/g)).toHaveLength(1);
    // A notice for it is not even tried now.
    const calls = s.sim.callCount('/cgi-bin/webhook/send');
    offsetMs += 27 * 3_600_000;
    await rt.notifier.tick();
    expect(s.sim.callCount('/cgi-bin/webhook/send')).toBe(calls + 1); // ops' daily report only
    expect((await store.notify.sends('alerts')).at(-1)).toMatchObject({
      kind: 'notice',
      state: 'failed',
      outcome: expect.stringContaining('refused'),
    });
    expect(await rt.metrics.registry.metrics()).toMatch(/kf_notify_sends_total\{destination="alerts",kind="notice",outcome="failed"\} 1/);
  });

  it('adds, lists, previews and removes destinations through admin routes; the webhook key is in no answer', async () => {
    const robot = s.sim.robots.add('canary-robot-key-7f3a9c51e2-customer');
    const made = await admin('/api/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({
        id: 'customer',
        webhook: robot.url,
        corps: [s.corpId],
        report: { daily: '09:00' },
        rules: [{ authorizationCancelled: true }],
      }),
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id: 'customer', origin: 'api', language: 'zh-CN', corps: [s.corpId] });
    expect(made.body.webhook).toBe(`${s.sim.url}/cgi-bin/webhook/send?key=***`);
    const list = await admin('/api/v1/destinations');
    expect(list.body.destinations.map((d: Json) => [d.id, d.origin])).toEqual([
      ['ops', 'config'],
      ['alerts', 'config'],
      ['customer', 'api'],
    ]);
    const preview = await admin('/api/v1/destinations/customer/preview');
    expect(preview.status).toBe(200);
    expect(preview.body.messages[0]).toMatchObject({ kind: 'daily', content: expect.stringContaining('## 微信客服日报') });
    expect(s.sim.robots.messages(robot.key)).toHaveLength(0);
    expect((await admin('/api/v1/destinations/customer/test', { method: 'POST' })).body.outcome).toBe('sent');
    // Bad input: one message naming the field; scoped and operator keys are refused.
    const bad = await admin('/api/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({ id: 'x', webhook: 'https://example.com/hook' }),
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_PARAMETER', message: expect.stringMatching(/^webhook: the group robot's webhook URL/) } },
    });
    const twoKinds = await admin('/api/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({ id: 'x', webhook: robot.url, rules: [{ metric: 'reply_rate', below: 0.8, above: 0.9 }] }),
    });
    expect(twoKinds.body.error.message).toBe('rules[0].above: one of "below", "above", "dropByPercent" per rule, not "below" and "above"');
    const elsewhere = await admin('/api/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({ id: 'x', webhook: 'http://169.254.169.254/cgi-bin/webhook/send?key=abcdefgh' }),
    });
    expect(elsewhere.body.error.message).toBe(
      `webhook: a group robot's webhook on https://qyapi.weixin.qq.com or ${s.sim.url} (WeCom's API origin)`,
    );
    const taken = await admin('/api/v1/destinations', { method: 'POST', body: JSON.stringify({ id: 'ops', webhook: robot.url }) });
    expect(taken.body.error.message).toBe('id: "ops" is a destination of the config file; choose another id');
    const read = await fetchAnswer(`${url()}/api/v1/destinations`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(read.status).toBe(403);
    expect((await admin('/api/v1/destinations/ops', { method: 'DELETE' })).body.error.message).toBe(
      'id: "ops" is a destination of the config file: remove it there',
    );
    expect((await admin('/api/v1/destinations/nobody/preview')).status).toBe(404);
    // The key is in no answer, log, metric or store row.
    const outputs = [
      made.text,
      list.text,
      preview.text,
      rt.logs.text(),
      await rt.metrics.registry.metrics(),
      await store.dump(),
      JSON.stringify(await store.notify.sends()),
    ];
    for (const text of outputs) expect(text).not.toContain('canary-robot-key-7f3a9c51e2');
    expect((await admin('/api/v1/destinations/customer', { method: 'DELETE' })).status).toBe(204);
    expect((await admin('/api/v1/destinations/customer', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('two replicas on PostgreSQL send each report and notice once', () => {
  let s: Setup;
  let postgres: TestPostgres;
  const stores: Store[] = [];
  const runtimes: Runtime[] = [];
  beforeAll(async () => {
    offsetMs = 0;
    s = await setup();
    postgres = await startPostgres();
    const location = await postgres.createDatabase();
    for (const owner of ['replica-a', 'replica-b']) {
      const store = await openStore(location, { sealKey: Buffer.from(STORE_KEY, 'base64') });
      stores.push(store);
      runtimes.push(runtimeOf(s, store, location, owner));
    }
    s.sim.shapeDay({ endpoint: 'servicer', corpId: s.corpId, openKfid: s.account, date: '2026-11-29' }, { reply_rate: 0.2 });
    expect((await collectWith(runtimes[0]!, stores[0]!)).failures).toBe(0);
  }, 120_000);
  afterAll(async () => {
    for (const rt of runtimes) await rt.close();
    for (const store of stores) await store.close();
    await s?.sim.close();
    await postgres?.stop();
  });

  it('ticking together, three times', async () => {
    for (let i = 0; i < 3; i += 1) await Promise.all(runtimes.map((rt) => rt.notifier.tick()));
    expect(s.sim.robots.messages(s.robots.ops.key).map((m) => m.content.split('\n')[0])).toEqual([
      '## WeChat customer service, 2026-11-29 (Sun)',
      '## WeChat customer service, week 2026-11-23 to 2026-11-29',
    ]);
    const notices = s.sim.robots.messages(s.robots.alerts.key);
    expect(notices.filter((m) => m.content.includes('人工回复率低于'))).toHaveLength(1);
    const sends = await stores[0]!.notify.sends();
    expect(new Set(sends.map((r) => r.state))).toEqual(new Set(['sent']));
    expect(sends.length).toBe(s.sim.robots.messages().length);
  });
});

describe("a provider's suite ticket gone stale", () => {
  it('fires once ticketMinutes after the newest ticket and clears when the next one arrives', async () => {
    offsetMs = 0;
    const sim = await startSimulator({ port: 0, now });
    const store = await openStore(tempDir('kf-ticket-'));
    try {
      const robot = sim.robots.add();
      const suiteId = sim.fixtures.suite.suiteId;
      const config = parseConfig({
        store: 'unused',
        baseUrl: sim.url,
        storeKeyEnv: 'STORE_KEY',
        sources: [
          {
            id: 'isv',
            collect: ['component'],
            auth: { type: 'serviceProvider', suiteId, suiteSecretEnv: 'S', callback: { tokenEnv: 'T', encodingAesKeyEnv: 'A' } },
          },
        ],
        notify: [{ id: 'ops', webhookEnv: 'W', language: 'en', rules: [{ ticketMinutes: 20 }] }],
      });
      const logs: string[] = [];
      const log = { info: () => {}, warn: (_: object, m: string) => logs.push(m), error: (_: object, m: string) => logs.push(m) };
      const notifier = createNotifier({
        config,
        store,
        webhooks: new Map([['ops', robot.url]]),
        providers: [
          { sourceId: 'isv', suiteId, suiteSecret: 'x', suiteTicket: undefined, callbackAuthorizations: true, callback: undefined },
        ],
        storeKey: undefined,
        owner: 'ticket-test',
        now,
        log,
        robot: { sleep: clockSleep },
      });
      await store.offerSuiteTicket(suiteId, 'sealed-1', Math.floor(now() / 1000), now());
      await notifier.tick();
      expect(sim.robots.messages(robot.key)).toHaveLength(0);
      offsetMs += 21 * 60_000;
      await notifier.tick();
      await notifier.tick();
      const fired = sim.robots.messages(robot.key);
      expect(fired).toHaveLength(1);
      expect(fired[0]!.content).toContain('suite ticket older than 20 min');
      expect(fired[0]!.content).toMatch(
        /source isv: newest suite_ticket from \S+, 21 min ago \(threshold: 20 min; WeCom pushes one every 10\)/,
      );
      await store.offerSuiteTicket(suiteId, 'sealed-2', Math.floor(now() / 1000), now());
      await notifier.tick();
      expect(
        sim.robots
          .messages(robot.key)
          .slice(1)
          .map((m) => m.content.split('\n')[0]),
      ).toEqual(['### <font color="info">Cleared</font> suite ticket older than 20 min']);
      expect(logs).toEqual([]);
    } finally {
      await store.close();
      await sim.close();
    }
  });
});

describe('messages within page 91770', () => {
  it('splits a long report at account boundaries into messages of at most 4096 bytes, which a robot takes 20 a minute', async () => {
    const day = '2026-11-29';
    const accounts: AccountDays[] = Array.from({ length: 90 }, (_, i) => ({
      account: { source: 'acme', corpId: 'wwcorp', openKfid: `wk${String(i).padStart(4, '0')}`, name: `客服账号 ${i} <b>**` },
      corp: new Map([[day, { session_cnt: i, customer_cnt: i }]]),
      servicer: new Map([[day, { session_cnt: i, reply_rate: 0.9, first_reply_average_sec: 40, satisfied_rate: 0.8 }]]),
    }));
    const messages = renderDaily('zh-CN', day, accounts);
    expect(messages.length).toBeGreaterThan(3);
    for (const m of messages) expect(Buffer.byteLength(m)).toBeLessThanOrEqual(4096);
    messages.forEach((m, i) => expect(m.split('\n')[0]).toBe(`## 微信客服日报 2026-11-29（周日） (${i + 1}/${messages.length})`));
    // Every account once, whole, in order; names cannot add markup.
    const all = messages.join('\n');
    for (const a of accounts) expect(all.split(`${a.account.openKfid} ·`)).toHaveLength(2);
    for (const m of messages) {
      const blocks = m.split('\n\n').slice(1);
      for (const b of blocks) expect(b.split('\n')).toHaveLength(1 + REPORT_METRICS.length);
    }
    expect(all).not.toContain('<b>');
    // A block larger than a message is cut at a line.
    const [single] = packMessages(() => '## t', ['x'.repeat(3000), `${'y'.repeat(3000)}\nz`]);
    expect(Buffer.byteLength(single!)).toBeLessThanOrEqual(4096);

    offsetMs = 0;
    const sim = await startSimulator({ port: 0, now });
    const store = await openStore(tempDir('kf-robot-'));
    try {
      const robot = sim.robots.add();
      const client = createRobotClient({ store, now, sleep: clockSleep });
      const started = now();
      for (const content of [...messages, ...messages, ...messages, ...messages]) {
        expect(await client.send(robot.url, { msgtype: 'markdown', content })).toMatchObject({ state: 'sent', attempts: 1 });
      }
      const at = sim.robots.messages(robot.key).map((m) => m.at);
      expect(at).toHaveLength(messages.length * 4);
      // No 45009: the client waited, at most 20 in any minute of the robot's clock.
      for (let i = 20; i < at.length; i += 1) expect(at[i]! - at[i - 20]!).toBeGreaterThan(60_000);
      expect(now() - started).toBeGreaterThan(60_000);
    } finally {
      await store.close();
      await sim.close();
    }
  });

  it('names the field of a bad destination in the config and its unset or malformed webhook variable', () => {
    const sim = { url: 'http://127.0.0.1:1', fixtures: { selfBuilt: { corpId: 'ww1' } } } as unknown as Simulator;
    const base = configFor(sim, './data', 'wk1');
    const problems = (notify: unknown) => {
      try {
        parseConfig({ ...base, notify });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems([{ id: 'a', webhook: 'https://x', webhookEnv: 'A' }])).toEqual([
      'notify[0].webhook: secrets are never written in the config: put the value in an environment variable and name it in "webhookEnv"',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', report: { daily: '25:00' } }])).toEqual([
      'notify[0].report.daily: a China time "HH:MM" from 00:00 to 23:59',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', report: { weekly: 'MONDAY 09:00' } }])).toEqual([
      'notify[0].report.weekly: a weekday and China time like "MON 09:00" (MON to SUN, 00:00 to 23:59)',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', rules: [{ metric: 'reply_rate' }] }])).toEqual([
      'notify[0].rules[0].metric: a metric rule needs one of "below", "above", "dropByPercent"',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', rules: [{ metric: 'replies', below: 1 }] }])[0]).toMatch(
      /^notify\[0\]\.rules\[0\]\.metric: one of "session_cnt"/,
    );
    expect(problems([{ id: 'a', webhookEnv: 'A', rules: [{ stalledHours: 2, ticketMinutes: 20 }] }])).toEqual([
      'notify[0].rules[0]: one kind of rule per entry, not "stalledHours" and "ticketMinutes"',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', rules: [{ ticketMinutes: 5 }] }])).toEqual([
      'notify[0].rules[0].ticketMinutes: a whole number of minutes from 11 to 1440 (WeCom pushes a ticket every 10)',
    ]);
    expect(problems([{ id: 'a', webhookEnv: 'A', sources: ['nope'] }])).toEqual([
      'notify[0].sources[0]: "nope" is not a source of this config; sources: acme',
    ]);
    expect(
      problems([
        { id: 'a', webhookEnv: 'A' },
        { id: 'a', webhookEnv: 'B' },
      ]),
    ).toEqual(['notify[1].id: "a" is already the id of notify[0]']);
    const config = parseConfig(base);
    const webhookProblems = (env: Record<string, string>) => {
      try {
        resolveWebhooks(config, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(
      webhookProblems({ ALERTS_WEBHOOK: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${CANARY_KEY}`, OPS_WEBHOOK: CANARY_KEY }),
    ).toEqual([
      "notify[0].webhookEnv: environment variable OPS_WEBHOOK is not a group robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)",
    ]);
    expect(webhookProblems({})).toEqual([
      'notify[0].webhookEnv: environment variable OPS_WEBHOOK is not set',
      'notify[1].webhookEnv: environment variable ALERTS_WEBHOOK is not set',
    ]);
    expect(metricOf('human_session_cnt').label.en).toBe('Human sessions');
  });
});
