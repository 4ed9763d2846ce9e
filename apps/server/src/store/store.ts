/**
 * The archive: one interface, the same SQL on the embedded store and on PostgreSQL. It opens the
 * database, applies the migrations and assembles the aggregates' queries (days, series, catalog,
 * tokens, tickets and authorizations), each in its own module beside this one.
 * One row per (source, endpoint, corp, account, servicer, day) holds the day's statistic as core
 * normalized it (null for no data) and when it was fetched. Days never leave it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isPostgresUrl } from '../config.js';
import { authEventQueries } from './auth-events.js';
import { catalogQueries } from './catalog.js';
import { corpQueries } from './corps.js';
import { dayQueries } from './days.js';
import { openEmbeddedDriver, openPostgresDriver, type SqlDriver } from './driver.js';
import { metricsViewSql, MIGRATIONS } from './migrations.js';
import { seriesQueries } from './series.js';
import { keyQueries } from './keys.js';
import { notifyQueries } from './notify.js';
import { pacingQueries } from './pacing.js';
import { ticketQueries } from './tickets.js';
import { tokenQueries } from './tokens.js';
import type { SeriesKey, Store, StoreOptions } from './types.js';

export type * from './types.js';

/**
 * An error of the database itself (PostgreSQL's or PGlite's: a SQLSTATE and a severity), as
 * opposed to a bug in a query's caller. Its text is for the log, never for an API answer.
 */
export function isStoreError(error: unknown): boolean {
  const e = error as { severity?: unknown; code?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
  );
}

/**
 * The key of the token rows' keyed hash: derived from the store key when there is one; else a
 * random key made once and kept in the store (every replica then names rows alike).
 */
async function tokenRowKey(driver: SqlDriver, sealKey: Buffer | undefined): Promise<Buffer> {
  if (sealKey) return createHmac('sha256', sealKey).update('kf_tokens row keys').digest();
  await driver.query(`INSERT INTO kf_settings (name, value) VALUES ('token_row_key', $1) ON CONFLICT (name) DO NOTHING`, [
    randomBytes(32).toString('base64'),
  ]);
  const [row] = await driver.query<{ value: string }>(`SELECT value FROM kf_settings WHERE name = 'token_row_key'`);
  return Buffer.from(row!.value, 'base64');
}

export async function openStore(location: string, options: StoreOptions = {}): Promise<Store> {
  const driver = isPostgresUrl(location) ? await openPostgresDriver(location) : await openEmbeddedDriver(location);
  let rowKey: Buffer;
  try {
    await migrate(driver);
    rowKey = await tokenRowKey(driver, options.sealKey);
    if (driver.kind === 'embedded') {
      // The embedded store is this process's alone (its lock file says so): leases left by a
      // process that died (kill -9) are void now, not when they expire.
      await driver.query('UPDATE kf_series SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL');
      await driver.query('DELETE FROM kf_leases');
      await driver.query('UPDATE kf_auth_events SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL');
    }
  } catch (error) {
    await driver.close().catch(() => {});
    throw error;
  }
  return createSqlStore(driver, { ...options, tokenRowKey: rowKey });
}

