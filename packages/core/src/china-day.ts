/**
 * China days: calendar days in UTC+8 (China has no daylight saving time), computed by arithmetic on
 * the fixed offset and never from the host's time zone. WeCom's statistics are keyed by the unix
 * second of a China midnight (WECOM-API.md §2, page 99367).
 */
import { ValidationError } from './errors.js';

/** A China calendar day as `YYYY-MM-DD`. */
export type ChinaDay = string;

export const CHINA_UTC_OFFSET_SECONDS = 8 * 3600;
export const SECONDS_PER_DAY = 86_400;
const MS_PER_DAY = SECONDS_PER_DAY * 1000;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch seconds below this are taken as seconds, above as milliseconds (1e11 s is the year 5138). */
const EPOCH_SECONDS_LIMIT = 1e11;

/** Days since 1970-01-01 of a China day (its ordinal); NaN when the text is not a real date. */
function ordinalOf(day: string): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) return Number.NaN;
  const [, y, m, d] = match;
  const year = Number(y);
  const month = Number(m);
  const date = Number(d);
  const ms = Date.UTC(year, month - 1, date);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) {
    return Number.NaN;
  }
  return ms / MS_PER_DAY;
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
  if (Number.isNaN(ordinal)) throw new ValidationError('day', day, 'a real calendar date as YYYY-MM-DD');
  return ordinal * SECONDS_PER_DAY - CHINA_UTC_OFFSET_SECONDS;
}

/** Floor an instant (epoch seconds) to its China midnight, as WeCom's server does. */
export function floorToChinaMidnight(epochSeconds: number): number {
  return (
    Math.floor((epochSeconds + CHINA_UTC_OFFSET_SECONDS) / SECONDS_PER_DAY) * SECONDS_PER_DAY -
    CHINA_UTC_OFFSET_SECONDS
  );
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

/** What a user may pass as a day. */
export type DayInput = ChinaDay | Date | number | string;

export const DAY_INPUT_ALLOWED =
  'YYYY-MM-DD (China date), a Date, epoch seconds, epoch milliseconds, an ISO date-time with offset, "today", "yesterday" or "N days ago"';

const RELATIVE_DAYS = /^(?:(\d{1,4})\s*days?\s*ago|today\s*-\s*(\d{1,4})|-(\d{1,4})d?)$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Turn any accepted day input into a China day. `field` names the input in errors.
 * A Date or epoch value means the China day containing that instant.
 */
export function parseDayInput(input: unknown, field: string, nowMs: number): ChinaDay {
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isNaN(ms)) throw new ValidationError(field, input, DAY_INPUT_ALLOWED, 'the Date is invalid');
    return chinaDayOfEpochMs(ms);
  }
  if (typeof input === 'number') return dayOfEpochNumber(input, field);
  if (typeof input !== 'string') throw new ValidationError(field, input, DAY_INPUT_ALLOWED);
  const text = input.trim();
  if (text === '') throw new ValidationError(field, input, DAY_INPUT_ALLOWED, 'it is empty');
  if (DAY_PATTERN.test(text)) {
    if (!isChinaDay(text)) throw new ValidationError(field, input, DAY_INPUT_ALLOWED, 'no such calendar date');
    return text;
  }
  const lower = text.toLowerCase();
  const today = chinaToday(nowMs);
  if (lower === 'today') return today;
  if (lower === 'yesterday') return addDays(today, -1);
  const relative = RELATIVE_DAYS.exec(lower);
  if (relative) return addDays(today, -Number(relative[1] ?? relative[2] ?? relative[3]));
  if (/^\d+$/.test(text)) {
    // Epoch seconds have 9-10 digits and milliseconds 12-13 for any day this century; other digit
    // strings are not epochs (20261101 would be 1970-08-23), so they are refused, not guessed.
    if (/^\d{9,10}$|^\d{12,13}$/.test(text)) return dayOfEpochNumber(Number(text), field, input);
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
    const dashed = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : undefined;
    throw new ValidationError(
      field,
      input,
      DAY_INPUT_ALLOWED,
      dashed !== undefined && isChinaDay(dashed)
        ? `a date without dashes is ambiguous with epoch seconds: write ${dashed}`
        : 'digits only, but not epoch seconds (10 digits) or milliseconds (13 digits)',
    );
  }
  if (ISO_DATE_TIME.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return chinaDayOfEpochMs(ms);
  }
  throw new ValidationError(field, input, DAY_INPUT_ALLOWED);
}

function dayOfEpochNumber(value: number, field: string, original: unknown = value): ChinaDay {
  if (!Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, original, DAY_INPUT_ALLOWED, 'not a valid epoch value');
  }
  const ms = value < EPOCH_SECONDS_LIMIT ? value * 1000 : value;
  if (ms > 8.64e15) throw new ValidationError(field, original, DAY_INPUT_ALLOWED, 'too far in the future');
  return chinaDayOfEpochMs(ms);
}
