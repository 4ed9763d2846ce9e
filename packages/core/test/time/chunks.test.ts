import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, listDays, planChunks, planRangeChunks, resolveRange } from '../../src/internal.js';

/** A small deterministic PRNG so the property checks are repeatable. */
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`chunk planning (host TZ=${process.env.TZ})`, () => {
  it.each([
    [1, 1],
    [30, 1],
    [31, 1],
    [32, 2],
    [62, 2],
    [63, 3],
    [180, 6],
  ])('%i days need %i chunks', (days, expected) => {
    expect(planRangeChunks('2026-05-28', addDays('2026-05-28', days - 1))).toHaveLength(expected);
  });

  it('splits 180 days into five chunks of 31 and one of 25, back to back', () => {
    const chunks = planRangeChunks('2026-05-28', '2026-11-23');
    expect(chunks.map((c) => daysBetween(c.from, c.to) + 1)).toEqual([31, 31, 31, 31, 31, 25]);
    for (let i = 1; i < chunks.length; i += 1) expect(addDays(chunks[i - 1]!.to, 1)).toBe(chunks[i]!.from);
  });

  it('crosses a leap day and a year end without losing a day', () => {
    const chunks = planRangeChunks('2023-12-15', '2024-03-15');
    expect(chunks[0]).toEqual({ from: '2023-12-15', to: '2024-01-14' });
    expect(chunks.at(-1)!.to).toBe('2024-03-15');
    expect(chunks.flatMap((c) => listDays(c.from, c.to))).toEqual(listDays('2023-12-15', '2024-03-15'));
  });

  it('covers every day of 500 random ranges exactly once with ceil(days/31) chunks of at most 31 days', () => {
    const random = mulberry32(20261124);
    for (let i = 0; i < 500; i += 1) {
      const from = addDays('2025-01-01', Math.floor(random() * 700));
      const to = addDays(from, Math.floor(random() * 400));
      const chunks = planRangeChunks(from, to);
      const covered = chunks.flatMap((c) => listDays(c.from, c.to));
      expect(covered).toEqual(listDays(from, to));
      expect(chunks).toHaveLength(Math.ceil((daysBetween(from, to) + 1) / 31));
      for (const c of chunks) expect(daysBetween(c.from, c.to)).toBeLessThanOrEqual(30);
    }
  });

  it('covers 500 random sets of scattered days with the fewest chunks, each day once', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 500; i += 1) {
      const all = listDays('2026-05-28', '2026-11-23');
      const days = all.filter(() => random() < 0.2 + random() * 0.5);
      const chunks = planChunks(days);
      for (const day of days) expect(chunks.filter((c) => daysBetween(c.from, day) >= 0 && daysBetween(day, c.to) >= 0)).toHaveLength(1);
      for (const c of chunks) {
        expect(daysBetween(c.from, c.to)).toBeLessThanOrEqual(30);
        expect(days).toContain(c.from);
        expect(days).toContain(c.to);
      }
      // Greedy lower bound: no two chunk starts lie within 31 days of each other.
      for (let k = 1; k < chunks.length; k += 1) expect(daysBetween(chunks[k - 1]!.from, chunks[k]!.from)).toBeGreaterThanOrEqual(31);
    }
  });

  it('merges two gaps five days apart into one call', () => {
    const days = [...listDays('2026-10-01', '2026-10-05'), ...listDays('2026-10-11', '2026-10-20')];
    expect(planChunks(days)).toEqual([{ from: '2026-10-01', to: '2026-10-20' }]);
  });

  it('turns a range typed at 23:59 and 00:00 China time into the right window', () => {
    const before = Date.parse('2026-11-23T23:59:00+08:00');
    const after = Date.parse('2026-11-24T00:00:00+08:00');
    expect(resolveRange({ last: 1 }, before)).toMatchObject({ from: '2026-11-22', to: '2026-11-22' });
    expect(resolveRange({ last: 1 }, after)).toMatchObject({ from: '2026-11-23', to: '2026-11-23' });
    expect(resolveRange({ last: 180 }, after)).toMatchObject({ from: '2026-05-28', to: '2026-11-23', dayCount: 180 });
  });
});
