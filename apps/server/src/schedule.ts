/**
 * The daily run at a China time ("06:30" by default: WeCom has computed yesterday by 06:00,
 * page 99367). China has one fixed offset (UTC+8, no DST), so the next run is plain arithmetic.
 */
import { addDays, chinaMidnightEpochSeconds, chinaToday } from './china-days.js';

/** Epoch ms of the next `HH:MM` China time strictly after `nowMs`. */
export function nextDailyRun(dailyAt: string, nowMs: number): number {
  const [hours, minutes] = dailyAt.split(':').map(Number) as [number, number];
  const today = chinaToday(nowMs);
  const at = (day: string) => (chinaMidnightEpochSeconds(day) + hours * 3600 + minutes * 60) * 1000;
  return at(today) > nowMs ? at(today) : at(addDays(today, 1));
}

/** Calls `run` at every daily time until stopped; timers never exceed Node's 24.8-day limit. */
export function scheduleDaily(dailyAt: string, now: () => number, run: () => Promise<void>): { stop(): void; readonly nextAt: number } {
  let timer: NodeJS.Timeout | undefined;
  let nextAt = nextDailyRun(dailyAt, now());
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(
      async () => {
        if (now() >= nextAt) {
          await run().catch(() => {});
          nextAt = nextDailyRun(dailyAt, now());
        }
        arm();
      },
      Math.min(Math.max(0, nextAt - now()), 2 ** 31 - 1),
    );
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get nextAt() {
      return nextAt;
    },
  };
}
