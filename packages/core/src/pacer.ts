/**
 * Pacing under WeCom's frequency limits (page 90454): per corp and API, and per calling IP, each
 * per minute and per hour. A call waits until every window it counts in has room, so a large run
 * meets no 45009; a 45009 that still comes pauses the corp or the IP for the block's length.
 *
 * Windows slide: at most N calls in any 60 s (or 3600 s), which also keeps any fixed-window
 * counting on WeCom's side under N. One pacer is shared by every client that calls from one IP
 * (e.g. one per authorized corp); the server adds sharing between processes on top of it.
 * Runtime-neutral: timers only.
 */
import { z } from 'zod';
import { timerSleep, type Sleep } from './transport.js';
import { parseOrThrow } from './validate.js';

export interface PacingLimits {
  perCorpPerMinute: number;
  perCorpPerHour: number;
  perIpPerMinute: number;
  perIpPerHour: number;
  /** How long a 45009 pauses its scope (a minute-limit block lasts 60 s). */
  blockSeconds: number;
  /**
   * Windows are counted this much longer than WeCom's minute and hour, so that network delay
   * between sending and WeCom's count cannot move a call into a fuller window.
   */
  marginMs: number;
}

/** Page 90454's limits: 10,000 a minute and 150,000 an hour per corp and API; 20,000 and 600,000 per IP. */
export const DEFAULT_PACING: Readonly<PacingLimits> = Object.freeze({
  perCorpPerMinute: 10_000,
  perCorpPerHour: 150_000,
  perIpPerMinute: 20_000,
  perIpPerHour: 600_000,
  blockSeconds: 60,
  marginMs: 1000,
});

const positive = (what: string) => {
  const allowed = `${what}: a whole number of 1 or more`;
  return z.number({ error: allowed }).int({ error: allowed }).min(1, { error: allowed });
};
const marginAllowed = 'milliseconds from 0 to 60000';

