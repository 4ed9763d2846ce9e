import { describe, expect, it } from 'vitest';
import { applyFillPolicy, METRICS, metricsFor, summarizeDays, type StatisticsDay } from '../src/internal.js';

const day = (date: string, statistic: Record<string, number | null> | null): StatisticsDay => ({ date, stat_time: 0, statistic });

describe('summaries over a range', () => {
  const days = [
    day('2026-11-01', {
      session_cnt: 10,
      servicer_session_cnt: 8,
      reply_rate: 0.5,
      first_reply_average_sec: 30,
      satisfaction_investgate_cnt: 10,
      satisfaction_participation_rate: 0.5,
      satisfied_rate: 1,
      middling_rate: 0,
      dissatisfied_rate: 0,
    }),
    day('2026-11-02', null),
    day('2026-11-03', {
      session_cnt: 5,
      servicer_session_cnt: 2,
      reply_rate: 1,
      first_reply_average_sec: 90,
      satisfaction_investgate_cnt: 10,
      satisfaction_participation_rate: 0.1,
      satisfied_rate: 0,
      middling_rate: 0,
      dissatisfied_rate: 1,
    }),
    day('2026-11-04', {
      session_cnt: 1,
      servicer_session_cnt: 0,
      reply_rate: null,
      first_reply_average_sec: null,
      satisfaction_investgate_cnt: 0,
      satisfaction_participation_rate: null,
      satisfied_rate: null,
      middling_rate: null,
      dissatisfied_rate: null,
    }),
  ];
  const summary = summarizeDays('component', days);

  it('sums counts over the days with data', () => {
    expect(summary.metrics.session_cnt).toBe(16);
    expect(summary.metrics.servicer_session_cnt).toBe(10);
    expect(summary).toMatchObject({ from: '2026-11-01', to: '2026-11-04', dayCount: 4, daysWithData: 3 });
  });

  it('weights reply_rate by human sessions', () => {
    // (0.5×8 + 1×2) / 10 answered share = 0.6, not the plain mean 0.75
    expect(summary.metrics.reply_rate).toBeCloseTo(0.6);
  });

  it('weights the first reply time by answered sessions', () => {
    // answered: 4 and 2 → (30×4 + 90×2) / 6 = 50
    expect(summary.metrics.first_reply_average_sec).toBeCloseTo(50);
  });

  it('weights satisfaction shares by ratings given', () => {
    // ratings: 5 and 1 → satisfied (1×5 + 0×1)/6
    expect(summary.metrics.satisfied_rate).toBeCloseTo(5 / 6);
    expect(summary.metrics.dissatisfied_rate).toBeCloseTo(1 / 6);
    expect(summary.metrics.satisfaction_participation_rate).toBeCloseTo(0.3);
  });

  it('leaves a metric null when no day had it', () => {
    expect(summarizeDays('component', [day('2026-11-02', null)]).metrics.reply_rate).toBeNull();
    expect(summarizeDays('component', []).metrics.session_cnt).toBeNull();
  });

  it('falls back to the plain mean, and says so, when no day has a weight', () => {
    const s = summarizeDays('component', [day('2026-11-01', { reply_rate: 0.2 }), day('2026-11-02', { reply_rate: 0.4 })]);
    expect(s.metrics.reply_rate).toBeCloseTo(0.3);
    expect(s.notes).toEqual([
      { metric: 'reply_rate', kind: 'unweighted', message: expect.stringMatching(/^reply_rate: no day had a weight/) },
    ]);
  });

  it('documents the approximate knowledge hit rate', () => {
    const s = summarizeDays('corp', [day('2026-11-01', { ai_knowledge_hit_rate: 0.5, ai_session_reply_cnt: 4 })]);
    expect(s.notes).toEqual([
      {
        metric: 'ai_knowledge_hit_rate',
        kind: 'approximate',
        message: expect.stringMatching(/^ai_knowledge_hit_rate: weighted by ai_session_reply_cnt/),
      },
    ]);
  });
});

describe('servicer summaries', () => {
  it('weights a servicer reply rate by its sessions, which are all human', () => {
    const s = summarizeDays('servicer', [
      day('2026-11-01', { session_cnt: 9, reply_rate: 1, first_reply_average_sec: 10 }),
      day('2026-11-02', { session_cnt: 1, reply_rate: 0, first_reply_average_sec: null }),
    ]);
    expect(s.metrics.reply_rate).toBeCloseTo(0.9);
    expect(s.metrics.first_reply_average_sec).toBeCloseTo(10);
    expect(s.notes).toEqual([]);
  });
});

describe('fill policies', () => {
  const days = [day('2026-11-01', { session_cnt: 2, reply_rate: 1 }), day('2026-11-02', null)];
  it('keeps no-data days as null by default', () => {
    expect(applyFillPolicy('component', days, 'null')[1]!.statistic).toBeNull();
  });
  it('zeros only the counts of a no-data day', () => {
    const filled = applyFillPolicy('component', days, 'zero')[1]!.statistic!;
    expect(filled.session_cnt).toBe(0);
    expect(filled.reply_rate).toBeNull();
  });
  it('omits no-data days', () => {
    expect(applyFillPolicy('component', days, 'omit').map((d) => d.date)).toEqual(['2026-11-01']);
  });
});

describe('the metric catalog', () => {
  it('has unique keys, two labels and a Grafana unit per kind', () => {
    expect(new Set(METRICS.map((m) => m.key)).size).toBe(METRICS.length);
    for (const m of METRICS) {
      expect(m.label.en).not.toBe('');
      expect(m.label.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(m.unit).toBe({ count: 'short', ratio: 'percentunit', seconds: 's' }[m.kind]);
      expect(m.aggregation.type).toBe(m.kind === 'count' ? 'sum' : 'weighted');
    }
  });
  it('lists the corp-only and servicer-only metrics only for their endpoints', () => {
    expect(metricsFor('component').map((m) => m.key)).not.toContain('ai_transfer_rate');
    expect(metricsFor('corp').map((m) => m.key)).toContain('ai_knowledge_hit_rate');
    expect(metricsFor('servicer').map((m) => m.key)).toContain('upgrade_service_groupchat_customer_cnt');
    expect(metricsFor('component')).toHaveLength(13);
  });
});
