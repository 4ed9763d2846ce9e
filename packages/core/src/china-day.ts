/**
 * China days: calendar days in UTC+8 (China has no daylight saving time), computed by arithmetic on
 * the fixed offset and never from the host's time zone. WeCom's statistics are keyed by the unix
 * second of a China midnight (docs/wecom-api.md §2, page 99367).
 */

/** A China calendar day as `YYYY-MM-DD`. */
export type ChinaDay = string;

export const CHINA_UTC_OFFSET_SECONDS = 8 * 3600;
export const SECONDS_PER_DAY = 86_400;
const MS_PER_DAY = SECONDS_PER_DAY * 1000;

/** The value of the ASCII digits of `text` from `start` to `end`; NaN at a non-digit. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days since 1970-01-01 of a China day (its ordinal); NaN when the text is not a real date.
 * Integer arithmetic (H. Hinnant's days_from_civil), no regex and no Date: every day of every
 * chunk goes through here.
 */
function ordinalOf(day: string): number {
  if (typeof day !== 'string' || day.length !== 10 || day.charCodeAt(4) !== 45 || day.charCodeAt(7) !== 45) return Number.NaN;
  const year = digits(day, 0, 4);
  const month = digits(day, 5, 7);
  const date = digits(day, 8, 10);
  if (!(month >= 1 && month <= 12 && date >= 1)) return Number.NaN;
  if (date > (month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!)) return Number.NaN;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + date - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * The civil date of a day ordinal by integer arithmetic on the proleptic Gregorian calendar
 * (H. Hinnant's civil_from_days): the hot path of decoding, several times faster than going
 * through Date#toISOString.
 */
function dayFromOrdinal(ordinal: number): ChinaDay {
  const z = ordinal + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

export function isChinaDay(value: unknown): value is ChinaDay {
  return typeof value === 'string' && !Number.isNaN(ordinalOf(value));
}

/** The China day that contains an instant given in epoch milliseconds. */
export function chinaDayOfEpochMs(epochMs: number): ChinaDay {
  return dayFromOrdinal(Math.floor((epochMs + CHINA_UTC_OFFSET_SECONDS * 1000) / MS_PER_DAY));
}

/** The China day that contains an instant given in epoch seconds. */
export function chinaDayOfEpochSeconds(epochSeconds: number): ChinaDay {
  return chinaDayOfEpochMs(epochSeconds * 1000);
}

/** Unix seconds of the day's 00:00 China time: the `start_time` / `stat_time` WeCom uses. */
export function chinaMidnightEpochSeconds(day: ChinaDay): number {
  const ordinal = ordinalOf(day);
  // Days reaching here were checked where they were read (day-input.ts): this is a bug, not input.
  if (Number.isNaN(ordinal)) throw new RangeError(`not a China day as YYYY-MM-DD: ${JSON.stringify(day)}`);
  return ordinal * SECONDS_PER_DAY - CHINA_UTC_OFFSET_SECONDS;
}

/** Floor an instant (epoch seconds) to its China midnight, as WeCom's server does. */
export function floorToChinaMidnight(epochSeconds: number): number {
  return Math.floor((epochSeconds + CHINA_UTC_OFFSET_SECONDS) / SECONDS_PER_DAY) * SECONDS_PER_DAY - CHINA_UTC_OFFSET_SECONDS;
}

export function addDays(day: ChinaDay, count: number): ChinaDay {
  return dayFromOrdinal(ordinalOf(day) + count);
}

/** `to - from` in whole days (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: ChinaDay, to: ChinaDay): number {
  return ordinalOf(to) - ordinalOf(from);
}

/** Every day from `from` to `to`, both included. */
export function listDays(from: ChinaDay, to: ChinaDay): ChinaDay[] {
  const start = ordinalOf(from);
  const end = ordinalOf(to);
  const days: ChinaDay[] = [];
  for (let ordinal = start; ordinal <= end; ordinal += 1) days.push(dayFromOrdinal(ordinal));
  return days;
}

/** Today in China for a clock reading (epoch ms). */
export function chinaToday(nowMs: number): ChinaDay {
  return chinaDayOfEpochMs(nowMs);
}

/** Minutes since the China midnight of `nowMs`'s day. */
export function chinaMinuteOfDay(nowMs: number): number {
  const ms = (nowMs + CHINA_UTC_OFFSET_SECONDS * 1000) % MS_PER_DAY;
  return Math.floor((ms < 0 ? ms + MS_PER_DAY : ms) / 60_000);
}

/** Compact day list for messages: runs of consecutive days as `a..b`. */
export function describeDays(days: readonly string[]): string {
  if (days.length === 0) return 'none';
  return dayRuns(days)
    .map((run) => (run.from === run.to ? run.from : `${run.from}..${run.to}`))
    .join(', ');
}

/** Days, in the order given, as runs of consecutive days: `[{from, to}]`. */
export function dayRuns(days: readonly string[]): { from: string; to: string }[] {
  const runs: { from: string; to: string }[] = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && daysBetween(last.to, day) === 1) last.to = day;
    else runs.push({ from: day, to: day });
  }
  return runs;
}
