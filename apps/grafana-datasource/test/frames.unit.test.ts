/** The plugin's pure parts, from their sources: notices and frames from a result. */
import { describe, expect, it } from 'vitest';
import type { StatisticsResult } from '@wecom-kf-stats/core';
import { buildFrame, warningNotices } from '../src/frames';

const result: StatisticsResult = {
  endpoint: 'corp',
  from: '2026-11-01',
  to: '2026-11-02',
  requested: { from: '2026-11-01', to: '2026-11-02' },
  days: [
    { date: '2026-11-01', stat_time: 1793462400, statistic: { session_cnt: 4, ai_session_reply_cnt: 0, ai_knowledge_hit_rate: 0.5 } },
    { date: '2026-11-02', stat_time: 1793548800, statistic: null },
  ],
  warnings: [{ code: 'NEGATIVE_VALUE', message: 'session_cnt is negative', days: ['2026-11-01'] }],
  stats: { chunks: 1, cachedDays: 0, fetchedDays: 2, sharedDays: 0 },
};

describe('notices', () => {
  it('show odd values as warnings and a clamped range as information', () => {
    expect(warningNotices([...result.warnings, { code: 'RANGE_CLAMPED', message: 'clamped' }])).toEqual([
      { severity: 'warning', text: 'session_cnt is negative' },
      { severity: 'info', text: 'clamped' },
    ]);
  });
});

describe('frames', () => {
  const base = {
    refId: 'A',
    metrics: ['session_cnt'],
    format: 'time_series' as const,
    aggregation: 'daily' as const,
    language: 'en' as const,
  };

  it('fill a day without data with zero counts when asked, keeping only the picked metrics', () => {
    const frame = buildFrame(result, { ...base, fillPolicy: 'zero' });
    expect(frame.fields.map((f) => f.name)).toEqual(['Time', 'session_cnt']);
    expect(frame.fields[1]!.config.displayName).toBe('Sessions');
    expect(frame.fields[1]!.values).toEqual([4, 0]);
  });

  it('turn a summary note into an information notice', () => {
    const frame = buildFrame(result, { ...base, metrics: ['ai_knowledge_hit_rate'], aggregation: 'total', fillPolicy: 'null' });
    expect(frame.meta?.notices).toContainEqual({ severity: 'info', text: expect.stringMatching(/^ai_knowledge_hit_rate: /) });
  });
});
