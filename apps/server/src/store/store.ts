/**
 * The archive: one interface, the same SQL on the embedded store and on PostgreSQL.
 * One row per (source, endpoint, corp, account, servicer, day) holding the day's statistic as WeCom
 * sent it (null for no data) and when it was fetched. Days never leave it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isPostgresUrl } from '../config.js';
import type { ChinaDay } from '../china-days.js';
import type { StatisticsEndpoint, StoredToken, TokenStore } from '../kf-core.js';
import { openEmbeddedDriver, openPostgresDriver, type SqlDriver } from './driver.js';
import { metricsViewSql, MIGRATIONS } from './migrations.js';
import { isSealed, seal, unseal } from '../callback/sealed.js';
import { CALLBACK_MAX_SKEW_SECONDS } from '../callback/crypto.js';

export interface SeriesKey {
  source: string;
  endpoint: StatisticsEndpoint;
  corpId: string;
  /** '' for component statistics. */
  openKfid: string;
  /** '' unless one servicer's statistics. */
  servicerUserid: string;
}

export interface ArchivedDay {
  date: ChinaDay;
  stat_time: number;
  statistic: Record<string, unknown> | null;
  /** Epoch ms. */
  fetchedAt: number;
}

export interface LeasedSeries extends SeriesKey {
  id: number;
}

export interface AccountRow {
  corpId: string;
  openKfid: string;
  name: string | null;
}

export interface ServicerRow {
  corpId: string;
  openKfid: string;
  servicerUserid: string;
  status: number | null;
}

export interface SourceStoreStats {
  source: string;
  days: number;
  newestDay: ChinaDay | null;
  lastSuccessAt: number | null;
}

/** A corp that authorized a provider's suite through the callback; the permanent code stays sealed. */
export interface AuthorizationRow {
  source: string;
  corpId: string;
  corpName: string | null;
  permanentCodeSealed: string;
  state: 'active' | 'cancelled';
  /** WeCom's TimeStamp of the event that last changed the row (seconds). */
  wecomTime: number;
}

export interface SuiteTicketRow {
  id: number;
  ticketSealed: string;
  /** WeCom's TimeStamp (seconds). */
  wecomTime: number;
  /** When it arrived (epoch ms). */
  receivedAt: number;
}

/** Tickets kept per suite: the one in use and a few to fall back on. */
const TICKETS_KEPT = 5;
const TICKET_ORDER = `rejected, (wecom_time <= extract(epoch FROM received_at) + ${CALLBACK_MAX_SKEW_SECONDS}) DESC,
  least(wecom_time, extract(epoch FROM received_at)) DESC, id DESC`;

