/** The n8n node's pure parts, from their sources: item shapes and parameter names in errors. */
import { describe, expect, it } from 'vitest';
import { ValidationError, type StatisticsSummary } from '@wecom-kf-stats/core';
import { validationMessage } from '../nodes/WecomKfStats/errors';
import { dayItem, summaryItem, warningsForDay } from '../nodes/WecomKfStats/items';

describe('day items', () => {
  const day = { date: '2026-11-01', stat_time: 1793462400, statistic: { session_cnt: 4, brand_new_cnt: 2 } };

  it('carry the picked metrics by key, null when absent, and unknown fields when nothing was picked', () => {
    expect(dayItem(day, true, ['session_cnt', 'customer_cnt'], true, 'key', { openKfid: 'wk1' })).toEqual({
      date: '2026-11-01',
      stat_time: 1793462400,
      has_data: true,
      session_cnt: 4,
      customer_cnt: null,
      brand_new_cnt: 2,
      open_kfid: 'wk1',
    });
  });

  it('name metrics in Chinese on request', () => {
    expect(dayItem(day, true, ['session_cnt'], false, 'zh', {})).toMatchObject({ 咨询会话数: 4 });
  });
});

describe('summary items', () => {
  it('carry the notes as messages', () => {
    const summary: StatisticsSummary = {
      endpoint: 'corp',
      from: '2026-11-01',
      to: '2026-11-02',
      dayCount: 2,
      daysWithData: 1,
      metrics: { ai_knowledge_hit_rate: 0.5 },
      notes: [{ metric: 'ai_knowledge_hit_rate', kind: 'approximate', message: 'ai_knowledge_hit_rate: weighted by bot sessions.' }],
    };
    expect(summaryItem(summary, ['ai_knowledge_hit_rate'], 'key', {})).toMatchObject({
      ai_knowledge_hit_rate: 0.5,
      notes: ['ai_knowledge_hit_rate: weighted by bot sessions.'],
    });
  });
});

describe('warnings and errors', () => {
  it('give each day its own warnings and the range-wide ones', () => {
    const warnings = [
      { code: 'RANGE_CLAMPED' as const, message: 'clamped' },
      { code: 'NEGATIVE_VALUE' as const, message: 'negative', days: ['2026-11-02'] },
    ];
    expect(warningsForDay(warnings, '2026-11-01')).toEqual(['clamped']);
    expect(warningsForDay(warnings, '2026-11-02')).toEqual(['clamped', 'negative']);
  });

  it('name the parameter as the node shows it', () => {
    expect(validationMessage(new ValidationError('to', '2026-11-01', 'a day on or after from'))).toBe(
      'Invalid parameter "To Date" (toDate): "2026-11-01". Allowed: a day on or after from.',
    );
    expect(validationMessage(new ValidationError('options.auth.corpId', ' ', 'a corp id'))).toBe(
      'Invalid credential field "Corp ID" (corpId): " ". Allowed: a corp id.',
    );
  });
});
