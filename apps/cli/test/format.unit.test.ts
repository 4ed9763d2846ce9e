/** The CLI's pure parts, from their sources: columns, rendering, and usage errors by field. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ValidationError, type StatisticsDay } from '@wecom-kf-stats/core';
import { columnsFor, renderStatistics, type StatisticsOutput } from '../src/format.js';
import { usageErrorFrom } from '../src/usage-error.js';

const days: StatisticsDay[] = [
  { date: '2026-11-01', stat_time: 1793462400, statistic: { session_cnt: 4, brand_new_cnt: 2 } },
  { date: '2026-11-02', stat_time: 1793548800, statistic: null },
];

describe('columns', () => {
  it('are the picked metrics, then fields the catalog does not know, sorted', () => {
    expect(columnsFor(days, ['session_cnt', 'customer_cnt'], false)).toEqual(['session_cnt', 'customer_cnt', 'brand_new_cnt']);
  });

  it('are exactly the picked keys when picked explicitly', () => {
    expect(columnsFor(days, ['brand_new_cnt'], true)).toEqual(['brand_new_cnt']);
  });
});

describe('rendering', () => {
  const output: StatisticsOutput = {
    result: { endpoint: 'corp', from: '2026-11-01', to: '2026-11-02', requested: { from: '2026-11-01', to: '2026-11-02' } },
    days,
    columns: ['session_cnt', 'brand_new_cnt'],
    warnings: [],
  };

  it('writes CSV with empty cells for a day without data', () => {
    expect(parse(renderStatistics(output, 'csv'), { columns: true })).toEqual([
      { date: '2026-11-01', stat_time: '1793462400', session_cnt: '4', brand_new_cnt: '2' },
      { date: '2026-11-02', stat_time: '1793548800', session_cnt: '', brand_new_cnt: '' },
    ]);
  });

  it('labels an unknown field by its key in a table, and a day without data as such', () => {
    const table = renderStatistics(output, 'table');
    expect(table).toMatch(/Sessions\s+│\s+brand_new_cnt/);
    expect(table).toMatch(/2026-11-02\s+│\s+no data/);
  });
});

describe('usage errors', () => {
  it('name the flag or variable the user typed, from the error’s fields', () => {
    expect(usageErrorFrom(new ValidationError('servicerUserid', 'u1', 'a servicer only with endpoint "servicer"')).message).toBe(
      'Invalid --servicer: "u1". Allowed: a servicer only with endpoint "servicer".',
    );
    expect(usageErrorFrom(new ValidationError('options.auth.corpSecret', 'CANARY-xyz-123456', 'the app secret')).message).toBe(
      'Invalid WECOM_CORP_SECRET: [redacted]. Allowed: the app secret.',
    );
  });
});
