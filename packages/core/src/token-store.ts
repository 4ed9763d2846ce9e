/**
 * Token caching. Tokens are cached per key, renewed a little before they expire, and only one
 * refresh per key is in flight at a time: gettoken must not be called often, concurrent refreshes
 * get 45033 and repeated failures block the caller for an hour (page 91039).
 * A store shared between clients (or a custom one over Redis, a database…) shares the token.
 */
import { ValidationError } from './errors.js';
import { LIMITS } from './limits.js';
import { registerSecret, releaseSecret } from './redact.js';

export interface StoredToken {
  token: string;
  /** Epoch ms when WeCom stops accepting it. */
  expiresAt: number;
  /** Epoch ms from which a new one is fetched. */
  renewAt: number;
}

export interface TokenStore {
  get(key: string): StoredToken | undefined | Promise<StoredToken | undefined>;
  set(key: string, token: StoredToken): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /**
   * A refresh begun because `get` found no usable token failed: a store that reserved the refresh
   * for this caller (a lease shared by processes) gives the reservation up, so the next caller
   * tries at once instead of waiting for it to expire.
   */
  release?(key: string): void | Promise<void>;
}

export function createMemoryTokenStore(): TokenStore {
  const tokens = new Map<string, StoredToken>();
  return {
    get: (key) => tokens.get(key),
    set: (key, token) => {
      tokens.set(key, token);
    },
    delete: (key) => {
      tokens.delete(key);
    },
  };
}

/** Renew this long before expiry, at most a tenth of the lifetime. @default 300000 (5 min of 7200 s) */
export const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

/** WeCom's tokens live 7200 s (page 91039); used when an answer omits `expires_in`. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = LIMITS.tokenLifetimeSeconds;

/** Sweep released tokens at most this often (cache clock). */
const SWEEP_INTERVAL_MS = 60_000;

const inFlightByStore = new WeakMap<TokenStore, Map<string, Promise<string>>>();

export interface TokenCache {
  get(key: string, fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>): Promise<string>;
  /** Drop `token` if it is still the cached one for `key`. */
  invalidate(key: string, token: string): Promise<void>;
}

export function createTokenCache(store: TokenStore, now: () => number, renewBeforeMs = DEFAULT_RENEW_BEFORE_MS): TokenCache {
  let inFlight = inFlightByStore.get(store);
  if (!inFlight) {
    inFlight = new Map();
    inFlightByStore.set(store, inFlight);
  }
  const pending = inFlight;
  // Tokens this cache registered for redaction, per key: released when replaced, dropped or expired.
  const live = new Map<string, { token: string; expiresAt: number }>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  const hold = (key: string, token: string, expiresAt: number) => {
    const previous = live.get(key);
    if (previous?.token === token) return;
    registerSecret(token);
    if (previous) releaseSecret(previous.token);
    live.set(key, { token, expiresAt });
  };
  const drop = (key: string) => {
    const previous = live.get(key);
    if (previous) releaseSecret(previous.token);
    live.delete(key);
  };
  const sweep = (nowMs: number) => {
    if (nowMs - lastSweep < SWEEP_INTERVAL_MS) return;
    lastSweep = nowMs;
    for (const [key, held] of live) if (held.expiresAt <= nowMs) drop(key);
  };
  const read = async (key: string) => {
    try {
      return await store.get(key);
    } catch (error) {
      throw storeFailure('get', error);
    }
  };
  return {
    async get(key, fetchToken) {
      sweep(now());
      const stored = await read(key);
      if (stored && now() < stored.renewAt) {
        hold(key, stored.token, stored.expiresAt);
        return stored.token;
      }
      const running = pending.get(key);
      if (running) return running;
      const refresh = (async () => {
        let fetched: { token: string; expiresInSeconds: number };
        try {
          fetched = await fetchToken();
        } catch (error) {
          await Promise.resolve(store.release?.(key)).catch(() => {});
          throw error;
        }
        const { token, expiresInSeconds } = fetched;
        const lifetimeMs = expiresInSeconds * 1000;
        const fetchedAt = now();
        hold(key, token, fetchedAt + lifetimeMs);
        try {
          await store.set(key, {
            token,
            expiresAt: fetchedAt + lifetimeMs,
            renewAt: fetchedAt + lifetimeMs - Math.min(renewBeforeMs, lifetimeMs / 10),
          });
        } catch (error) {
          throw storeFailure('set', error);
        }
        return token;
      })().finally(() => pending.delete(key));
      pending.set(key, refresh);
      return refresh;
    },
    async invalidate(key, token) {
      const stored = await read(key);
      if (stored?.token === token) {
        try {
          await store.delete(key);
        } catch (error) {
          throw storeFailure('delete', error);
        }
      }
      if (live.get(key)?.token === token) drop(key);
    },
  };
}

/** A token store that throws is named as such, with what it must do. */
function storeFailure(method: 'get' | 'set' | 'delete', error: unknown): ValidationError {
  return new ValidationError(
    `options.tokenStore.${method}`,
    () => undefined,
    'a token store whose get, set and delete return or resolve without throwing',
    `it threw: ${error instanceof Error ? error.message : String(error)}`,
  );
}
