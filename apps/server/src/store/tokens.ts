/** WeCom's tokens, sealed with the store key when there is one, in rows named by a keyed hash. */
import { createHmac, randomBytes } from 'node:crypto';
import { isSealed, seal, unseal } from '../callback/sealed.js';
import type { Query } from './sql.js';
import type { Store, StoreOptions } from './types.js';

export function tokenQueries(q: Query, options: StoreOptions): Store['tokens'] {
  const { sealKey } = options;
  const tokenContext = (key: string) => `token:${key}`;
  // A token that does not open (sealed under another key, or sealed while this process has none)
  // reads as missing: the next call fetches a fresh one.
  const openToken = (key: string, text: string): string | undefined => {
    if (!isSealed(text)) return sealKey ? undefined : text;
    if (!sealKey) return undefined;
    try {
      return unseal(sealKey, text, tokenContext(key));
    } catch {
      return undefined;
    }
  };
  const hashKey = options.tokenRowKey ?? randomBytes(32);
  const rowKey = (key: string) => `k1.${createHmac('sha256', hashKey).update(key).digest('base64url')}`;
  const tokens: Store['tokens'] = {
    rowKey,
    async get(coreKey) {
      const key = rowKey(coreKey);
      const rows = await q<{ token: string; expires_at: number; renew_at: number }>(
        'SELECT token, expires_at::float8 AS expires_at, renew_at::float8 AS renew_at FROM kf_tokens WHERE key = $1',
        [key],
      );
      const row = rows[0];
      const token = row ? openToken(key, row.token) : undefined;
      return row && token !== undefined ? { token, expiresAt: Number(row.expires_at), renewAt: Number(row.renew_at) } : undefined;
    },
    async set(coreKey, token) {
      const key = rowKey(coreKey);
      await q(
        `INSERT INTO kf_tokens (key, token, expires_at, renew_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at, renew_at = EXCLUDED.renew_at`,
        [
          key,
          sealKey ? seal(sealKey, token.token, tokenContext(key)) : token.token,
          Math.round(token.expiresAt),
          Math.round(token.renewAt),
        ],
      );
    },
    async delete(coreKey) {
      await q('DELETE FROM kf_tokens WHERE key = $1', [rowKey(coreKey)]);
    },
  };
  return tokens;
}
