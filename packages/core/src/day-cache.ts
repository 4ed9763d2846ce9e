/**
 * Finished days never change, so they are cached per (auth key, endpoint, account, servicer, day):
 * a repeated query makes no calls and an overlapping one fetches only the missing days.
 * A day is finished once WeCom has computed it: the docs advise fetching yesterday after 06:00
 * China time (page 99367). A day without data is trusted only a day later.
 */
import { addDays, chinaMidnightEpochSeconds, type ChinaDay } from './china-day.js';
import { LIMITS } from './limits.js';
import type { Statistic } from './normalize.js';

export interface CachedDay {
  stat_time: number;
  statistic: Statistic | null;
}

export interface DayCacheStore {
  get(key: string): CachedDay | undefined | Promise<CachedDay | undefined>;
  set(key: string, day: CachedDay): void | Promise<void>;
}

/** In-memory LRU. @default maxEntries 50000 (about 270 account-years of days) */
export function createMemoryDayCache(options: { maxEntries?: number } = {}): DayCacheStore & { readonly size: number; clear(): void } {
  const maxEntries = options.maxEntries ?? 50_000;
  const entries = new Map<string, CachedDay>();
  return {
    get(key) {
      const day = entries.get(key);
      if (day !== undefined) {
        // Map keeps insertion order: re-inserting marks the entry as most recently used.
        entries.delete(key);
        entries.set(key, day);
      }
      return day;
    },
    set(key, day) {
      entries.delete(key);
      entries.set(key, day);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}

/** Hours after a day's end (China time) when WeCom has computed it (page 99367: after 06:00). */
export const READY_HOUR_CHINA = LIMITS.readyHourChina;

/** Whether a fetched day can be cached for good. */
export function isFinishedDay(day: ChinaDay, hasData: boolean, nowMs: number): boolean {
  const readyAt = (chinaMidnightEpochSeconds(addDays(day, hasData ? 1 : 2)) + READY_HOUR_CHINA * 3600) * 1000;
  return nowMs >= readyAt;
}

export function dayCacheKey(parts: {
  authKey: string;
  endpoint: string;
  openKfid?: string | undefined;
  servicerUserid?: string | undefined;
  day: ChinaDay;
}): string {
  return [parts.authKey, parts.endpoint, parts.openKfid ?? '', parts.servicerUserid ?? '', parts.day].join('|');
}
