/**
 * Pacing under WeCom's frequency limits (page 90454): per corp and API, and per calling IP, each
 * per minute and per hour. A call waits until every window it counts in has room, so a large run
 * meets no 45009; a 45009 that still comes pauses the whole corp or IP for the block's length.
 *
 * Windows slide: at most N calls in any 60 s (or 3600 s), which also keeps any fixed-window
 * counting on WeCom's side under N.
 */
import type { Store } from './store/store.js';

export interface PacingLimits {
  perCorpPerMinute: number;
  perCorpPerHour: number;
  perIpPerMinute: number;
  perIpPerHour: number;
  /** How long a 45009 pauses its scope. */
  blockSeconds: number;
  /**
   * Windows are counted this much longer than WeCom's minute and hour, so that network delay
   * between sending and WeCom's count cannot move a call into a fuller window.
   */
  marginMs: number;
}

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

interface Scope {
  minute: SlidingWindow;
  hour: SlidingWindow;
  pausedUntil: number;
}

export interface Pacer {
  /** Wait until a call for `corpId` on `path` may go, then count it. */
  acquire(corpId: string, path: string, signal?: AbortSignal): Promise<void>;
  /** WeCom answered 45009 for this corp and path: pause the scope that hit its limit. */
  frequencyLimited(corpId: string, path: string): 'corp' | 'ip';
  /** Calls counted in the last minute for the IP (for metrics and benchmarks). */
  readonly ipCallsLastMinute: number;
}

export interface PacerOptions {
  limits: PacingLimits;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Windows and pauses shared with the other replicas through the store (PostgreSQL): each call
   * is counted there, in its corp's scope and in `ipGroup`'s. Without it, this process counts
   * alone (the embedded store has no other process).
   */
  shared?: NonNullable<Store['pacing']>;
  /** Which replicas share this one's egress IP (the per-IP limit is theirs together). @default 'default' */
  ipGroup?: string;
}

/** A wait that an abort ends early (rejecting with its reason). */
export const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function createPacer(options: PacerOptions): Pacer {
  const { limits } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
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

  const { shared } = options;
  const ipScope = { key: `ip:${options.ipGroup ?? 'default'}`, perMinute: limits.perIpPerMinute, perHour: limits.perIpPerHour };
  const corpScopeOf = (corpId: string, path: string) => ({
    key: `corp:${corpId} ${path}`,
    perMinute: limits.perCorpPerMinute,
    perHour: limits.perCorpPerHour,
  });
  // The IP's places are taken from the store a few at a time (a tenth of a second's worth at the
  // limit), since every call of the replica counts in that one scope: they are used within half
  // the margin, so that counting them a little early cannot move a call into a fuller window.
  const ipBatch = Math.max(1, Math.floor(limits.perIpPerMinute / 600));
  const ipBatchLifeMs = limits.marginMs / 2;
  let ipPlaces = { left: 0, until: 0 };
  let ipTaking: Promise<number> | undefined;
  /** One place in the IP's windows: 0, or how long to wait for one. */
  const takeIpPlace = async (): Promise<number> => {
    for (;;) {
      if (ipPlaces.left > 0 && now() < ipPlaces.until) {
        ipPlaces.left -= 1;
        return 0;
      }
      if (ipTaking) {
        // Another call of this process is taking places: share them, or take the next ones.
        await ipTaking.catch(() => 0);
        continue;
      }
      const batch = ipBatchLifeMs > 0 ? ipBatch : 1;
      const at = now();
      const taking = shared!
        .reserve({ scopes: [ipScope], atMs: at, marginMs: limits.marginMs, calls: batch })
        .then(({ granted, waitMs }) => {
          // The first place is this call's; the others wait for the calls after it.
          if (granted > 1) ipPlaces = { left: granted - 1, until: at + ipBatchLifeMs };
          return granted > 0 ? 0 : waitMs;
        });
      ipTaking = taking;
      try {
        return await taking;
      } finally {
        ipTaking = undefined;
      }
    }
  };
  /** Counted in the store with the other replicas: true when counted, false when the store failed. */
  const acquireShared = async (corpId: string, path: string, corp: Scope, signal?: AbortSignal): Promise<boolean> => {
    let corpCounted = false;
    for (;;) {
      const t = now();
      // A 45009 this process saw pauses it at once, before the store hears of it.
      const paused = Math.max(ip.pausedUntil - t, corp.pausedUntil - t, 0);
      if (paused > 0) {
        await sleep(Math.min(paused, MINUTE_MS), signal);
        continue;
      }
      let wait: number;
      try {
        // The corp's own windows (and pauses) first, one call at a time; then a place of the IP's.
        if (!corpCounted) {
          const reserved = await shared!.reserve({ scopes: [corpScopeOf(corpId, path)], atMs: t, marginMs: limits.marginMs });
          corpCounted = reserved.granted > 0;
          wait = reserved.waitMs;
        } else {
          wait = 0;
        }
        if (corpCounted) wait = await takeIpPlace();
      } catch {
        return false;
      }
      if (wait <= 0) {
        // Also counted here: which scope a 45009 is blamed on is judged by these counts.
        ip.minute.record(t);
        ip.hour.record(t);
        corp.minute.record(t);
        corp.hour.record(t);
        return true;
      }
      await sleep(Math.min(wait, MINUTE_MS), signal);
    }
  };

  return {
    async acquire(corpId, path, signal) {
      const corp = corpScope(corpId, path);
      // The store counts for every replica; when it cannot (the database away), this process
      // counts alone rather than stop calling.
      if (shared && (await acquireShared(corpId, path, corp, signal))) return;
      for (;;) {
        const t = now();
        const wait = Math.max(waitFor(ip, t), waitFor(corp, t));
        if (wait <= 0) {
          // Counted synchronously after the check, so concurrent callers never overshoot.
          ip.minute.record(t);
          ip.hour.record(t);
          corp.minute.record(t);
          corp.hour.record(t);
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
      // Every replica pauses with it (a pause that cannot be written still holds here).
      shared?.pause([scope === ip ? ipScope.key : corpScopeOf(corpId, path).key], scope.pausedUntil).catch(() => {});
      if (scope === ip) ipPlaces = { left: 0, until: 0 };
      return scope === ip ? 'ip' : 'corp';
    },
    get ipCallsLastMinute() {
      ip.minute.waitMs(now());
      return ip.minute.count;
    },
  };
}
