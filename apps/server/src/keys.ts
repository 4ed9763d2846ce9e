/**
 * Keys made at run time, the same way from the API (POST /api/v1/keys) and the command line
 * (`keys create`): 32 random bytes shown once, only a hash stored with the key's scope.
 */
import { randomBytes } from 'node:crypto';
import type { KeyRequest } from '@wecom-kf-stats/core/server-api';
import { keyHash } from './access.js';
import type { ServerConfig } from './config.js';
import { ParameterError } from './series.js';
import type { ApiKeyRow, Store } from './store/store.js';

/** A key's scope as the API shows it. */
export function describeKey(row: Omit<ApiKeyRow, 'keyHash' | 'lastUsedAt'>) {
  return {
    name: row.name,
    sources: row.sources,
    corps: row.corps,
    token: row.token,
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
  };
}

/** A new key: 32 random bytes, with a prefix that says what it is (secret scanners find it). */
export const newKey = () => `kfs_${randomBytes(32).toString('base64url')}`;

/**
 * Make a key (the API's POST /api/v1/keys and the `keys create` command): sources must be the
 * config's; the name must be free. Returns the key itself, which is never stored.
 */
/** The first source of a key request the config does not have, as the error naming it; undefined when all are known. */
export function unknownKeySource(config: ServerConfig, sources: readonly string[] | undefined): ParameterError | undefined {
  const known = config.sources.map((s) => s.id);
  const i = sources?.findIndex((id) => !known.includes(id)) ?? -1;
  if (i === -1) return undefined;
  return new ParameterError(`sources[${i}]`, `"${sources![i]!.slice(0, 64)}" is not a source of the config; sources: ${known.join(', ')}`);
}

export async function createKey(store: Store, config: ServerConfig, request: KeyRequest, nowMs: number) {
  const unknown = unknownKeySource(config, request.sources);
  if (unknown) throw unknown;
  const key = newKey();
  const row = {
    name: request.name,
    keyHash: keyHash(key),
    sources: request.sources ? [...new Set(request.sources)] : null,
    corps: request.corps ? [...new Set(request.corps)] : null,
    token: request.token ?? false,
    expiresAt: request.expiresInDays === undefined ? null : nowMs + request.expiresInDays * 86_400_000,
    createdAt: nowMs,
  };
  if (!(await store.keys.create(row)))
    throw new ParameterError('name', `a key named "${request.name}" exists; revoke it first or choose another name`);
  return { ...describeKey(row), key };
}
