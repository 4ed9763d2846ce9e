/**
 * The server API's contract (`@wecom-kf-stats/core/server-api`) and the archive's range and
 * readiness rules (`@wecom-kf-stats/core/days`): what the server and its clients share.
 */
import { describe, expect, it } from 'vitest';
import { addDays, chinaToday, isFinishedDay, resolveArchiveRange } from '../src/days.js';
import { ValidationError } from '../src/errors.js';
import { answers, parseAnswer, queries } from '../src/server-api.js';

const NOW = Date.parse('2026-12-03T04:00:00Z'); // 12:00 China time
const yesterday = addDays(chinaToday(NOW), -1);

describe('the archive range', () => {
  it('takes what the CLI takes, with no 180-day floor', () => {
    expect(resolveArchiveRange({ last: '7d' }, NOW)).toMatchObject({ from: addDays(yesterday, -6), to: yesterday, dayCount: 7 });
    expect(resolveArchiveRange({ last: 400 }, NOW)).toMatchObject({ from: addDays(yesterday, -399), dayCount: 400, warnings: [] });
    expect(resolveArchiveRange({ from: addDays(yesterday, -2) }, NOW)).toMatchObject({ to: yesterday, dayCount: 3 });
    expect(resolveArchiveRange({}, NOW)).toMatchObject({ from: yesterday, to: yesterday });
  });
  it('cuts days after yesterday with a warning and refuses what cannot be a range', () => {
    const later = resolveArchiveRange({ from: yesterday, to: addDays(yesterday, 3) }, NOW);
    expect(later).toMatchObject({ to: yesterday, requested: { to: addDays(yesterday, 3) }, warnings: [{ code: 'RANGE_CLAMPED' }] });
    expect(() => resolveArchiveRange({ from: chinaToday(NOW) }, NOW)).toThrow(ValidationError);
    expect(() => resolveArchiveRange({ from: '2000-01-01', to: yesterday }, NOW)).toThrow(/at most 3660 days/);
    expect(() => resolveArchiveRange({ last: 3661 }, NOW)).toThrow(/last/);
  });
});

describe('the readiness rule', () => {
  it('waits one more day for a day fetched without data', () => {
    const day = '2026-12-01';
    const nextMorning = Date.parse('2026-12-01T22:00:00Z'); // 06:00 China time on 12-02
    expect(isFinishedDay(day, true, nextMorning)).toBe(true);
    expect(isFinishedDay(day, false, nextMorning)).toBe(false);
    expect(isFinishedDay(day, false, nextMorning + 86_400_000)).toBe(true);
    expect(isFinishedDay(day, true, nextMorning - 1)).toBe(false);
  });
});

describe('the contract', () => {
  it('refuses unknown, repeated, empty and control-character parameters, naming why', () => {
    const issues = (
      schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string; code: string }[] } } },
      value: unknown,
    ) => schema.safeParse(value).error?.issues.map((i) => `${String(i.path[0] ?? i.code)}: ${i.message}`);
    expect(queries.accounts.safeParse({ source: 'acme' }).success).toBe(true);
    expect(issues(queries.accounts, {})).toEqual(['source: required: a source id (GET /api/v1/sources lists them)']);
    expect(issues(queries.accounts, { source: ['a', 'b'] })).toEqual(['source: given more than once']);
    expect(issues(queries.accounts, { source: 'a\u0000b' })).toEqual([
      'source: contains a control character or bytes that are not UTF-8 text',
    ]);
    expect(issues(queries.accounts, { source: 'x'.repeat(129) })).toEqual([
      "source: 129 characters; at most 128 (WeCom's ids are at most 64)",
    ]);
    expect(issues(queries.series, { source: 'acme', endpoint: 'daily' })).toEqual([
      'endpoint: "daily" is not one of "component", "corp", "servicer"',
    ]);
    expect(queries.sources.safeParse({ x: '1' }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['x'] });
  });
  it("keeps the fields WeCom adds to a day's statistic, and names where an answer breaks the contract", () => {
    const day = { date: yesterday, stat_time: 1, statistic: { session_cnt: 3, field_wecom_added: 'kept' } };
    const answer = { source: 's', corpid: 'c', endpoint: 'corp', from: yesterday, to: yesterday, days: [day], warnings: [] };
    expect(parseAnswer(answers.statistics, answer)).toEqual({ value: answer });
    expect(parseAnswer(answers.sources, { sources: [{ id: 1 }] })).toEqual({
      problem: 'sources.0.id: Invalid input: expected string, received number',
    });
  });
});
