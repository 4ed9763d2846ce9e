/**
 * From WeCom's `statistic_list` to days the adapters can trust: every known metric present (null
 * when WeCom left it out: "not computable", never 0), unknown fields kept as sent, a day without
 * `statistic` kept as `statistic: null` (no data, or not computed yet).
 */
import type { ChinaDay } from './china-day.js';
import { ResponseFormatError } from './errors.js';
import { getMetric, metricKeysView, type StatisticsEndpoint } from './metrics.js';
import type { StatisticsWarning, WarningCode } from './warnings.js';

export type { Statistic, StatisticsDay } from './types.js';
import type { Statistic, StatisticsDay } from './types.js';

/** Collects odd values seen while decoding, by kind and field, for one warning each. */
export interface Oddities {
  add(
    code: Exclude<WarningCode, 'RANGE_CLAMPED' | 'DAY_NOT_READY' | 'RATE_ABOVE_ONE' | 'NEGATIVE_VALUE'>,
    field: string,
    day: ChinaDay,
  ): void;
  warnings(): StatisticsWarning[];
}

const ODDITY_TEXT: Record<'NOT_FINITE' | 'DUPLICATE_DAY' | 'UNEXPECTED_DAY', (field: string, days: string) => string> = {
  NOT_FINITE: (field, days) => `${field} on ${days} is a number too large to represent (it parses to Infinity); it is shown as null.`,
  DUPLICATE_DAY: (_field, days) => `WeCom sent ${days} more than once in one answer; the first entry was kept.`,
  UNEXPECTED_DAY: (_field, days) => `WeCom sent ${days}, which was not asked for; it was left out.`,
};

export function createOddities(): Oddities {
  const seen = new Map<string, { code: keyof typeof ODDITY_TEXT; field: string; days: Set<ChinaDay> }>();
  return {
    add(code, field, day) {
      const key = `${code}|${field}`;
      const entry = seen.get(key) ?? { code, field, days: new Set<ChinaDay>() };
      entry.days.add(day);
      seen.set(key, entry);
    },
    warnings() {
      return [...seen.values()].map(({ code, field, days }) => {
        const list = [...days].sort();
        return { code, message: ODDITY_TEXT[code](field, list.join(', ')), days: list, field };
      });
    },
  };
}

export function normalizeStatistic(
  endpoint: StatisticsEndpoint,
  raw: Record<string, unknown>,
  /** Its place in statistic_list, for the message of a bad value. */
  index: number,
  label: string,
  date: ChinaDay,
  oddities: Oddities,
): Statistic {
  // One pass over the day's fields, onto a copy of the endpoint's all-null template.
  const out: Statistic = { ...nullTemplate(endpoint) };
  for (const key in raw) {
    const value = raw[key];
    if (getMetric(key) === undefined) {
      out[key] = value;
      continue;
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      if (value === Infinity || value === -Infinity) {
        oddities.add('NOT_FINITE', key, date);
        continue;
      }
      const field = `statistic_list[${index}].statistic.${key}`;
      throw new ResponseFormatError(label, `field ${field} is ${JSON.stringify(value)}; expected a number or absent.`, field);
    }
    out[key] = value;
  }
  return out;
}

/** Every catalog metric of an endpoint, null: what a day starts from. */
const TEMPLATES = new Map<StatisticsEndpoint, Statistic>();
function nullTemplate(endpoint: StatisticsEndpoint): Statistic {
  let template = TEMPLATES.get(endpoint);
  if (!template) {
    template = Object.fromEntries(metricKeysView(endpoint).map((key) => [key, null])) as Statistic;
    TEMPLATES.set(endpoint, template);
  }
  return template;
}

/**
 * Values that are numbers but look wrong, flagged and passed on unchanged: ratios above 1 (shares
 * are 0..1, page 99367) and negative values of any metric.
 */
export function valueWarnings(days: readonly StatisticsDay[]): StatisticsWarning[] {
  const above = new Map<string, ChinaDay[]>();
  const negative = new Map<string, ChinaDay[]>();
  const push = (map: Map<string, ChinaDay[]>, key: string, day: ChinaDay) => {
    const list = map.get(key);
    if (list) list.push(day);
    else map.set(key, [day]);
  };
  for (const day of days) {
    const statistic = day.statistic as Record<string, unknown> | null;
    if (!statistic) continue;
    // Read per field without an entries array: this runs over every day of every answer.
    for (const key in statistic) {
      const value = statistic[key];
      if (typeof value !== 'number' || (value >= 0 && value <= 1)) continue;
      const metric = getMetric(key);
      if (!metric) continue;
      if (value < 0) push(negative, key, day.date);
      else if (metric.kind === 'ratio' && value > 1) push(above, key, day.date);
    }
  }
  return [
    ...[...above].map(([key, dates]) => ({
      code: 'RATE_ABOVE_ONE' as const,
      message: `${key} is above 1 on ${dates.join(', ')}; rates are expected as shares in 0..1. Values are passed on unchanged.`,
      days: dates,
      field: key,
    })),
    ...[...negative].map(([key, dates]) => ({
      code: 'NEGATIVE_VALUE' as const,
      message: `${key} is negative on ${dates.join(', ')}; WeCom's counts, rates and durations are never below 0. Values are passed on unchanged.`,
      days: dates,
      field: key,
    })),
  ];
}
