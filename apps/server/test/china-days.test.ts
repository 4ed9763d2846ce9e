import { describe, expect, it } from 'vitest';
import {
  addDays,
  chinaDayOfEpochMs,
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  chinaToday,
  daysBetween,
  describeDays,
  listDays,
  parseDay,
  planChunks,
  statisticsWindow,
} from '../src/china-days.js';

describe('China days', () => {
  it('takes today from UTC+8, whatever the host time zone', () => {
    expect(chinaToday(Date.parse('2026-06-01T15:59:59Z'))).toBe('2026-06-01');
    expect(chinaToday(Date.parse('2026-06-01T16:00:00Z'))).toBe('2026-06-02');
  });
  it('keys a day by its China midnight, as WeCom does (page 99367: 1554220800 is 2019-04-03)', () => {
    expect(chinaMidnightEpochSeconds('2019-04-03')).toBe(1554220800);
    expect(chinaDayOfEpochSeconds(1554220800)).toBe('2019-04-03');
    expect(chinaDayOfEpochSeconds(1554296400)).toBe('2019-04-03');
    expect(chinaDayOfEpochMs(1554220800 * 1000 - 1)).toBe('2019-04-02');
    expect(chinaDayOfEpochMs(Date.parse('1969-12-31T16:00:00Z'))).toBe('1970-01-01');
  });
  it('has a window from 180 days ago to yesterday', () => {
    expect(statisticsWindow(Date.parse('2026-06-01T02:00:00Z'))).toEqual({ oldest: '2025-12-03', newest: '2026-05-31' });
  });
  it('adds and counts days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(daysBetween('2026-01-01', '2026-12-31')).toBe(364);
    expect(listDays('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
  it.each([
    ['2026-02-28', '2026-02-28'],
    [' 2026-02-28 ', '2026-02-28'],
    ['yesterday', '2026-05-31'],
    ['today', '2026-06-01'],
    ['3 days ago', '2026-05-29'],
    ['2026-02-29', undefined],
    ['2026-6-1', undefined],
    ['soon', undefined],
  ])('reads %j as %s', (text, day) => {
    expect(parseDay(text, Date.parse('2026-06-01T02:00:00Z'))).toBe(day);
  });
  it('plans the fewest ≤31-day chunks, merging nearby gaps', () => {
    expect(planChunks(listDays('2026-01-01', '2026-06-29'))).toHaveLength(6);
    expect(planChunks(['2026-01-01', '2026-01-05', '2026-01-31', '2026-02-01'])).toEqual([
      { from: '2026-01-01', to: '2026-01-31' },
      { from: '2026-02-01', to: '2026-02-01' },
    ]);
    expect(planChunks([])).toEqual([]);
  });
  it('describes runs of days', () => {
    expect(describeDays(['2026-01-01', '2026-01-02', '2026-01-05'])).toBe('2026-01-01..2026-01-02, 2026-01-05');
    expect(describeDays([])).toBe('none');
  });
});
