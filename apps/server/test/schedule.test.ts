import { describe, expect, it } from 'vitest';
import { chinaToday, listDays, parseDay } from '../src/china-days.js';
import { nextDailyRun } from '../src/schedule.js';

const at = (iso: string) => Date.parse(iso);

describe('the daily run at a China time', () => {
  it.each([
    // 06:30 China time is 22:30 UTC the day before.
    ['2026-06-01T10:00:00Z', '06:30', '2026-06-01T22:30:00.000Z'],
    ['2026-06-01T22:29:59Z', '06:30', '2026-06-01T22:30:00.000Z'],
    ['2026-06-01T22:30:00Z', '06:30', '2026-06-02T22:30:00.000Z'],
    ['2026-06-01T15:59:00Z', '00:00', '2026-06-01T16:00:00.000Z'],
    ['2026-06-01T16:00:00Z', '23:59', '2026-06-02T15:59:00.000Z'],
    ['2026-12-31T23:00:00Z', '06:30', '2027-01-01T22:30:00.000Z'],
  ])('after %s, "%s" China time is %s', (now, dailyAt, next) => {
    expect(new Date(nextDailyRun(dailyAt, at(now))).toISOString()).toBe(next);
  });

  it.each(['UTC', 'Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'])(
    'gives the same instants with TZ=%s',
    (tz) => {
      const saved = process.env.TZ;
      process.env.TZ = tz;
      try {
        expect(new Date(nextDailyRun('06:30', at('2026-03-08T09:00:00Z'))).toISOString()).toBe('2026-03-08T22:30:00.000Z');
        expect(chinaToday(at('2026-06-01T16:00:00Z'))).toBe('2026-06-02');
        expect(parseDay('yesterday', at('2026-06-01T16:00:00Z'))).toBe('2026-06-01');
        expect(listDays('2026-03-07', '2026-03-09')).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    },
  );
});