/** The limits a user may override; every field validated with its bounds named (in the server's `pacing` words). */
export const pacingLimitsSchema = z.strictObject(
  {
    perCorpPerMinute: positive('calls per corp and API per minute').optional(),
    perCorpPerHour: positive('calls per corp and API per hour').optional(),
    perIpPerMinute: positive('calls per calling IP per minute').optional(),
    perIpPerHour: positive('calls per calling IP per hour').optional(),
    blockSeconds: positive('seconds a 45009 pauses the corp or IP').optional(),
    marginMs: z
      .number({ error: marginAllowed })
      .int({ error: marginAllowed })
      .min(0, { error: marginAllowed })
      .max(60_000, { error: marginAllowed })
      .optional(),
  },
  { error: 'an object of limits such as { perIpPerMinute: 20000 }' },
);

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Timestamps of the calls of one scope in the last window, oldest first. */
class SlidingWindow {
  readonly #times: number[] = [];
  #head = 0;
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  #prune(nowMs: number): void {
    while (this.#head < this.#times.length && this.#times[this.#head]! <= nowMs - this.windowMs) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Milliseconds until a call fits (0: now). */
  waitMs(nowMs: number): number {
    this.#prune(nowMs);
    const inWindow = this.#times.length - this.#head;
    if (inWindow < this.limit) return 0;
    // The call `limit` places back must leave the window first.
    return this.#times[this.#times.length - this.limit]! + this.windowMs - nowMs + 1;
  }

  record(nowMs: number): void {
    this.#times.push(nowMs);
  }

  get count(): number {
    return this.#times.length - this.#head;
  }
}

/** Which scope a 45009 paused, and until when (epoch ms). */
export interface PacerPause {
  scope: 'corp' | 'ip';
  untilMs: number;
}

/** What a client needs of a pacer; share one among the clients of one calling IP. */
export interface Pacer {
  /** Wait until a call for `corpId` on `path` may go, then count it. */
  acquire(corpId: string, path: string, signal?: AbortSignal): Promise<void>;
  /** WeCom answered 45009 for this corp and path: pause the scope that hit its limit. */
  frequencyLimited(corpId: string, path: string): PacerPause;
  /** Calls counted in the last minute for the IP (for metrics and benchmarks). */
  readonly ipCallsLastMinute: number;
}

/** The pacer of one process, with what a host needs to layer shared counting on it. */
export interface LocalPacer extends Pacer {
  /** Milliseconds the corp's or the IP's pause still lasts at `nowMs` (0: none). */
  pausedMs(corpId: string, path: string, nowMs: number): number;
  /** Counts a call that was granted elsewhere (a store shared with other processes). */
  record(corpId: string, path: string, nowMs: number): void;
  readonly limits: Readonly<PacingLimits>;
}

export interface PacerOptions {
  /** Overrides of page 90454's limits. */
  limits?: Partial<PacingLimits>;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** @default timers */
  sleep?: Sleep;
}

interface Scope {
  minute: SlidingWindow;
  hour: SlidingWindow;
  pausedUntil: number;
}

/**
 * A pacer for the clients of one calling IP: pass the same one to each client (`pacer` option).
 * Its limits default to page 90454's; lower them when other callers share the IP.
 */
export function createPacer(options: PacerOptions = {}): LocalPacer {
  const overrides = parseOrThrow(pacingLimitsSchema, options.limits ?? {}, 'pacer.limits');
  const limits: Readonly<PacingLimits> = Object.freeze({ ...DEFAULT_PACING, ...overrides });
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? timerSleep;
  const newScope = (perMinute: number, perHour: number): Scope => ({
    minute: new SlidingWindow(perMinute, MINUTE_MS + limits.marginMs),
    hour: new SlidingWindow(perHour, HOUR_MS + limits.marginMs),
    pausedUntil: 0,
  });
  const ip = newScope(limits.perIpPerMinute, limits.perIpPerHour);
  const corps = new Map<string, Scope>();
  const corpScope = (corpId: string, path: string): Scope => {
    // WeCom counts per corp and per API (page 90454).
    const key = `${corpId} ${path}`;
    let scope = corps.get(key);
    if (!scope) corps.set(key, (scope = newScope(limits.perCorpPerMinute, limits.perCorpPerHour)));
    return scope;
  };
  const waitFor = (scope: Scope, t: number) => Math.max(scope.pausedUntil - t, scope.minute.waitMs(t), scope.hour.waitMs(t), 0);
  const record = (corp: Scope, t: number) => {
    ip.minute.record(t);
    ip.hour.record(t);
    corp.minute.record(t);
    corp.hour.record(t);
  };

  return {
    limits,
    async acquire(corpId, path, signal) {
      const corp = corpScope(corpId, path);
      for (;;) {
        const t = now();
        const wait = Math.max(waitFor(ip, t), waitFor(corp, t));
        if (wait <= 0) {
          // Counted synchronously after the check, so concurrent callers never overshoot.
          record(corp, t);
          return;
        }
        await sleep(Math.min(wait, MINUTE_MS), signal);
      }
    },
    frequencyLimited(corpId, path) {
      const t = now();
      const corp = corpScope(corpId, path);
      // Blame the IP when it is the one near its limit, else the corp (the narrower pause: the IP
      // may also be limited by callers this process does not see). An hour-limit block lasts the
      // hour (page 90454).
      const corpShare = Math.max(corp.minute.count / corp.minute.limit, corp.hour.count / corp.hour.limit);
      const ipShare = Math.max(ip.minute.count / ip.minute.limit, ip.hour.count / ip.hour.limit);
      const scope = ipShare >= 0.5 && ipShare > corpShare ? ip : corp;
      const hourly = scope.hour.count >= scope.hour.limit;
      scope.pausedUntil = Math.max(scope.pausedUntil, t + (hourly ? HOUR_MS : limits.blockSeconds * 1000));
      return { scope: scope === ip ? 'ip' : 'corp', untilMs: scope.pausedUntil };
    },
    pausedMs(corpId, path, t) {
      return Math.max(ip.pausedUntil - t, corpScope(corpId, path).pausedUntil - t, 0);
    },
    record(corpId, path, t) {
      record(corpScope(corpId, path), t);
    },
    get ipCallsLastMinute() {
      ip.minute.waitMs(now());
      return ip.minute.count;
    },
  };
}
