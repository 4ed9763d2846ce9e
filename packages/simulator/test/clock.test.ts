import { describe, expect, it } from 'vitest';
import { chinaClock } from '../src/index.js';

describe('chinaClock', () => {
  it('starts today at the given China hour whatever the real time of day', () => {
    const justAfterChinaMidnight = Date.parse('2026-11-24T16:30:00Z'); // 00:30 on the 25th, China
    const now = chinaClock({ hour: 10, realStartMs: justAfterChinaMidnight });
    expect(new Date(now() - (Date.now() - justAfterChinaMidnight)).toISOString()).toBe('2026-11-25T02:00:00.000Z');
  });

  it('runs faster when asked', async () => {
    const now = chinaClock({ speedup: 60 });
    const first = now();
    await new Promise((r) => setTimeout(r, 50));
    expect(now() - first).toBeGreaterThanOrEqual(60 * 45);
  });
});