export interface Store {
  readonly kind: 'embedded' | 'postgres';
  /** Keep a suite's ticket; true when it is now the one in use (suiteTicketInUse). */
  offerSuiteTicket(suiteId: string, ticketSealed: string, wecomTime: number, receivedAt: number): Promise<boolean>;
  /**
   * The ticket to use: of those WeCom has not rejected, the newest by WeCom's TimeStamp, where a
   * stamp more than the callback's timestamp window (CALLBACK_MAX_SKEW_SECONDS) ahead of its arrival counts only while no ticket
   * with a believable stamp exists (one pushed with a far-future stamp cannot pin itself).
   */
  suiteTicketInUse(suiteId: string): Promise<SuiteTicketRow | undefined>;
  /** WeCom refused this ticket (40085): the next one in line is used from now on. */
  rejectSuiteTicket(suiteId: string, id: number): Promise<void>;
  /** Insert or renew an authorization (create_auth, reset_permanent_code): it becomes active. */
  saveAuthorization(row: Omit<AuthorizationRow, 'state'>, at: number): Promise<void>;
  /** change_auth / cancel_auth on a known corp; false when the corp is unknown or the event older than the row. */
  markAuthorization(source: string, corpId: string, state: 'active' | 'cancelled', wecomTime: number, at: number): Promise<boolean>;
  listAuthorizations(source?: string): Promise<AuthorizationRow[]>;
  /** Forget a corp's discovered series so the next run lists its accounts again. */
  forgetDiscovery(source: string, corpId: string): Promise<void>;
  readDays(series: SeriesKey, from: ChinaDay, to: ChinaDay): Promise<ArchivedDay[]>;
  /**
   * Insert or replace days; returns how many rows were written and which stored days changed
   * (WeCom answered them differently than before: a late correction).
   */
  writeDays(
    series: SeriesKey,
    days: readonly Omit<ArchivedDay, 'fetchedAt'>[],
    fetchedAt: number,
  ): Promise<{ written: number; revised: ChinaDay[] }>;
  saveAccounts(
    source: string,
    corpId: string,
    accounts: readonly { openKfid: string; name: string | null }[],
    seenAt: number,
  ): Promise<void>;
  listAccounts(source: string, corpId?: string): Promise<AccountRow[]>;
  saveServicers(
    source: string,
    corpId: string,
    openKfid: string,
    servicers: readonly { userid: string; status: number | null }[],
    seenAt: number,
  ): Promise<void>;
  listServicers(source: string, openKfid: string, corpId?: string): Promise<ServicerRow[]>;
  /**
   * The series one process discovered for a corp, for the other replicas; `basis` says what they
   * were discovered for (the China day and the source's settings).
   */
  saveDiscovery(source: string, corpId: string, basis: string, series: readonly SeriesKey[], at: number): Promise<void>;
  readDiscovery(source: string, corpId: string, basis: string): Promise<SeriesKey[] | undefined>;
  /** Every corp of a source discovered for `basis`, in one round trip (a run of many corps). */
  readDiscoveries(source: string, basis: string): Promise<Map<string, SeriesKey[]>>;
  /** Make sure the series exist; returns their ids. */
  registerSeries(series: readonly SeriesKey[]): Promise<number[]>;
  /**
   * Lease one of `ids` that no live lease holds and that is not finished for `today` (`FOR UPDATE
   * SKIP LOCKED`, so replicas never wait on each other), or undefined when none is left.
   */
  claimSeries(ids: readonly number[], owner: string, leaseMs: number, today: ChinaDay): Promise<LeasedSeries | undefined>;
  /** Which of `ids` are finished for `today`. */
  seriesDoneFor(ids: readonly number[], today: ChinaDay): Promise<number[]>;
  renewSeriesLease(id: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Give the lease back; with `doneFor`, the series is finished for that China day and no replica claims it again that day. */
  releaseSeries(id: number, owner: string, doneFor?: ChinaDay): Promise<void>;
  /** A named lease (e.g. a token refresh); true when `owner` holds it now. */
  tryLease(key: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<void>;
  /** Tokens shared by every process on this store. */
  readonly tokens: Pick<TokenStore, 'get' | 'set' | 'delete'> & {
    get(key: string): Promise<StoredToken | undefined>;
    /**
     * The name a token's row and refresh lease have in the store: a keyed hash of core's key
     * (which holds a short fingerprint of the secret), so the store shows no trace of a secret.
     */
    rowKey(key: string): string;
  };
  recordRun(run: { source: string; finishedAt: number; ok: boolean; series: number; daysStored: number; failures: number }): Promise<void>;
  /** Figures per source, kept as days are written and runs recorded: O(sources), not O(archive). */
  sourceStats(): Promise<SourceStoreStats[]>;
  /**
   * One small write: throws when the store cannot be written. With `archive`, a day row is also
   * written to the archive's table and removed again (after an archive write failed, the small
   * write alone may pass where a new day cannot).
   */
  probe(owner: string, options?: { archive?: boolean }): Promise<void>;
  /** Close and open the store again (see SqlDriver.reopen); false where it recovers by itself. */
  reopen(): Promise<boolean>;
  /** Plain SQL on the archive (operations, audits, tests). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Every table's rows as text (for backups and audits). */
  dump(): Promise<string>;
  close(): Promise<void>;
}

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

export interface StoreOptions {
  /**
   * The store key (`storeKeyEnv`): WeCom tokens are kept sealed with it, like permanent codes and
   * tickets. Without it they are kept as WeCom sent them.
   */
  sealKey?: Buffer | undefined;
  /** The key of the token rows' keyed hash (openStore derives it). */
  tokenRowKey?: Buffer;
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

const SERIES_WHERE = 'source = $1 AND endpoint = $2 AND corp_id = $3 AND open_kfid = $4 AND servicer_userid = $5';
const seriesParams = (s: SeriesKey) => [s.source, s.endpoint, s.corpId, s.openKfid, s.servicerUserid];

interface DayRow {
  day: string;
  stat_time: number;
  statistic: Record<string, unknown> | null;
  fetched_ms: number;
}

export function createSqlStore(driver: SqlDriver, options: StoreOptions = {}): Store {
  const q = driver.query.bind(driver);
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

  const ticketInUse: Store['suiteTicketInUse'] = async (suiteId) => {
    const rows = await q<{ id: number; ticket_sealed: string; wecom_time: number; received_ms: number }>(
      `SELECT id::float8 AS id, ticket_sealed, wecom_time::float8 AS wecom_time, (extract(epoch FROM received_at) * 1000)::float8 AS received_ms
       FROM kf_suite_tickets WHERE suite_id = $1 AND NOT rejected ORDER BY ${TICKET_ORDER} LIMIT 1`,
      [suiteId],
    );
    const row = rows[0];
    return row
      ? {
          id: Number(row.id),
          ticketSealed: row.ticket_sealed,
          wecomTime: Number(row.wecom_time),
          receivedAt: Math.round(Number(row.received_ms)),
        }
      : undefined;
  };

  return {
    kind: driver.kind,
    tokens,
    async offerSuiteTicket(suiteId, ticketSealed, wecomTime, receivedAt) {
      const rows = await q<{ id: number }>(
        `INSERT INTO kf_suite_tickets (suite_id, ticket_sealed, wecom_time, received_at) VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000))
         RETURNING id::float8 AS id`,
        [suiteId, ticketSealed, wecomTime, receivedAt],
      );
      await q(
        `DELETE FROM kf_suite_tickets WHERE suite_id = $1 AND id NOT IN (
           SELECT id FROM kf_suite_tickets WHERE suite_id = $1 ORDER BY ${TICKET_ORDER} LIMIT ${TICKETS_KEPT})`,
        [suiteId],
      );
      return (await ticketInUse(suiteId))?.id === Number(rows[0]!.id);
    },
    suiteTicketInUse: ticketInUse,
    async rejectSuiteTicket(suiteId, id) {
      await q('UPDATE kf_suite_tickets SET rejected = true WHERE suite_id = $1 AND id = $2', [suiteId, id]);
    },
    async saveAuthorization(row, at) {
      await q(
        `INSERT INTO kf_authorizations (source, corp_id, corp_name, permanent_code_sealed, state, wecom_time, authorized_at, changed_at)
         VALUES ($1, $2, $3, $4, 'active', $5, to_timestamp($6::float8 / 1000), to_timestamp($6::float8 / 1000))
         ON CONFLICT (source, corp_id) DO UPDATE SET corp_name = coalesce(EXCLUDED.corp_name, kf_authorizations.corp_name),
           permanent_code_sealed = EXCLUDED.permanent_code_sealed, state = 'active', wecom_time = EXCLUDED.wecom_time,
           changed_at = EXCLUDED.changed_at`,
        [row.source, row.corpId, row.corpName, row.permanentCodeSealed, row.wecomTime, at],
      );
    },
    async markAuthorization(source, corpId, state, wecomTime, at) {
      const rows = await q(
        `UPDATE kf_authorizations SET state = $3, wecom_time = $4, changed_at = to_timestamp($5::float8 / 1000)
         WHERE source = $1 AND corp_id = $2 AND wecom_time <= $4 RETURNING corp_id`,
        [source, corpId, state, wecomTime, at],
      );
      return rows.length === 1;
    },
    async listAuthorizations(source) {
      const rows = await q<{
        source: string;
        corp_id: string;
        corp_name: string | null;
        permanent_code_sealed: string;
        state: 'active' | 'cancelled';
        wecom_time: number;
      }>(
        `SELECT source, corp_id, corp_name, permanent_code_sealed, state, wecom_time::float8 AS wecom_time FROM kf_authorizations
         WHERE $1::text IS NULL OR source = $1 ORDER BY source, corp_id`,
        [source ?? null],
      );
      return rows.map((r) => ({
        source: r.source,
        corpId: r.corp_id,
        corpName: r.corp_name,
        permanentCodeSealed: r.permanent_code_sealed,
        state: r.state,
        wecomTime: Number(r.wecom_time),
      }));
    },
    async forgetDiscovery(source, corpId) {
      await q('DELETE FROM kf_discoveries WHERE source = $1 AND corp_id = $2', [source, corpId]);
    },
    query: (sql, params) => driver.query(sql, params),
    async readDays(series, from, to) {
      const rows = await q<DayRow>(
        `SELECT day::text AS day, stat_time::float8 AS stat_time, statistic, (extract(epoch FROM fetched_at) * 1000)::float8 AS fetched_ms
         FROM kf_days WHERE ${SERIES_WHERE} AND day BETWEEN $6::date AND $7::date ORDER BY day`,
        [...seriesParams(series), from, to],
      );
      return rows.map((r) => ({
        date: r.day,
        stat_time: Number(r.stat_time),
        statistic: r.statistic,
        fetchedAt: Math.round(Number(r.fetched_ms)),
      }));
    },
    async writeDays(series, days, fetchedAt) {
      if (days.length === 0) return { written: 0, revised: [] };
      // The source's figures (days, newest day) move in the same statement, so /metrics and the
      // health check read them in O(1) instead of counting the archive. The statement's snapshot
      // still holds the rows as they were: a day whose statistic changed is a revision (a metric
      // stored absent by earlier versions and null now is the same figure: nulls are not compared).
      const rows = await q<{ day: string }>(
        `WITH before AS (
           SELECT day, statistic FROM kf_days WHERE ${SERIES_WHERE} AND day = ANY($6::date[])
         ),
         written AS (
           INSERT INTO kf_days (source, endpoint, corp_id, open_kfid, servicer_userid, day, stat_time, statistic, fetched_at)
           SELECT $1, $2, $3, $4, $5, d.day::date, d.stat_time, d.statistic, to_timestamp($9::float8 / 1000)
           FROM unnest($6::text[], $7::bigint[], $8::jsonb[]) AS d(day, stat_time, statistic)
           ON CONFLICT (source, endpoint, corp_id, open_kfid, servicer_userid, day)
           DO UPDATE SET stat_time = EXCLUDED.stat_time, statistic = EXCLUDED.statistic, fetched_at = EXCLUDED.fetched_at
           RETURNING (xmax = 0) AS inserted, day, statistic
         ),
         figures AS (
           INSERT INTO kf_source_stats (source, days, newest_day)
           SELECT $1, count(*) FILTER (WHERE inserted), max(day) FROM written
           ON CONFLICT (source) DO UPDATE SET days = kf_source_stats.days + EXCLUDED.days,
             newest_day = greatest(kf_source_stats.newest_day, EXCLUDED.newest_day)
         )
         SELECT written.day::text AS day FROM written JOIN before USING (day)
         WHERE jsonb_strip_nulls(before.statistic) IS DISTINCT FROM jsonb_strip_nulls(written.statistic) ORDER BY 1`,
        [
          ...seriesParams(series),
          days.map((d) => d.date),
          days.map((d) => d.stat_time),
          days.map((d) => (d.statistic === null ? null : JSON.stringify(d.statistic))),
          fetchedAt,
        ],
      );
      return { written: days.length, revised: rows.map((r) => r.day) };
    },
    async saveAccounts(source, corpId, accounts, seenAt) {
      if (accounts.length === 0) return;
      await q(
        `INSERT INTO kf_accounts (source, corp_id, open_kfid, name, seen_at)
         SELECT $1, $2, a.open_kfid, a.name, to_timestamp($5::float8 / 1000) FROM unnest($3::text[], $4::text[]) AS a(open_kfid, name)
         ON CONFLICT (source, corp_id, open_kfid) DO UPDATE SET name = EXCLUDED.name, seen_at = EXCLUDED.seen_at`,
        [source, corpId, accounts.map((a) => a.openKfid), accounts.map((a) => a.name), seenAt],
      );
    },
    async listAccounts(source, corpId) {
      const rows = await q<{ corp_id: string; open_kfid: string; name: string | null }>(
        `SELECT corp_id, open_kfid, name FROM kf_accounts WHERE source = $1 AND ($2::text IS NULL OR corp_id = $2) ORDER BY corp_id, open_kfid`,
        [source, corpId ?? null],
      );
      return rows.map((r) => ({ corpId: r.corp_id, openKfid: r.open_kfid, name: r.name }));
    },
    async saveServicers(source, corpId, openKfid, servicers, seenAt) {
      if (servicers.length === 0) return;
      await q(
        `INSERT INTO kf_servicers (source, corp_id, open_kfid, servicer_userid, status, seen_at)
         SELECT $1, $2, $3, s.userid, s.status, to_timestamp($6::float8 / 1000) FROM unnest($4::text[], $5::integer[]) AS s(userid, status)
         ON CONFLICT (source, corp_id, open_kfid, servicer_userid) DO UPDATE SET status = EXCLUDED.status, seen_at = EXCLUDED.seen_at`,
        [source, corpId, openKfid, servicers.map((s) => s.userid), servicers.map((s) => s.status), seenAt],
      );
    },
    async listServicers(source, openKfid, corpId) {
      const rows = await q<{ corp_id: string; open_kfid: string; servicer_userid: string; status: number | null }>(
        `SELECT corp_id, open_kfid, servicer_userid, status FROM kf_servicers
         WHERE source = $1 AND open_kfid = $2 AND ($3::text IS NULL OR corp_id = $3) ORDER BY corp_id, servicer_userid`,
        [source, openKfid, corpId ?? null],
      );
      return rows.map((r) => ({ corpId: r.corp_id, openKfid: r.open_kfid, servicerUserid: r.servicer_userid, status: r.status }));
    },
    async saveDiscovery(source, corpId, basis, series, at) {
      await q(
        `INSERT INTO kf_discoveries (source, corp_id, basis, series, discovered_at) VALUES ($1, $2, $3, $4::jsonb, to_timestamp($5::float8 / 1000))
         ON CONFLICT (source, corp_id) DO UPDATE SET basis = EXCLUDED.basis, series = EXCLUDED.series, discovered_at = EXCLUDED.discovered_at`,
        [source, corpId, basis, JSON.stringify(series), at],
      );
    },
    async readDiscovery(source, corpId, basis) {
      const rows = await q<{ series: SeriesKey[] }>('SELECT series FROM kf_discoveries WHERE source = $1 AND corp_id = $2 AND basis = $3', [
        source,
        corpId,
        basis,
      ]);
      return rows[0]?.series;
    },
    async readDiscoveries(source, basis) {
      const rows = await q<{ corp_id: string; series: SeriesKey[] }>(
        'SELECT corp_id, series FROM kf_discoveries WHERE source = $1 AND basis = $2',
        [source, basis],
      );
      return new Map(rows.map((r) => [r.corp_id, r.series]));
    },
    async registerSeries(series) {
      if (series.length === 0) return [];
      const columns = [
        series.map((s) => s.source),
        series.map((s) => s.endpoint),
        series.map((s) => s.corpId),
        series.map((s) => s.openKfid),
        series.map((s) => s.servicerUserid),
      ];
      await q(
        `INSERT INTO kf_series (source, endpoint, corp_id, open_kfid, servicer_userid)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         ON CONFLICT (source, endpoint, corp_id, open_kfid, servicer_userid) DO NOTHING`,
        columns,
      );
      const rows = await q<{ id: number }>(
        `SELECT s.id::float8 AS id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS w(source, endpoint, corp_id, open_kfid, servicer_userid, n)
         JOIN kf_series s USING (source, endpoint, corp_id, open_kfid, servicer_userid) ORDER BY w.n`,
        columns,
      );
      return rows.map((r) => Number(r.id));
    },
    async claimSeries(ids, owner, leaseMs, today) {
      if (ids.length === 0) return undefined;
      const rows = await q<{
        id: number;
        source: string;
        endpoint: StatisticsEndpoint;
        corp_id: string;
        open_kfid: string;
        servicer_userid: string;
      }>(
        `UPDATE kf_series s SET lease_owner = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000)
         WHERE s.id = (
           SELECT id FROM kf_series WHERE id = ANY($1::bigint[]) AND (lease_until IS NULL OR lease_until < now())
             AND done_day IS DISTINCT FROM $4::date
           ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
         )
         RETURNING s.id::float8 AS id, s.source, s.endpoint, s.corp_id, s.open_kfid, s.servicer_userid`,
        [ids, owner, leaseMs, today],
      );
      const row = rows[0];
      return row
        ? {
            id: Number(row.id),
            source: row.source,
            endpoint: row.endpoint,
            corpId: row.corp_id,
            openKfid: row.open_kfid,
            servicerUserid: row.servicer_userid,
          }
        : undefined;
    },
    async seriesDoneFor(ids, today) {
      if (ids.length === 0) return [];
      const rows = await q<{ id: number }>('SELECT id::float8 AS id FROM kf_series WHERE id = ANY($1::bigint[]) AND done_day = $2::date', [
        ids,
        today,
      ]);
      return rows.map((r) => Number(r.id));
    },
    async renewSeriesLease(id, owner, leaseMs) {
      const rows = await q(
        `UPDATE kf_series SET lease_until = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1 AND lease_owner = $2 RETURNING id`,
        [id, owner, leaseMs],
      );
      return rows.length === 1;
    },
    async releaseSeries(id, owner, doneFor) {
      await q(
        'UPDATE kf_series SET lease_owner = NULL, lease_until = NULL, done_day = coalesce($3::date, done_day) WHERE id = $1 AND lease_owner = $2',
        [id, owner, doneFor ?? null],
      );
    },
    async tryLease(key, owner, leaseMs) {
      const rows = await q(
        `INSERT INTO kf_leases (key, owner, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
         ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
         WHERE kf_leases.lease_until < now() OR kf_leases.owner = EXCLUDED.owner
         RETURNING key`,
        [key, owner, leaseMs],
      );
      return rows.length === 1;
    },
    async releaseLease(key, owner) {
      await q('DELETE FROM kf_leases WHERE key = $1 AND owner = $2', [key, owner]);
    },
    async recordRun(run) {
      await q(
        `WITH run AS (
           INSERT INTO kf_runs (source, finished_at, ok, series, days_stored, failures)
           VALUES ($1, to_timestamp($2::float8 / 1000), $3, $4, $5, $6) RETURNING source, finished_at, ok
         )
         INSERT INTO kf_source_stats (source, last_ok_at) SELECT source, CASE WHEN ok THEN finished_at END FROM run
         ON CONFLICT (source) DO UPDATE SET last_ok_at = greatest(kf_source_stats.last_ok_at, EXCLUDED.last_ok_at)`,
        [run.source, run.finishedAt, run.ok, run.series, run.daysStored, run.failures],
      );
    },
    async sourceStats() {
      const rows = await q<{ source: string; days: number; newest: string | null; last_ok: number | null }>(
        `SELECT source, days::float8 AS days, newest_day::text AS newest, (extract(epoch FROM last_ok_at) * 1000)::float8 AS last_ok
         FROM kf_source_stats ORDER BY source`,
      );
      return rows.map((r) => ({
        source: r.source,
        days: Number(r.days),
        newestDay: r.newest,
        lastSuccessAt: r.last_ok === null ? null : Math.round(Number(r.last_ok)),
      }));
    },
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
      ];
      const parts: string[] = [];
      for (const table of tables) {
        const rows = await q<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t`);
        parts.push(`-- ${table}`, ...rows.map((r) => r.row));
      }
      return parts.join('\n');
    },
    reopen: () => driver.reopen(),
    close: () => driver.close(),
  };
}
