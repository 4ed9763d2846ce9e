/**
 * Turning what a user asked for into a China-day range inside WeCom's window.
 * Window (docs/wecom-api.md §2, page 99367): both ends between 180 days ago and yesterday, China time.
 */
import { addDays, chinaToday, daysBetween, type ChinaDay } from './china-day.js';
import { parseDayInput, type DayInput } from './day-input.js';
import { LIMITS } from './limits.js';
import { ValidationError } from './errors.js';
import type { StatisticsWarning } from './warnings.js';

const OLDEST_DAY_OFFSET = LIMITS.windowDays;

/** What to do with days outside WeCom's window: cut them off with a warning, or refuse. */
export const WINDOW_POLICIES = ['clamp', 'strict'] as const;
export type WindowPolicy = (typeof WINDOW_POLICIES)[number];

export interface RangeInput {
  /** First day, inclusive. */
  from?: DayInput;
  /** Last day, inclusive; defaults to yesterday. */
  to?: DayInput;
  /** The last N full days, ending yesterday (instead of from/to). */
  last?: number | string;
}

export interface StatisticsWindow {
  oldest: ChinaDay;
  newest: ChinaDay;
}

export interface ResolvedRange {
  from: ChinaDay;
  to: ChinaDay;
  /** The range as asked, before clamping. */
  requested: { from: ChinaDay; to: ChinaDay };
  dayCount: number;
  warnings: StatisticsWarning[];
}

export function statisticsWindow(nowMs: number): StatisticsWindow {
  const today = chinaToday(nowMs);
  return { oldest: addDays(today, -OLDEST_DAY_OFFSET), newest: addDays(today, -1) };
}

const MAX_LAST_DAYS = LIMITS.maxLastDays;

const LAST_ALLOWED = `a whole number of days from 1 to ${MAX_LAST_DAYS} (e.g. 7 or "7d"); WeCom keeps the last ${OLDEST_DAY_OFFSET}`;

function parseLast(value: unknown): number {
  const text =
    typeof value === 'string'
      ? value
          .trim()
          .replace(/^last\s*/i, '')
          .replace(/\s*(d|days?)$/i, '')
      : value;
  const n = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : text;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LAST_DAYS) throw new ValidationError('last', value, LAST_ALLOWED);
  return n;
}

/** The days asked for, before any window: `last`, or from/to with `to` defaulting to yesterday. */
function requestedDays(input: RangeInput, nowMs: number, windowText: string): { from: ChinaDay; to: ChinaDay; fromField: string } {
  const yesterday = statisticsWindow(nowMs).newest;
  let from: ChinaDay;
  let to: ChinaDay;
  let fromField = 'from';
  if (input.last !== undefined) {
    if (input.from !== undefined || input.to !== undefined) {
      throw new ValidationError('last', input.last, 'either last or from/to, not both');
    }
    const last = parseLast(input.last);
    to = yesterday;
    from = addDays(to, -(last - 1));
    fromField = 'last';
  } else {
    to = input.to === undefined ? yesterday : parseDayInput(input.to, 'to', nowMs);
    from = input.from === undefined ? to : parseDayInput(input.from, 'from', nowMs);
    if (input.from === undefined && input.to !== undefined) {
      throw new ValidationError('from', undefined, 'a start day when a "to" day is given');
    }
  }
  if (daysBetween(yesterday, from) > 0) {
    const shown = daysBetween(from, to) > 0 ? `${from}..${to}` : from;
    throw new ValidationError(fromField, shown, windowText, 'the range lies wholly after yesterday; data for a day is ready the next day');
  }
  if (daysBetween(from, to) < 0) {
    throw new ValidationError('to', to, `a day on or after from (${from})`, 'the range is reversed');
  }
  return { from, to, fromField };
}

/**
 * Resolve and check a range. `clamp` cuts it to the window with a RANGE_CLAMPED warning;
 * `strict` rejects any part outside. Reversed ranges, invalid dates and ranges wholly outside
 * the window are always errors.
 */
export function resolveRange(input: RangeInput, nowMs: number, policy: WindowPolicy = 'clamp'): ResolvedRange {
  const window = statisticsWindow(nowMs);
  const windowText = `days from ${window.oldest} to ${window.newest} (180 days ago to yesterday, China time)`;
  const asked = requestedDays(input, nowMs, windowText);
  const fromField = asked.fromField;
  let { from, to } = asked;
  if (daysBetween(to, window.oldest) > 0) {
    throw new ValidationError('to', to, windowText, 'the range lies wholly more than 180 days ago');
  }
  const requested = { from, to };
  const warnings: StatisticsWarning[] = [];
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

/**
 * The range as an archive of past days answers it (the server keeps days after they leave
 * WeCom's window): the same inputs and defaults as resolveRange, no 180-day floor, at most
 * LIMITS.maxLastDays days, and days after yesterday cut off with a RANGE_CLAMPED warning.
 */
export function resolveArchiveRange(input: RangeInput, nowMs: number): ResolvedRange {
  const yesterday = statisticsWindow(nowMs).newest;
  const windowText = `days up to yesterday (${yesterday}, China time)`;
  const { from, to: asked, fromField } = requestedDays(input, nowMs, windowText);
  const warnings: StatisticsWarning[] = [];
  let to = asked;
  if (daysBetween(yesterday, to) > 0) {
    warnings.push({ code: 'RANGE_CLAMPED', message: `The range ends at yesterday (${yesterday}): later days have no statistics yet.` });
    to = yesterday;
  }
  const dayCount = daysBetween(from, to) + 1;
  if (dayCount > MAX_LAST_DAYS) {
    throw new ValidationError(
      fromField,
      fromField === 'from' ? from : input.last,
      `a range of at most ${MAX_LAST_DAYS} days`,
      `it spans ${dayCount} days`,
    );
  }
  return { from, to, requested: { from, to: asked }, dayCount, warnings };
}
