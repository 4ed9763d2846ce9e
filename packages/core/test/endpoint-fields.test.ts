/**
 * Each statistics endpoint has its own official field list (component: page 99367; corp: pages
 * 95489 / 95492; servicer: pages 95490 / 96433). The catalog follows it exactly, so a corp day never
 * carries always-null human-service columns, and summaries weight by the endpoint's own denominator.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OFFICIAL_FIELDS, useSimulator } from '@wecom-kf-stats/test-utils';
import { createNodeClient, type NodeKfStatsClient } from '../src/node.js';
import {
  applyFillPolicy,
  metricKeysFor,
  metricsFor,
  parseMetricSelection,
  summarizeDays,
  ValidationError,
  type StatisticsDay,
} from '../src/internal.js';

const HUMAN_SERVICE = [
  'servicer_session_cnt',
  'reply_rate',
  'first_reply_average_sec',
  'satisfaction_investgate_cnt',
  'satisfaction_participation_rate',
  'satisfied_rate',
  'middling_rate',
  'dissatisfied_rate',
];

const day = (date: string, statistic: Record<string, number | null> | null): StatisticsDay => ({ date, stat_time: 0, statistic });

describe('the catalog follows each endpoint’s official field list', () => {
  it.each(['component', 'corp', 'servicer'] as const)('metricKeysFor(%s) is exactly the official list', (endpoint) => {
    expect(metricKeysFor(endpoint)).toEqual(OFFICIAL_FIELDS[endpoint]);
    expect(metricsFor(endpoint).map((m) => m.key)).toEqual(OFFICIAL_FIELDS[endpoint]);
  });

  it('corp has no human-service metric and servicer no bot metric', () => {
    for (const key of HUMAN_SERVICE) expect(metricKeysFor('corp')).not.toContain(key);
    expect(metricKeysFor('servicer').filter((k) => k.startsWith('ai_') || k === 'servicer_session_cnt')).toEqual([]);
  });

  it('rejects reply_rate for corp statistics and says where human-service figures are', () => {
    expect(() => parseMetricSelection('corp', 'session_cnt,reply_rate')).toThrow(ValidationError);
    expect(() => parseMetricSelection('corp', 'reply_rate')).toThrow(
      /Invalid metrics: "reply_rate" \(a field of component and servicer statistics only; for an account's human service, ask servicer statistics without a servicer\)\. Allowed: metrics of corp statistics: session_cnt, /,
    );
    expect(() => parseMetricSelection('servicer', 'ai_transfer_rate')).toThrow(/"ai_transfer_rate" \(a field of corp statistics only\)/);
    expect(parseMetricSelection('servicer', 'session_cnt,reply_rate')).toEqual(['session_cnt', 'reply_rate']);
  });
});

describe('summaries and fill of an endpoint have only its own metrics', () => {
  it('a corp summary has no reply_rate, first reply or satisfaction key', () => {
    const s = summarizeDays('corp', [
      day('2026-11-01', { session_cnt: 4, ai_session_reply_cnt: 2, ai_transfer_rate: 0.5 }),
      day('2026-11-02', null),
    ]);
    expect(Object.keys(s.metrics)).toEqual(OFFICIAL_FIELDS.corp);
    expect(s.metrics).not.toHaveProperty('reply_rate');
    expect(s.notes).toEqual([]);
  });

  it('a zero-filled corp day has only corp metrics', () => {
    const [filled] = applyFillPolicy('corp', [day('2026-11-02', null)], 'zero');
    expect(Object.keys(filled!.statistic!)).toEqual(OFFICIAL_FIELDS.corp);
  });

  it('weights a component reply rate by servicer_session_cnt only, never by all sessions', () => {
    // No day carries servicer_session_cnt: the plain mean, said in a note; session_cnt (bot and human) is no weight.
    const s = summarizeDays('component', [
      day('2026-11-01', { session_cnt: 10, reply_rate: 0.2 }),
      day('2026-11-02', { session_cnt: 30, reply_rate: 0.6 }),
    ]);
    expect(s.metrics.reply_rate).toBeCloseTo(0.4);
    expect(s.notes).toContainEqual(expect.objectContaining({ metric: 'reply_rate', kind: 'unweighted' }));
  });

  it('weights a servicer reply rate by session_cnt, whatever other fields the day carries', () => {
    const s = summarizeDays('servicer', [
      day('2026-11-01', { session_cnt: 9, reply_rate: 1, first_reply_average_sec: 10, ai_session_reply_cnt: 0 }),
      day('2026-11-02', { session_cnt: 1, reply_rate: 0, first_reply_average_sec: null, ai_session_reply_cnt: 0 }),
    ]);
    expect(s.metrics.reply_rate).toBeCloseTo(0.9);
    expect(s.metrics.first_reply_average_sec).toBeCloseTo(10);
    expect(s.notes).toEqual([]);
  });
});

describe('fetched days carry exactly their endpoint’s fields', () => {
  const kf = useSimulator();
  const clients: NodeKfStatsClient[] = [];
  beforeAll(() => {});
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  function selfBuilt(): NodeKfStatsClient {
    const client = createNodeClient({
      baseUrl: kf.sim.url,
      now: kf.now,
      auth: { type: 'selfBuilt', corpId: kf.sim.fixtures.selfBuilt.corpId, corpSecret: kf.sim.fixtures.selfBuilt.corpSecret },
    });
    clients.push(client);
    return client;
  }

  it('a corp day from the simulator has no reply_rate key at all, only the corp fields', async () => {
    const openKfid = kf.sim.fixtures.accounts[0]!.open_kfid;
    const result = await selfBuilt().getStatistics({ endpoint: 'corp', openKfid, last: 30 });
    const withData = result.days.filter((d) => d.statistic !== null);
    expect(withData.length).toBeGreaterThan(10);
    for (const d of withData) {
      expect(d.statistic, d.date).not.toHaveProperty('reply_rate');
      expect(Object.keys(d.statistic!), d.date).toEqual(OFFICIAL_FIELDS.corp);
    }
    expect(Object.keys(summarizeDays('corp', result.days).metrics)).toEqual(OFFICIAL_FIELDS.corp);
  });

  it('an account’s servicer days (no servicer given) carry the human-service fields and no bot field', async () => {
    const openKfid = kf.sim.fixtures.accounts[0]!.open_kfid;
    const result = await selfBuilt().getStatistics({ endpoint: 'servicer', openKfid, last: 30 });
    const withData = result.days.filter((d) => d.statistic !== null);
    expect(withData.length).toBeGreaterThan(10);
    for (const d of withData) expect(Object.keys(d.statistic!), d.date).toEqual(OFFICIAL_FIELDS.servicer);
    expect(withData.some((d) => typeof d.statistic!.reply_rate === 'number')).toBe(true);
    expect(summarizeDays('servicer', result.days).metrics.reply_rate).toEqual(expect.any(Number));
  });
});
