/**
 * China days, WeCom's window, ranges, readiness and chunk planning: core's own rules, from its
 * public `/days` entry.
 */
import { LIMITS, ValidationError } from '@wecom-kf-stats/core';
import { parseDayInput, STATISTICS_PATHS as PATH_OF_ENDPOINT, type ChinaDay } from '@wecom-kf-stats/core/days';

export * from '@wecom-kf-stats/core/days';

/** WeCom answers days from today − 180 to yesterday (page 99367). */
export const WINDOW_DAYS = LIMITS.windowDays;
/** One statistics call covers at most 31 days (page 99367). */
export const MAX_DAYS_PER_CALL = LIMITS.maxDaysPerCall;
/** The longest range one API request may ask for: the archive keeps more than WeCom's 180 days. */
export const MAX_RANGE_DAYS = LIMITS.maxLastDays;
/** A day's statistics are ready from 06:00 China time the next day (page 99367). */
export const READY_HOUR_CHINA = LIMITS.readyHourChina;

/** WeCom's paths of the three statistics (pages 99367, 95492, 96433). */
export const STATISTICS_PATHS = Object.values(PATH_OF_ENDPOINT);

/** A day a user typed, read as core reads it (`YYYY-MM-DD`, `yesterday`, `N days ago`…); undefined otherwise. */
export function parseDay(text: string, nowMs: number): ChinaDay | undefined {
  try {
    return parseDayInput(text, 'day', nowMs);
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}
