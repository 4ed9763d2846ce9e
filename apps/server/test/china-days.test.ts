/**
 * The server reads China days with core's rules; what it adds is reading a day as the API takes it
 * and WeCom's limits under its own names.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DAYS_PER_CALL, MAX_RANGE_DAYS, parseDay, READY_HOUR_CHINA, STATISTICS_PATHS, WINDOW_DAYS } from '../src/china-days.js';

const NOW = Date.parse('2026-11-24T10:00:00+08:00');

describe('days as the API takes them', () => {
  it.each([
    ['2026-11-01', '2026-11-01'],
    ['yesterday', '2026-11-23'],
    ['today', '2026-11-24'],
    ['7 days ago', '2026-11-17'],
  ])('reads %s', (text, day) => {
    expect(parseDay(text, NOW)).toBe(day);
  });

  it.each(['2026-02-30', 'last week', '20261101', ''])('refuses %j', (text) => {
    expect(parseDay(text, NOW)).toBeUndefined();
  });
});

describe("WeCom's limits", () => {
  it('are the ones core keeps', () => {
    expect({ WINDOW_DAYS, MAX_DAYS_PER_CALL, MAX_RANGE_DAYS, READY_HOUR_CHINA }).toEqual({
      WINDOW_DAYS: 180,
      MAX_DAYS_PER_CALL: 31,
      MAX_RANGE_DAYS: 3660,
      READY_HOUR_CHINA: 6,
    });
    expect(STATISTICS_PATHS).toEqual(['/cgi-bin/kf/get_statistic', '/cgi-bin/kf/get_corp_statistic', '/cgi-bin/kf/get_servicer_statistic']);
  });
});
