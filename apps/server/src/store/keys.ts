/** API keys made at run time: only a hash of each key is kept, with its name, scope and expiry. */
import type { Query } from './sql.js';
import type { ApiKeyRow, Store } from './types.js';

interface KeyColumns {
  name: string;
  key_hash: string;
  sources: string[] | null;
  corps: string[] | null;
  token: boolean;
  expires_ms: number | null;
  created_ms: number;
  used_ms: number | null;
}

const COLUMNS = `name, key_hash, sources, corps, token, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms,
  (extract(epoch FROM created_at) * 1000)::float8 AS created_ms, (extract(epoch FROM last_used_at) * 1000)::float8 AS used_ms`;

const rowOf = (r: KeyColumns): ApiKeyRow => ({
  name: r.name,
  keyHash: r.key_hash,
  sources: r.sources,
  corps: r.corps,
  token: r.token,
  expiresAt: r.expires_ms === null ? null : Math.round(Number(r.expires_ms)),
  createdAt: Math.round(Number(r.created_ms)),
  lastUsedAt: r.used_ms === null ? null : Math.round(Number(r.used_ms)),
});

export function keyQueries(q: Query): Store['keys'] {
  return {
    async create(row) {
      const rows = await q<{ name: string }>(
        `INSERT INTO kf_api_keys (name, key_hash, sources, corps, token, expires_at, created_at)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, to_timestamp($6::float8 / 1000), to_timestamp($7::float8 / 1000))
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [
          row.name,
          row.keyHash,
          row.sources === null ? null : JSON.stringify(row.sources),
          row.corps === null ? null : JSON.stringify(row.corps),
          row.token,
          row.expiresAt,
          row.createdAt,
        ],
      );
      return rows.length === 1;
    },
    async list() {
      return (await q<KeyColumns>(`SELECT ${COLUMNS} FROM kf_api_keys ORDER BY name`)).map(rowOf);
    },
    async revoke(name) {
      return (await q('DELETE FROM kf_api_keys WHERE name = $1 RETURNING name', [name])).length === 1;
    },
    async touch(name, at) {
      await q('UPDATE kf_api_keys SET last_used_at = to_timestamp($2::float8 / 1000) WHERE name = $1', [name, at]);
    },
  };
}
