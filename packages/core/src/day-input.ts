/**
 * What a user may type or pass as a day, read into a China day: `YYYY-MM-DD`, a Date, epoch
 * seconds or milliseconds, an ISO date-time with offset, "today", "yesterday", "N days ago".
 * Anything else is a ValidationError naming the field.
 */
import { addDays, chinaDayOfEpochMs, chinaToday, isChinaDay, type ChinaDay } from './china-day.js';
import { ValidationError } from './errors.js';

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch seconds below this are taken as seconds, above as milliseconds (1e11 s is the year 5138). */
const EPOCH_SECONDS_LIMIT = 1e11;

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
