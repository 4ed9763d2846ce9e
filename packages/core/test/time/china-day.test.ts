import { describe, expect, it } from 'vitest';
import {
  addDays,
  chinaDayOfEpochMs,
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  daysBetween,
  floorToChinaMidnight,
  isChinaDay,
  listDays,
  parseDayInput,
  ValidationError,
} from '../../src/internal.js';

const at = (iso: string) => Date.parse(iso);

describe(`China days (host TZ=${process.env.TZ})`, () => {
  it('runs under the time zone this project asked for', () => {
    expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe(process.env.TZ);
  });

  it.each([
    ['2026-11-23T23:59:59+08:00', '2026-11-23'],
    ['2026-11-24T00:00:00+08:00', '2026-11-24'],
    ['2026-11-23T16:00:00Z', '2026-11-24'],
    ['2026-11-23T15:59:59.999Z', '2026-11-23'],
    ['2024-02-29T00:00:00+08:00', '2024-02-29'],
    ['2024-02-28T23:59:59+08:00', '2024-02-28'],
    ['2024-03-01T00:00:00+08:00', '2024-03-01'],
    ['2025-12-31T23:59:59+08:00', '2025-12-31'],
    ['2026-01-01T00:00:00+08:00', '2026-01-01'],
    ['2025-12-31T16:00:00Z', '2026-01-01'],
    ['2026-03-08T02:30:00-08:00', '2026-03-08'],
    ['2026-11-01T01:30:00-07:00', '2026-11-01'],
    ['2019-04-03T21:00:00+08:00', '2019-04-03'],
  ])('the instant %s falls on China day %s', (iso, day) => {
    expect(chinaDayOfEpochMs(at(iso))).toBe(day);
    expect(chinaDayOfEpochSeconds(Math.floor(at(iso) / 1000))).toBe(day);
  });

  it.each([
    ['2019-04-03', 1554220800],
    ['2024-02-29', 1709136000],
    ['2026-01-01', 1767196800],
    ['1970-01-02', 57600],
  ])('China midnight of %s is unix second %i', (day, seconds) => {
    expect(chinaMidnightEpochSeconds(day)).toBe(seconds);
    expect(chinaDayOfEpochSeconds(seconds)).toBe(day);
  });

  it('floors a non-midnight time to its China midnight like WeCom (page 99367 example)', () => {
    expect(floorToChinaMidnight(1554296400)).toBe(1554220800);
    expect(floorToChinaMidnight(1554220800)).toBe(1554220800);
    expect(floorToChinaMidnight(1554220799)).toBe(1554220800 - 86400);
  });

  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-29', 1, '2024-03-01'],
    ['2023-02-28', 1, '2023-03-01'],
    ['2025-12-31', 1, '2026-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-11-24', -180, '2026-05-28'],
    ['2026-01-31', 31, '2026-03-03'],
  ])('%s plus %i days is %s', (day, n, expected) => {
    expect(addDays(day, n)).toBe(expected);
    expect(daysBetween(day, expected)).toBe(n);
  });

  it('lists both ends of a range across a leap day and a year end', () => {
    expect(listDays('2024-02-27', '2024-03-02')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    expect(listDays('2025-12-30', '2026-01-02')).toHaveLength(4);
    expect(listDays('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it.each(['2023-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '26-01-01', '2026-1-1', ''])('rejects %j as a day', (text) => {
    expect(isChinaDay(text)).toBe(false);
  });

  describe('parsing what users type', () => {
    // 2026-11-24 00:30 China time = 2026-11-23 16:30 UTC: the host's local date may still be the 23rd.
    const now = at('2026-11-23T16:30:00Z');
    it.each<[unknown, string]>([
      ['2026-11-01', '2026-11-01'],
      ['  2026-11-01 ', '2026-11-01'],
      ['yesterday', '2026-11-23'],
      ['Today', '2026-11-24'],
      ['7 days ago', '2026-11-17'],
      ['1 day ago', '2026-11-23'],
      ['today-3', '2026-11-21'],
      ['-2d', '2026-11-22'],
      [new Date('2026-11-23T16:00:00Z'), '2026-11-24'],
      [1763913600, '2025-11-24'],
      [1763913600000, '2025-11-24'],
      ['1763913600', '2025-11-24'],
      ['2026-11-01T23:30:00+08:00', '2026-11-01'],
      ['2026-11-01T23:30:00Z', '2026-11-02'],
      ['2026-11-01 07:59:59-08:00', '2026-11-01'],
      ['2026-11-01 08:00:00-08:00', '2026-11-02'],
    ])('%j is China day %s', (input, day) => {
      expect(parseDayInput(input, 'from', now)).toBe(day);
    });

    it('tells yesterday from the China calendar, not the host calendar, just after China midnight', () => {
      expect(parseDayInput('yesterday', 'from', at('2026-11-23T16:00:00Z'))).toBe('2026-11-23');
      expect(parseDayInput('yesterday', 'from', at('2026-11-23T15:59:59Z'))).toBe('2026-11-22');
    });

    it.each<[unknown, RegExp]>([
      ['2026-02-30', /Invalid from: "2026-02-30" \(no such calendar date\)/],
      ['next tuesday', /Invalid from: "next tuesday"\. Allowed: YYYY-MM-DD/],
      [new Date(Number.NaN), /Invalid from: Invalid Date \(the Date is invalid\)/],
      [-5, /Invalid from: -5 \(not a valid epoch value\)/],
      [Number.POSITIVE_INFINITY, /Invalid from: Infinity/],
      [{}, /Invalid from: \{\}/],
      ['', /Invalid from: "" \(it is empty\)/],
    ])('rejects %j with a message naming the field', (input, message) => {
      expect(() => parseDayInput(input, 'from', now)).toThrow(ValidationError);
      expect(() => parseDayInput(input, 'from', now)).toThrow(message);
    });
  });
});

describe('day arithmetic agrees with the calendar', () => {
  it('matches Date for every day from 1970 to 2100', () => {
    const mismatches: string[] = [];
    for (let ms = 0; ms <= Date.UTC(2100, 11, 31); ms += 86_400_000) {
      // 04:00 UTC is 12:00 China time: the China day is that same calendar date.
      const expected = new Date(ms).toISOString().slice(0, 10);
      if (chinaDayOfEpochMs(ms + 4 * 3600_000) !== expected) mismatches.push(expected);
    }
    expect(mismatches).toEqual([]);
  });

  it('reads every date from 1600 to 2400 back to its place, and refuses every date that does not exist', () => {
    const epoch = '1970-01-01';
    const mismatches: string[] = [];
    for (let ms = Date.UTC(1600, 0, 1); ms <= Date.UTC(2400, 11, 31); ms += 86_400_000) {
      const day = new Date(ms).toISOString().slice(0, 10);
      if (!isChinaDay(day) || daysBetween(epoch, day) !== ms / 86_400_000) mismatches.push(day);
    }
    for (const year of [1900, 2000, 2023, 2024, 2100]) {
      for (let month = 1; month <= 12; month += 1) {
        const mm = String(month).padStart(2, '0');
        for (let date = 28; date <= 32; date += 1) {
          const day = `${year}-${mm}-${date}`;
          const real = new Date(Date.UTC(year, month - 1, date)).getUTCDate() === date;
          if (isChinaDay(day) !== real) mismatches.push(day);
        }
      }
    }
    for (const odd of ['2026-0a-01', '2026-01-0 ', '2026/01/01', '+2026-01-1', '2026-01-01 ', ' 2026-01-1']) {
      if (isChinaDay(odd)) mismatches.push(odd);
    }
    expect(mismatches).toEqual([]);
  });
});
