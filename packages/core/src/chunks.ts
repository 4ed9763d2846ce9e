/**
 * Chunk planning. One statistics call covers at most 31 days (page 99367). Whether that means 31
 * calendar days inclusive or `end − start ≤ 31 days` is unconfirmed, so chunks span at most 31 days
 * inclusive (end = start + 30), which satisfies both readings.
 */
import { daysBetween, listDays, type ChinaDay } from './china-day.js';

import { LIMITS } from './limits.js';

const MAX_DAYS_PER_CALL = LIMITS.maxDaysPerCall;

export interface Chunk {
  from: ChinaDay;
  to: ChinaDay;
}

/**
 * The fewest chunks covering every given day (sorted ascending, unique): greedy, each chunk starts
 * at the first uncovered day and spans up to 31 days. For a contiguous range that is
 * ceil(days / 31) chunks; for scattered missing days it merges nearby gaps into one call.
 */
export function planChunks(days: readonly ChinaDay[], maxDays: number = MAX_DAYS_PER_CALL): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  for (const day of days) {
    if (current && daysBetween(current.from, day) < maxDays) {
      current.to = day;
    } else {
      current = { from: day, to: day };
      chunks.push(current);
    }
  }
  return chunks;
}

/** Consecutive chunks of at most 31 days covering `from..to` inclusive. */
export function planRangeChunks(from: ChinaDay, to: ChinaDay, maxDays: number = MAX_DAYS_PER_CALL): Chunk[] {
  return planChunks(listDays(from, to), maxDays);
}

/** The days of chunks decoded lately: every answer of a chunk needs them, and a client asks for the same chunks again and again. */
const CHUNK_DAYS = new Map<string, readonly ChinaDay[]>();
const CHUNK_DAYS_KEPT = 256;

/** The days of a chunk, in order (shared: not to be changed). */
export function chunkDays(chunk: Chunk): readonly ChinaDay[] {
  const key = `${chunk.from}|${chunk.to}`;
  let days = CHUNK_DAYS.get(key);
  if (!days) {
    days = Object.freeze(listDays(chunk.from, chunk.to));
    if (CHUNK_DAYS.size >= CHUNK_DAYS_KEPT) CHUNK_DAYS.delete(CHUNK_DAYS.keys().next().value!);
    CHUNK_DAYS.set(key, days);
  }
  return days;
}
