/**
 * China calendar days (UTC+8, no daylight saving) by plain arithmetic on a fixed offset.
 * Nothing here reads the host's time zone.
 *
 * A "day number" counts China calendar days since 1970-01-01 (China), so day 0 starts at
 * 1969-12-31T16:00:00Z.
 */

export const DAY_SECONDS = 86_400;
export const DAY_MS = DAY_SECONDS * 1000;
export const CHINA_OFFSET_SECONDS = 8 * 3600;
const CHINA_OFFSET_MS = CHINA_OFFSET_SECONDS * 1000;

/** Floors unix seconds to that China day's midnight (unix seconds), as WeCom does with start_time/end_time. */
export function chinaMidnight(unixSeconds: number): number {
  return Math.floor((unixSeconds + CHINA_OFFSET_SECONDS) / DAY_SECONDS) * DAY_SECONDS - CHINA_OFFSET_SECONDS;
}

/** The China day number containing the given unix seconds. */
export function dayNumberFromSeconds(unixSeconds: number): number {
  return Math.floor((unixSeconds + CHINA_OFFSET_SECONDS) / DAY_SECONDS);
}

/** The China day number containing the given epoch milliseconds. */
export function dayNumberFromMs(epochMs: number): number {
  return Math.floor((epochMs + CHINA_OFFSET_MS) / DAY_MS);
}

/** Unix seconds of the China midnight that starts the given day number. */
export function dayStartSeconds(dayNumber: number): number {
  return dayNumber * DAY_SECONDS - CHINA_OFFSET_SECONDS;
}

/** Milliseconds elapsed since the China midnight of the day containing epochMs. */
export function msIntoChinaDay(epochMs: number): number {
  return epochMs + CHINA_OFFSET_MS - dayNumberFromMs(epochMs) * DAY_MS;
}

/** `YYYY-MM-DD` of a China day number. */
export function formatDay(dayNumber: number): string {
  // Day N of the China calendar has the same Y-M-D as UTC day N: only the offset differs.
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** Day number of a `YYYY-MM-DD` China date; throws on anything else. */
export function parseDay(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError(`Expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const utcMs = Date.UTC(year, month - 1, day);
  const dayNumber = utcMs / DAY_MS;
  if (formatDay(dayNumber) !== date) throw new RangeError(`Not a calendar date: ${date}`);
  return dayNumber;
}

/** Day of the week of a China day number: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}
