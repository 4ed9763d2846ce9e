/**
 * A clock for the simulator and its clients that reads today's date at a fixed China hour, so a
 * run does not depend on the time of day: before 06:00 China time yesterday is not computed yet,
 * and a run that crosses China midnight would see its window move.
 */
import { CHINA_OFFSET_SECONDS, DAY_MS, dayNumberFromMs } from './china-day.js';

export interface ChinaClockOptions {
  /** China hour the clock starts at, today. @default 10 */
  hour?: number;
  /** How much faster than real time it runs. @default 1 */
  speedup?: number;
  /** The real instant that picks "today". @default Date.now() */
  realStartMs?: number;
}

/** A `now()` (epoch ms) that starts today at `hour` China time and then runs `speedup`× real time. */
export function chinaClock(options: ChinaClockOptions = {}): () => number {
  const { hour = 10, speedup = 1, realStartMs = Date.now() } = options;
  if (!(hour >= 0 && hour < 24)) throw new RangeError(`hour must be in [0, 24), got ${String(hour)}`);
  if (!(speedup > 0)) throw new RangeError(`speedup must be positive, got ${String(speedup)}`);
  const start = dayNumberFromMs(realStartMs) * DAY_MS - CHINA_OFFSET_SECONDS * 1000 + hour * 3_600_000;
  return () => start + (Date.now() - realStartMs) * speedup;
}
