/**
 * Who may read what. Three kinds of keys: the operator's (apiKeysEnv, tokenApiKeysEnv: everything,
 * as configured), admin keys (adminKeysEnv: everything, and they manage keys), and keys made at run
 * time, kept in the store as hashes, each limited to sources and corps, with an optional right to
 * take tokens and an expiry. Each replica holds the stored keys in memory and reads them again
 * every KEYS_REFRESH_MS, so a key revoked on one replica is refused by all within that time; a
 * request costs a hash and a map look-up, never a database round trip.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { silentLog, type Log } from './logger.js';
import type { Store } from './store/store.js';

/** What a request's key may do. `null` sources or corps: all of them. */
export interface Access {
  kind: 'operator' | 'admin' | 'scoped';
  /** The stored key's name (scoped keys). */
  name?: string;
  sources: ReadonlySet<string> | null;
  corps: ReadonlySet<string> | null;
  /** May take access tokens (for the corps it sees). */
  token: boolean;
}

/** A request outside its key's scope: 403, without saying whether what it named exists. */
export class ForbiddenError extends Error {}

/** How often each replica reads the stored keys again: a revoked key is refused everywhere within this (plus one read). */
export const KEYS_REFRESH_MS = 2_000;
/** A key's last use is written at most this often. */
const LAST_USED_EVERY_MS = 60_000;

const digest = (text: string) => createHash('sha256').update(text).digest();
export const keyHash = (key: string) => digest(key).toString('hex');

/** Sees every source and corp (operator and admin keys, and scoped keys without limits). */
export const seesAll = (access: Access) => access.sources === null && access.corps === null;
export const seesSource = (access: Access, sourceId: string) => access.sources === null || access.sources.has(sourceId);
export const seesCorp = (access: Access, sourceId: string, corpId: string) =>
  seesSource(access, sourceId) && (access.corps === null || access.corps.has(corpId));

export const OPERATOR: Access = { kind: 'operator', sources: null, corps: null, token: false };

/** Constant-time check against every key (hashing first makes the lengths equal). */
function keyMatches(presented: Buffer, keys: readonly Buffer[]): boolean {
  let found = false;
  for (const key of keys) found = timingSafeEqual(presented, key) || found;
  return found;
}

export interface KeyRingOptions {
  apiKeys: readonly string[];
  tokenApiKeys?: readonly string[];
  adminKeys?: readonly string[];
  /** Where run-time keys live; without it only the configured keys work. */
  store?: Store;
  now: () => number;
  log?: Log;
}

export interface KeyRing {
  /** The access of a presented key; 'expired' for a stored key past its expiry; undefined when no key matches. */
  check(presented: string): Access | 'expired' | undefined;
  /** Read the stored keys again now. */
  refresh(): Promise<void>;
  /** Keep reading them every KEYS_REFRESH_MS until `stop`. */
  start(): void;
  stop(): void;
}

interface HeldKey {
  access: Access;
  expiresAt: number | null;
}

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { store, now } = options;
  const log = options.log ?? silentLog;
  const operator = options.apiKeys.map(digest);
  const token = (options.tokenApiKeys ?? []).map(digest);
  const admin = (options.adminKeys ?? []).map(digest);
  let stored = new Map<string, HeldKey>();
  const lastWritten = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  // Reads run one after another: a read asked for after a change starts after it, never joins an
  // older one that may have missed the change.
  let reads: Promise<void> = Promise.resolve();

  const refresh = async () => {
    if (!store) return;
    const rows = await store.keys.list();
    stored = new Map(
      rows.map((row) => [
        row.keyHash,
        {
          access: {
            kind: 'scoped',
            name: row.name,
            sources: row.sources === null ? null : new Set(row.sources),
            corps: row.corps === null ? null : new Set(row.corps),
            token: row.token,
          },
          expiresAt: row.expiresAt,
        },
      ]),
    );
  };

  const touch = (name: string) => {
    const at = now();
    const last = lastWritten.get(name);
    if (last !== undefined && at - last < LAST_USED_EVERY_MS) return;
    lastWritten.set(name, at);
    store?.keys
      .touch(name, at)
      .catch((error: Error) => log.warn({ key: name }, `recording the last use of key ${name} failed: ${error.message}`));
  };

  return {
    check(presented) {
      const hashed = digest(presented);
      // The configured keys first, each compared in constant time.
      if (keyMatches(hashed, admin)) return { kind: 'admin', sources: null, corps: null, token: false };
      if (keyMatches(hashed, token)) return { ...OPERATOR, token: true };
      if (keyMatches(hashed, operator)) return OPERATOR;
      const held = stored.get(hashed.toString('hex'));
      if (!held) return undefined;
      if (held.expiresAt !== null && held.expiresAt <= now()) return 'expired';
      touch(held.access.name!);
      return held.access;
    },
    refresh() {
      const read = reads.catch(() => {}).then(refresh);
      reads = read;
      return read;
    },
    start() {
      if (!store || timer) return;
      let waiting = false;
      timer = setInterval(() => {
        // A read that hangs (the database away) is not joined by more of them.
        if (waiting) return;
        waiting = true;
        this.refresh()
          .catch((error: Error) => log.warn({}, `reading the API keys failed (the ones read last stay): ${error.message}`))
          .finally(() => (waiting = false));
      }, KEYS_REFRESH_MS);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
