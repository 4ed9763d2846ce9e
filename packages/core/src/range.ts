/**
 * Turning what a user asked for into a China-day range inside WeCom's window.
 * Window (WECOM-API.md §2, page 99367): both ends between 180 days ago and yesterday, China time.
 */
import {
  addDays,
  chinaToday,
  daysBetween,
  parseDayInput,
  type ChinaDay,
  type DayInput,
} from './china-day.js';
import { ValidationError } from './errors.js';
import type { StatsWarning } from './warnings.js';

/** How far back WeCom answers: today − 180 (page 99367). */
export const OLDEST_DAY_OFFSET = 180;

export type WindowPolicy = 'clamp' | 'strict';

export interface RangeInput {
  /** First day, inclusive. */
  from?: DayInput;
  /** Last day, inclusive; defaults to yesterday. */
  to?: DayInput;
  /** The last N full days, ending yesterday (instead of from/to). */
  last?: number | string;
}

export interface StatsWindow {
  oldest: ChinaDay;
  newest: ChinaDay;
}

export interface ResolvedRange {
  from: ChinaDay;
  to: ChinaDay;
  /** The range as asked, before clamping. */
  requested: { from: ChinaDay; to: ChinaDay };
  dayCount: number;
  warnings: StatsWarning[];
}

export function statsWindow(nowMs: number): StatsWindow {
  const today = chinaToday(nowMs);
  return { oldest: addDays(today, -OLDEST_DAY_OFFSET), newest: addDays(today, -1) };
}

/**
 * The longest `last` accepted: ten years. WeCom itself keeps 180 days (longer ranges are clamped,
 * or refused under the strict policy); an archive may keep more.
 */
export const MAX_LAST_DAYS = 3660;

const LAST_ALLOWED = `a whole number of days from 1 to ${MAX_LAST_DAYS} (e.g. 7 or "7d"); WeCom keeps the last ${OLDEST_DAY_OFFSET}`;

function parseLast(value: unknown): number {
  const text = typeof value === 'string' ? value.trim().replace(/^last\s*/i, '').replace(/\s*(d|days?)$/i, '') : value;
  const n = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : text;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LAST_DAYS) throw new ValidationError('last', value, LAST_ALLOWED);
  return n;
}

/**
 * Resolve and check a range. `clamp` cuts it to the window with a RANGE_CLAMPED warning;
 * `strict` rejects any part outside. Reversed ranges, invalid dates and ranges wholly outside
 * the window are always errors.
 */
export function resolveRange(input: RangeInput, nowMs: number, policy: WindowPolicy = 'clamp'): ResolvedRange {
  const window = statsWindow(nowMs);
  const windowText = `days from ${window.oldest} to ${window.newest} (180 days ago to yesterday, China time)`;
  let from: ChinaDay;
  let to: ChinaDay;
  let fromField = 'from';
  if (input.last !== undefined) {
    if (input.from !== undefined || input.to !== undefined) {
      throw new ValidationError('last', input.last, 'either last or from/to, not both');
    }
    const last = parseLast(input.last);
    to = window.newest;
    from = addDays(to, -(last - 1));
    fromField = 'last';
  } else {
    to = input.to === undefined ? window.newest : parseDayInput(input.to, 'to', nowMs);
    from = input.from === undefined ? to : parseDayInput(input.from, 'from', nowMs);
    if (input.from === undefined && input.to !== undefined) {
      throw new ValidationError('from', undefined, 'a start day when a "to" day is given');
    }
  }
  if (daysBetween(window.newest, from) > 0) {
    const shown = daysBetween(from, to) > 0 ? `${from}..${to}` : from;
    throw new ValidationError(fromField, shown, windowText, 'the range lies wholly after yesterday; data for a day is ready the next day');
  }
  if (daysBetween(from, to) < 0) {
    throw new ValidationError('to', to, `a day on or after from (${from})`, 'the range is reversed');
  }
  if (daysBetween(to, window.oldest) > 0) {
    throw new ValidationError('to', to, windowText, 'the range lies wholly more than 180 days ago');
  }
  const requested = { from, to };
  const warnings: StatsWarning[] = [];
  const cutFrom = daysBetween(from, window.oldest) > 0;
  const cutTo = daysBetween(window.newest, to) > 0;
  if (cutFrom || cutTo) {
    if (policy === 'strict') {
      if (cutFrom && fromField === 'last') {
        throw new ValidationError('last', input.last, `at most ${OLDEST_DAY_OFFSET} days under the strict window policy (${windowText})`);
      }
      throw new ValidationError(cutFrom ? fromField : 'to', cutFrom ? from : to, windowText);
    }
    const clampedFrom = cutFrom ? window.oldest : from;
    const clampedTo = cutTo ? window.newest : to;
    warnings.push({
      code: 'RANGE_CLAMPED',
      message: `Range ${from}..${to} was clamped to ${clampedFrom}..${clampedTo}: WeCom answers only ${windowText}.`,
    });
    from = clampedFrom;
    to = clampedTo;
  }
  return { from, to, requested, dayCount: daysBetween(from, to) + 1, warnings };
}
