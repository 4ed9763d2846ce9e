/**
 * Tokens shared by every process on one store, with one gettoken per key across all of them:
 * WeCom answers concurrent refreshes with 45033 and blocks callers that refresh too often
 * (page 91039). Core keeps one refresh in flight per process; across processes a short lease in
 * the store decides who refreshes, and the others wait for the token it stores.
 */
import type { StoredToken, TokenStore } from './kf-core.js';
import type { Store } from './store/store.js';

/** A token refresh that takes longer than this is presumed dead, and another process tries. */
const REFRESH_LEASE_MS = 15_000;
const POLL_MS = 100;

export function createSharedTokenStore(
  store: Store,
  owner: string,
  now: () => number,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): TokenStore {
  const leaseKey = (key: string) => `token:${store.tokens.rowKey(key)}`;
  // Within its validity WeCom answers gettoken with the same token (page 91039), so a token read
  // once serves this process until it is due, without a database round trip per call.
  const known = new Map<string, StoredToken>();
  // Keys this process is refreshing now, with when it began: the lease is the process's, so the
  // other clients of this process must wait for the refresh too, not take the lease again.
  const refreshing = new Map<string, number>();
  /**
   * Take the refresh lease; when the store cannot be written, refresh in this process alone
   * (core keeps one refresh in flight per key) rather than fail every call.
   */
  const leaseOrAlone = async (key: string): Promise<boolean> => {
    try {
      return await store.tryLease(leaseKey(key), owner, REFRESH_LEASE_MS);
    } catch {
      return true;
    }
  };
  return {
    async get(key): Promise<StoredToken | undefined> {
      const memo = known.get(key);
      if (memo && now() < memo.renewAt) return memo;
      const deadline = Date.now() + REFRESH_LEASE_MS + 5_000;
      for (;;) {
        const stored = await store.tokens.get(key);
        if (stored && now() < stored.renewAt) {
          known.set(key, stored);
          return stored;
        }
        // Missing or due: the lease holder refreshes (core calls set, which releases it).
        const began = refreshing.get(key);
        const ownRefreshRunning = began !== undefined && Date.now() - began < REFRESH_LEASE_MS;
        if (!ownRefreshRunning && (await leaseOrAlone(key))) {
          refreshing.set(key, Date.now());
          return undefined;
        }
        if (Date.now() > deadline) return undefined;
        await sleep(POLL_MS);
      }
    },
    async set(key, token) {
      refreshing.delete(key);
      known.set(key, token);
      try {
        await store.tokens.set(key, token);
        await store.releaseLease(leaseKey(key), owner);
      } catch {
        // The store cannot be written (a full disk): this process keeps the token in memory and
        // goes on; the health check reports the store.
      }
    },
    async release(key) {
      // This process's refresh failed: the next caller (here or in another process) tries at once.
      refreshing.delete(key);
      await store.releaseLease(leaseKey(key), owner).catch(() => {});
    },
    async delete(key) {
      known.delete(key);
      await store.tokens.delete(key);
    },
  };
}