/** Apply pending migrations and the catalog view, under an advisory lock so replicas take turns. */
export async function migrate(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (q, exec) => {
    // Any fixed number: replicas starting together serialize here.
    await q('SELECT pg_advisory_xact_lock(7306211)');
    await q(
      `CREATE TABLE IF NOT EXISTS kf_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q(`CREATE TABLE IF NOT EXISTS kf_schema_views (name text PRIMARY KEY, definition text NOT NULL)`);
    const applied = new Set((await q<{ version: number }>('SELECT version FROM kf_schema_migrations')).map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    if (newest > known)
      throw new Error(`the store has schema version ${newest}, newer than this server knows (${known}): upgrade the server`);
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      // The migration as one script, run by the driver (functions and DO blocks keep their semicolons).
      await exec(migration.sql);
      await q('INSERT INTO kf_schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    const view = metricsViewSql();
    const current = await q<{ definition: string }>(`SELECT definition FROM kf_schema_views WHERE name = 'kf_statistics'`);
    if (current[0]?.definition !== view) {
      // Grants on the view (a read-only Grafana user's SELECT) outlive its recreation.
      const grants = await q<{ statement: string }>(
        `SELECT format('GRANT %s ON kf_statistics TO %s', privilege_type, CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END) AS statement
         FROM information_schema.role_table_grants
         WHERE table_schema = current_schema() AND table_name = 'kf_statistics' AND grantee <> current_user`,
      );
      await q('DROP VIEW IF EXISTS kf_statistics');
      await q(view);
      for (const grant of grants) await q(grant.statement);
      await q(
        `INSERT INTO kf_schema_views (name, definition) VALUES ('kf_statistics', $1) ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition`,
        [view],
      );
    }
  });
}

/** The channel on which writers of days tell the other replicas which series changed. */
const DAYS_CHANNEL = 'kf_days_written';

export function createSqlStore(driver: SqlDriver, options: StoreOptions = {}): Store {
  const q = driver.query.bind(driver);
  const tokens = tokenQueries(q, options);
  const days = dayQueries(q);
  const corps = corpQueries(driver);
  // Versions of each series' days. The embedded store has no other writer; on PostgreSQL other
  // replicas' writes arrive by NOTIFY, and while that connection is down every version is unknown
  // (and, once it is back, new: `epoch` moves on).
  const versions = new Map<string, number>();
  let epoch = 0;
  let following = !driver.listen;
  const seriesKeyText = (s: SeriesKey) => JSON.stringify([s.source, s.endpoint, s.corpId, s.openKfid, s.servicerUserid]);
  const bump = (key: string) => versions.set(key, (versions.get(key) ?? 0) + 1);
  // The trigger names a series as the same JSON array as seriesKeyText (spacing aside).
  const heard = (payload: string) => {
    try {
      bump(JSON.stringify(JSON.parse(payload)));
    } catch {
      // Not a series: nothing to move.
    }
  };
  const stopListening = driver.listen?.(DAYS_CHANNEL, heard, (listening) => {
    epoch += 1;
    following = listening;
  });
  return {
    kind: driver.kind,
    tokens,
    keys: keyQueries(q),
    ...(driver.kind === 'postgres' ? { pacing: pacingQueries(driver) } : {}),
    authEvents: authEventQueries(q),
    notify: notifyQueries(driver),
    corpsDue: corps.corpsDue,
    async deleteCorp(corp) {
      try {
        return await corps.deleteCorp(corp);
      } finally {
        // Every answer kept here is read again (other replicas hear of the days from the trigger).
        epoch += 1;
      }
    },
    ...ticketQueries(q),
    ...catalogQueries(q),
    ...days,
    async writeDays(series, written, fetchedAt) {
      const key = seriesKeyText(series);
      try {
        return await days.writeDays(series, written, fetchedAt);
      } finally {
        // Also after a failed write (it may have been applied): readers look again.
        // (Other replicas hear of it from the table's trigger, when the write commits.)
        bump(key);
      }
    },
    daysVersion(series) {
      return following ? `${epoch}.${versions.get(seriesKeyText(series)) ?? 0}` : undefined;
    },
    ...seriesQueries(q),
    query: (sql, params) => driver.query(sql, params),
    async probe(owner, { archive = false } = {}) {
      if (archive) {
        // A series no source can have (source ids are never empty), written and removed at once.
        await q(
          `INSERT INTO kf_days (source, endpoint, corp_id, open_kfid, servicer_userid, day, stat_time, statistic, fetched_at)
           VALUES ('', 'corp', $1, '', '', '2000-01-01', 0, $2::jsonb, now())
           ON CONFLICT (source, endpoint, corp_id, open_kfid, servicer_userid, day) DO UPDATE SET statistic = EXCLUDED.statistic`,
          [owner, JSON.stringify({ probe: randomBytes(512).toString('base64') })],
        );
        await q(`DELETE FROM kf_days WHERE source = '' AND corp_id = $1`, [owner]);
      }
      // One small write and read: what the archive needs to work. Rows of processes gone for a
      // day are cleared on the way.
      await q(
        `WITH gone AS (DELETE FROM kf_heartbeats WHERE at < now() - interval '1 day' AND owner <> $1)
         INSERT INTO kf_heartbeats (owner, at) VALUES ($1, now()) ON CONFLICT (owner) DO UPDATE SET at = EXCLUDED.at`,
        [owner],
      );
    },
    async dump() {
      const tables = [
        'kf_schema_migrations',
        'kf_days',
        'kf_series',
        'kf_accounts',
        'kf_servicers',
        'kf_discoveries',
        'kf_tokens',
        'kf_leases',
        'kf_runs',
        'kf_suite_tickets',
        'kf_authorizations',
        'kf_source_stats',
        'kf_heartbeats',
        'kf_settings',
        'kf_api_keys',
        'kf_auth_events',
        'kf_pacing_slots',
        'kf_pacing_pauses',
        'kf_notify_destinations',
        'kf_notify_sends',
        'kf_notify_incidents',
      ];
      const parts: string[] = [];
      for (const table of tables) {
        const rows = await q<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t`);
        parts.push(`-- ${table}`, ...rows.map((r) => r.row));
      }
      return parts.join('\n');
    },
    reopen: () => driver.reopen(),
    async close() {
      await stopListening?.();
      await driver.close();
    },
  };
}
