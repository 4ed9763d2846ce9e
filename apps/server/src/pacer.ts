/**
 * Pacing under WeCom's frequency limits (page 90454): core's pacer (per corp and API, per calling
 * IP, per minute and per hour, sliding windows, a 45009 pausing its scope), with the windows and
 * pauses shared between replicas through the store (PostgreSQL).
 */
import { createPacer as createLocalPacer, type Pacer as CorePacer, type PacingLimits } from '@wecom-kf-stats/core';
import type { Store } from './store/store.js';

const MINUTE_MS = 60_000;

export type { PacingLimits };

/** Core's pacer, with the scope a 45009 was blamed on. */
export interface Pacer extends Omit<CorePacer, 'frequencyLimited'> {
  /** WeCom answered 45009 for this corp and path: pause the scope that hit its limit. */
  frequencyLimited(corpId: string, path: string): 'corp' | 'ip';
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
  const { perCorpPerMinute, perCorpPerHour, perIpPerMinute, perIpPerHour, blockSeconds, marginMs } = limits;
  const local = createLocalPacer({
    limits: { perCorpPerMinute, perCorpPerHour, perIpPerMinute, perIpPerHour, blockSeconds, marginMs },
    now,
    sleep,
  });

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
  const acquireShared = async (corpId: string, path: string, signal?: AbortSignal): Promise<boolean> => {
    let corpCounted = false;
    for (;;) {
      const t = now();
      // A 45009 this process saw pauses it at once, before the store hears of it.
      const paused = local.pausedMs(corpId, path, t);
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
        local.record(corpId, path, t);
        return true;
      }
      await sleep(Math.min(wait, MINUTE_MS), signal);
    }
  };

  return {
    async acquire(corpId, path, signal) {
      // The store counts for every replica; when it cannot (the database away), this process
      // counts alone rather than stop calling.
      if (shared && (await acquireShared(corpId, path, signal))) return;
      await local.acquire(corpId, path, signal);
    },
    frequencyLimited(corpId, path) {
      const { scope, untilMs } = local.frequencyLimited(corpId, path);
      // Every replica pauses with it (a pause that cannot be written still holds here).
      shared?.pause([scope === 'ip' ? ipScope.key : corpScopeOf(corpId, path).key], untilMs).catch(() => {});
      if (scope === 'ip') ipPlaces = { left: 0, until: 0 };
      return scope;
    },
    get ipCallsLastMinute() {
      return local.ipCallsLastMinute;
    },
  };
}
