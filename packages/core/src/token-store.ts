/**
 * Token caching. Tokens are cached per key, renewed a little before they expire, and only one
 * refresh per key is in flight at a time: gettoken must not be called often, concurrent refreshes
 * get 45033 and repeated failures block the caller for an hour (page 91039).
 * A store shared between clients (or a custom one over Redis, a database…) shares the token.
 */

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
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7200;

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
  return {
    async get(key, fetchToken) {
      const stored = await store.get(key);
      if (stored && now() < stored.renewAt) return stored.token;
      const running = pending.get(key);
      if (running) return running;
      const refresh = (async () => {
        const { token, expiresInSeconds } = await fetchToken();
        const lifetimeMs = expiresInSeconds * 1000;
        const fetchedAt = now();
        await store.set(key, {
          token,
          expiresAt: fetchedAt + lifetimeMs,
          renewAt: fetchedAt + lifetimeMs - Math.min(renewBeforeMs, lifetimeMs / 10),
        });
        return token;
      })().finally(() => pending.delete(key));
      pending.set(key, refresh);
      return refresh;
    },
    async invalidate(key, token) {
      const stored = await store.get(key);
      if (stored?.token === token) await store.delete(key);
    },
  };
}
