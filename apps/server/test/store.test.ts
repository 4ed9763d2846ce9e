import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '@wecom-kf-stats/core';
import { MIGRATIONS } from '../src/store/migrations.js';
import { openStore, type SeriesKey, type Store } from '../src/store/store.js';
import { createSharedTokenStore } from '../src/tokens.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { tempDir } from './helpers.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

const series: SeriesKey = { source: 'acme', endpoint: 'corp', corpId: 'wwcorp', openKfid: 'wkA', servicerUserid: '' };

const kinds: [string, () => Promise<string>][] = [
  ['embedded store (PGlite directory)', async () => tempDir('kf-store-')],
  ['PostgreSQL', () => postgres.createDatabase()],
];

describe.each(kinds)('%s', (_name, location) => {
  let store: Store;
  let where: string;
  beforeAll(async () => {
    where = await location();
    store = await openStore(where);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('round-trips days with unknown fields kept and null for no data', async () => {
    const fetchedAt = Date.UTC(2026, 0, 10, 2);
    await store.writeDays(
      series,
      [
        { date: '2026-01-01', stat_time: 1767196800, statistic: { session_cnt: 3, reply_rate: 0.5, brand_new_field: 'kept' } },
        { date: '2026-01-02', stat_time: 1767283200, statistic: null },
      ],
      fetchedAt,
    );
    const days = await store.readDays(series, '2025-12-31', '2026-01-03');
    expect(days).toEqual([
      { date: '2026-01-01', stat_time: 1767196800, statistic: { session_cnt: 3, reply_rate: 0.5, brand_new_field: 'kept' }, fetchedAt },
      { date: '2026-01-02', stat_time: 1767283200, statistic: null, fetchedAt },
    ]);
  });

  it('replaces a day fetched again', async () => {
    await store.writeDays(series, [{ date: '2026-01-02', stat_time: 1767283200, statistic: { session_cnt: 9 } }], Date.UTC(2026, 0, 11));
    const [day] = await store.readDays(series, '2026-01-02', '2026-01-02');
    expect(day!.statistic).toEqual({ session_cnt: 9 });
  });

  it('counts a changed figure as a revision, and a metric stored absent that is now null as none', async () => {
    const at = Date.UTC(2026, 0, 12);
    const revisedSeries = { ...series, openKfid: 'wkR' };
    // As earlier versions stored days: absent metrics absent.
    await store.writeDays(revisedSeries, [{ date: '2026-01-05', stat_time: 1767542400, statistic: { session_cnt: 2 } }], at);
    const normalized = { session_cnt: 2, reply_rate: null, brand_new_field: null };
    expect(await store.writeDays(revisedSeries, [{ date: '2026-01-05', stat_time: 1767542400, statistic: normalized }], at)).toEqual({
      written: 1,
      revised: [],
    });
    const corrected = { ...normalized, session_cnt: 5 };
    expect(await store.writeDays(revisedSeries, [{ date: '2026-01-05', stat_time: 1767542400, statistic: corrected }], at)).toEqual({
      written: 1,
      revised: ['2026-01-05'],
    });
  });

  it('migrates once: opening the store again keeps its days', async () => {
    await store.close();
    store = await openStore(where);
    expect(await store.readDays(series, '2026-01-01', '2026-01-02')).toHaveLength(2);
    const versions = await store.query<{ version: number }>('SELECT version FROM kf_schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('has a typed view with one numeric column per catalog metric and the raw JSON', async () => {
    const columns = await store.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'kf_statistics' ORDER BY ordinal_position`,
    );
    const types = new Map(columns.map((c) => [c.column_name, c.data_type]));
    for (const metric of METRICS) expect(types.get(metric.key), metric.key).toBe('double precision');
    expect(types.get('statistic')).toBe('jsonb');
    expect(types.get('time')).toBe('timestamp with time zone');
    const rows = await store.query<Record<string, unknown>>(
      `SELECT day::text AS day, session_cnt, reply_rate, customer_cnt, has_data FROM kf_statistics WHERE open_kfid = 'wkA' ORDER BY day`,
    );
    expect(rows).toEqual([
      { day: '2026-01-01', session_cnt: 3, reply_rate: 0.5, customer_cnt: null, has_data: true },
      { day: '2026-01-02', session_cnt: 9, reply_rate: null, customer_cnt: null, has_data: true },
    ]);
  });

  it('leases a series to one owner until it is released or expires', async () => {
    const [id] = await store.registerSeries([series]);
    expect(await store.registerSeries([series])).toEqual([id]);
    const today = '2026-03-01';
    const first = await store.claimSeries([id!], 'owner-a', 60_000, today);
    expect(first).toMatchObject({ id, ...series });
    expect(await store.claimSeries([id!], 'owner-b', 60_000, today)).toBeUndefined();
    await store.releaseSeries(id!, 'owner-a');
    expect(await store.claimSeries([id!], 'owner-b', 1, today)).toMatchObject({ id });
    await new Promise((r) => setTimeout(r, 20));
    // owner-b's 1 ms lease has expired: owner-a may take the series over.
    expect(await store.claimSeries([id!], 'owner-a', 60_000, today)).toMatchObject({ id });
  });

  it('does not lease a series finished for the day again that day', async () => {
    const other = { ...series, openKfid: 'wkDone' };
    const [id] = await store.registerSeries([other]);
    expect(await store.claimSeries([id!], 'owner-a', 60_000, '2026-03-01')).toMatchObject({ id });
    await store.releaseSeries(id!, 'owner-a', '2026-03-01');
    expect(await store.seriesDoneFor([id!], '2026-03-01')).toEqual([id]);
    expect(await store.claimSeries([id!], 'owner-b', 60_000, '2026-03-01')).toBeUndefined();
    expect(await store.seriesDoneFor([id!], '2026-03-02')).toEqual([]);
    expect(await store.claimSeries([id!], 'owner-b', 60_000, '2026-03-02')).toMatchObject({ id });
    // A release without a day keeps the mark it had.
    await store.releaseSeries(id!, 'owner-b');
    expect(await store.seriesDoneFor([id!], '2026-03-01')).toEqual([id]);
  });

  it('hands a token refresh to one process while the others wait for its token', async () => {
    const now = () => Date.now();
    const a = createSharedTokenStore(store, 'proc-a', now, (ms) => new Promise((r) => setTimeout(r, ms)));
    const b = createSharedTokenStore(store, 'proc-b', now, (ms) => new Promise((r) => setTimeout(r, ms)));
    expect(await a.get('corp-key')).toBeUndefined();
    const waiting = b.get('corp-key');
    await new Promise((r) => setTimeout(r, 150));
    await a.set('corp-key', { token: 'tok-1', expiresAt: now() + 7_200_000, renewAt: now() + 6_900_000 });
    expect(await waiting).toMatchObject({ token: 'tok-1' });
    await b.delete('corp-key');
    expect(await store.tokens.get('corp-key')).toBeUndefined();
  });

  it('lets the next caller refresh at once when the refresh that held the lease failed', async () => {
    const now = () => Date.now();
    const a = createSharedTokenStore(store, 'proc-a', now, (ms) => new Promise((r) => setTimeout(r, ms)));
    const b = createSharedTokenStore(store, 'proc-b', now, (ms) => new Promise((r) => setTimeout(r, ms)));
    expect(await a.get('failing-key')).toBeUndefined();
    // proc-a's fetch failed (WeCom refused the ticket, say): core releases what get reserved, and
    // proc-b takes the refresh over at once instead of waiting for the lease to expire.
    await a.release!('failing-key');
    expect(await b.get('failing-key')).toBeUndefined();
    const [lease] = await store.query<{ owner: string }>('SELECT owner FROM kf_leases WHERE key = $1', [
      `token:${store.tokens.rowKey('failing-key')}`,
    ]);
    expect(lease!.owner).toBe('proc-b');
    await b.release!('failing-key');
  });

  it('hands a refresh to one client of a process while the others in it wait too', async () => {
    const now = () => Date.now();
    const shared = createSharedTokenStore(store, 'proc-c', now, (ms) => new Promise((r) => setTimeout(r, ms)));
    expect(await shared.get('suite-key')).toBeUndefined();
    // A second client of the same process asks while the first refreshes: it waits, not refreshes.
    const second = shared.get('suite-key');
    await new Promise((r) => setTimeout(r, 150));
    await shared.set('suite-key', { token: 'suite-tok', expiresAt: now() + 7_200_000, renewAt: now() + 6_900_000 });
    expect(await second).toMatchObject({ token: 'suite-tok' });
  });

  it('keeps tokens sealed with the store key, and a token that does not open reads as missing', async () => {
    const where2 = await location();
    const sealKey = Buffer.alloc(32, 9);
    const sealed = await openStore(where2, { sealKey });
    const expiry = { expiresAt: Date.now() + 7_200_000, renewAt: Date.now() + 6_900_000 };
    await sealed.tokens.set('corp-a', { token: 'plain-token-value-123', ...expiry });
    expect(await sealed.tokens.get('corp-a')).toMatchObject({ token: 'plain-token-value-123' });
    expect(await sealed.dump()).not.toContain('plain-token-value-123');
    // A row copied under another key does not open.
    await sealed.query(`INSERT INTO kf_tokens SELECT $1, token, expires_at, renew_at FROM kf_tokens WHERE key = $2`, [
      sealed.tokens.rowKey('corp-b'),
      sealed.tokens.rowKey('corp-a'),
    ]);
    expect(await sealed.tokens.get('corp-b')).toBeUndefined();
    await sealed.close();
    const unkeyed = await openStore(where2);
    expect(await unkeyed.tokens.get('corp-a')).toBeUndefined();
    await unkeyed.tokens.set('corp-c', { token: 'older-plain-token', ...expiry });
    await unkeyed.close();
    const rekeyed = await openStore(where2, { sealKey });
    expect(await rekeyed.tokens.get('corp-c')).toBeUndefined();
    await rekeyed.close();
  });

  it("keeps each source's figures as days are written, and reads them without scanning the archive", async () => {
    const other = { ...series, source: 'figures', openKfid: 'wkF' };
    const day = (date: string) => ({ date, stat_time: 0, statistic: { session_cnt: 1 } });
    await store.writeDays(other, [day('2026-02-01'), day('2026-02-02')], Date.now());
    // A day written again (a late correction, a live fetch of an unsettled day) is one day.
    await store.writeDays(other, [day('2026-02-02'), day('2026-02-03')], Date.now());
    await store.writeDays({ ...other, openKfid: 'wkG' }, [day('2026-01-15')], Date.now());
    await store.recordRun({ source: 'figures', finishedAt: 1_800_000_000_000, ok: true, series: 2, daysStored: 4, failures: 0 });
    await store.recordRun({ source: 'figures', finishedAt: 1_800_000_100_000, ok: false, series: 2, daysStored: 0, failures: 1 });
    const [counted] = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM kf_days WHERE source = 'figures'`);
    const scans = async () => {
      await store.query('SELECT pg_stat_force_next_flush()');
      await store.query('SELECT pg_stat_clear_snapshot()');
      const [row] = await store.query<{ n: number }>(
        `SELECT (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int AS n FROM pg_stat_user_tables WHERE relname = 'kf_days'`,
      );
      return row!.n;
    };
    const before = await scans();
    const stats = (await store.sourceStats()).find((s) => s.source === 'figures');
    expect(await scans()).toBe(before);
    expect(stats).toEqual({ source: 'figures', days: counted!.n, newestDay: '2026-02-03', lastSuccessAt: 1_800_000_000_000 });
    expect(counted!.n).toBe(4);
  });

  it('names token rows by a keyed hash: no trace of the secret that core keys them by', async () => {
    const coreKey = 'selfBuilt:wwcorp:1a2b3c4d';
    const expiry = { expiresAt: Date.now() + 7_200_000, renewAt: Date.now() + 6_900_000 };
    await store.tokens.set(coreKey, { token: 'tok-for-row-key', ...expiry });
    const rows = await store.query<{ key: string }>(`SELECT key FROM kf_tokens`);
    expect(rows.map((r) => r.key)).toContain(store.tokens.rowKey(coreKey));
    expect(JSON.stringify(rows)).not.toContain('1a2b3c4d');
    expect(JSON.stringify(rows)).not.toContain('wwcorp');
    // Another store key names the same row otherwise: the hash is keyed.
    const elsewhere = await openStore(await location(), { sealKey: Buffer.alloc(32, 3) });
    expect(elsewhere.tokens.rowKey(coreKey)).not.toBe(store.tokens.rowKey(coreKey));
    await elsewhere.close();
    await store.tokens.delete(coreKey);
  });

  it('keeps the grants on the metrics view when a new catalog recreates it', async () => {
    await store.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kf_reader') THEN CREATE ROLE kf_reader; END IF; END $$`,
    );
    await store.query('GRANT SELECT ON kf_statistics TO kf_reader');
    // As after an upgrade whose catalog has another metric: the stored definition differs.
    await store.query(`UPDATE kf_schema_views SET definition = 'an older catalog' WHERE name = 'kf_statistics'`);
    await store.close();
    store = await openStore(where);
    const grants = await store.query<{ grantee: string; privilege_type: string }>(
      `SELECT grantee, privilege_type FROM information_schema.role_table_grants WHERE table_name = 'kf_statistics' AND grantee = 'kf_reader'`,
    );
    expect(grants).toEqual([{ grantee: 'kf_reader', privilege_type: 'SELECT' }]);
    expect((await store.query<{ definition: string }>(`SELECT definition FROM kf_schema_views`))[0]!.definition).not.toBe(
      'an older catalog',
    );
  });

  it("keeps the newest suite_ticket by WeCom's TimeStamp, whoever stores it", async () => {
    // On PostgreSQL a second process (replica) shares the ticket; the embedded store is one process's.
    const other = store.kind === 'postgres' ? await openStore(where) : store;
    const at = 2_000_000;
    expect(await store.offerSuiteTicket('wwsuite', 'sealed-1', 1000, at)).toBe(true);
    expect(await other.offerSuiteTicket('wwsuite', 'sealed-2', 1600, at)).toBe(true);
    // An older push arriving late (WeCom retries) does not win.
    expect(await store.offerSuiteTicket('wwsuite', 'sealed-old', 1300, at)).toBe(false);
    expect(await store.suiteTicketInUse('wwsuite')).toMatchObject({ ticketSealed: 'sealed-2', wecomTime: 1600, receivedAt: at });
    expect(await other.suiteTicketInUse('wwsuite')).toMatchObject({ ticketSealed: 'sealed-2', wecomTime: 1600 });
    expect(await store.suiteTicketInUse('wwother')).toBeUndefined();
    if (other !== store) await other.close();
  });

  it('uses a ticket stamped far in the future only while no ticket with a believable stamp exists', async () => {
    const nowMs = 10_000_000;
    // Stamped in 2100, arriving at nowMs: kept, and used while it is the only one.
    expect(await store.offerSuiteTicket('wwfuture', 'sealed-future', 4102444800, nowMs)).toBe(true);
    // The next real push (stamped at its arrival, 600 s later) takes over.
    expect(await store.offerSuiteTicket('wwfuture', 'sealed-real', nowMs / 1000 + 600, nowMs + 600_000)).toBe(true);
    expect(await store.suiteTicketInUse('wwfuture')).toMatchObject({ ticketSealed: 'sealed-real' });
    // A stamp within the callback's 300 s window ahead of its arrival is believed.
    expect(await store.offerSuiteTicket('wwfuture', 'sealed-ahead', nowMs / 1000 + 600 + 299, nowMs + 600_000)).toBe(true);
  });

  it('gives a ticket WeCom refused up for the next newest one, and keeps only a few per suite', async () => {
    for (let i = 1; i <= 8; i += 1) await store.offerSuiteTicket('wwreject', `sealed-${i}`, 1000 + i, 2_000_000);
    const best = await store.suiteTicketInUse('wwreject');
    expect(best).toMatchObject({ ticketSealed: 'sealed-8' });
    await store.rejectSuiteTicket('wwreject', best!.id);
    expect(await store.suiteTicketInUse('wwreject')).toMatchObject({ ticketSealed: 'sealed-7' });
    const [row] = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM kf_suite_tickets WHERE suite_id = 'wwreject'`);
    expect(row!.n).toBeLessThanOrEqual(5);
  });

  it('records authorizations: create, change, cancel, and an event older than the row changes nothing', async () => {
    await store.saveAuthorization({ source: 'isv', corpId: 'wwb', corpName: 'B', permanentCodeSealed: 'pc-1', wecomTime: 100 }, Date.now());
    await store.saveAuthorization(
      { source: 'isv', corpId: 'wwa', corpName: null, permanentCodeSealed: 'pc-a', wecomTime: 100 },
      Date.now(),
    );
    expect(await store.markAuthorization({ source: 'isv', corpId: 'wwb', state: 'cancelled', wecomTime: 200, at: Date.now() })).toBe(true);
    expect(await store.markAuthorization({ source: 'isv', corpId: 'wwb', state: 'active', wecomTime: 150, at: Date.now() })).toBe(false);
    expect(await store.markAuthorization({ source: 'isv', corpId: 'wwnobody', state: 'cancelled', wecomTime: 300, at: Date.now() })).toBe(
      false,
    );
    expect(await store.listAuthorizations('isv')).toEqual([
      {
        source: 'isv',
        corpId: 'wwa',
        corpName: null,
        permanentCodeSealed: 'pc-a',
        state: 'active',
        wecomTime: 100,
        openKfids: null,
        purgeAt: null,
      },
      {
        source: 'isv',
        corpId: 'wwb',
        corpName: 'B',
        permanentCodeSealed: 'pc-1',
        state: 'cancelled',
        wecomTime: 200,
        openKfids: null,
        purgeAt: null,
      },
    ]);
    // The corp authorizes again: active, with its new code and its name kept.
    await store.saveAuthorization(
      { source: 'isv', corpId: 'wwb', corpName: null, permanentCodeSealed: 'pc-2', wecomTime: 400 },
      Date.now(),
    );
    expect((await store.listAuthorizations()).find((r) => r.corpId === 'wwb')).toMatchObject({
      state: 'active',
      permanentCodeSealed: 'pc-2',
      corpName: 'B',
    });
    expect(await store.listAuthorizations('other')).toEqual([]);
  });

  it("records an authorization event once, and hands out a source's events one at a time, in order", async () => {
    const event = (dedupe: string, source = 'ev') => ({
      source,
      infoType: 'change_auth' as const,
      dedupe,
      corpId: 'wwc',
      authCodeSealed: null,
      openKfids: ['wk1'],
      wecomTime: 1,
      receivedAt: Date.now(),
    });
    expect(await store.authEvents.record(event('e1'))).toBe(true);
    expect(await store.authEvents.record(event('e1'))).toBe(false);
    expect(await store.authEvents.record(event('e2'))).toBe(true);
    expect(await store.authEvents.record(event('f1', 'other-ev'))).toBe(true);
    const first = await store.authEvents.claim('a', 60_000);
    expect(first).toMatchObject({ source: 'ev', attempts: 1, openKfids: ['wk1'], state: 'pending' });
    // e2 waits for e1 (same source); the other source's event does not.
    const second = await store.authEvents.claim('b', 60_000);
    expect(second).toMatchObject({ source: 'other-ev' });
    expect(await store.authEvents.claim('b', 60_000)).toBeUndefined();
    // e1 waits to be tried again later: e2 may go meanwhile.
    await store.authEvents.retryLater(first!.id, 'a', { delayMs: 60_000, outcome: 'busy' });
    const third = await store.authEvents.claim('b', 60_000);
    expect(third?.id).toBeGreaterThan(first!.id);
    await store.authEvents.finish(third!.id, 'b', { state: 'done', outcome: 'ok', at: Date.now() });
    await store.authEvents.finish(second!.id, 'b', { state: 'failed', outcome: 'no', at: Date.now() });
    // A finish by one that does not hold the lease changes nothing.
    await store.authEvents.finish(first!.id, 'b', { state: 'done', outcome: 'stolen', at: Date.now() });
    expect((await store.authEvents.list()).map((e) => [e.source, e.state, e.outcome])).toEqual([
      ['ev', 'pending', 'busy'],
      ['other-ev', 'failed', 'no'],
    ]);
    await store.authEvents.prune(Date.now() + 1000);
    expect((await store.authEvents.list()).map((e) => e.state)).toEqual(['pending']);
  });
});

describe('PostgreSQL: versions of days across replicas', () => {
  it("moves a series' version when another replica writes its days, and only that series'", async () => {
    const url = await postgres.createDatabase();
    const reader = await openStore(url);
    const writer = await openStore(url);
    try {
      const other = { ...series, openKfid: 'wkOther' };
      // The reader listens once its connection is up.
      for (let i = 0; i < 100 && reader.daysVersion(series) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      const before = reader.daysVersion(series);
      const otherBefore = reader.daysVersion(other);
      expect(before).toBeDefined();
      await writer.writeDays(series, [{ date: '2026-03-01', stat_time: 1772294400, statistic: { session_cnt: 1 } }], Date.now());
      for (let i = 0; i < 100 && reader.daysVersion(series) === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(reader.daysVersion(series)).not.toBe(before);
      expect(reader.daysVersion(other)).toBe(otherBefore);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('the embedded store', () => {
  it("is one process's at a time: a second opening is refused, naming PostgreSQL", async () => {
    const where = tempDir('kf-lock-');
    const first = await openStore(where);
    try {
      await expect(openStore(where)).rejects.toThrow(`the embedded store ${where} is already open in this process`);
    } finally {
      await first.close();
    }
    const again = await openStore(where);
    await again.close();
  });
});

describe.each(kinds)('%s: schema versions', (_name, location) => {
  it('refuses a store whose schema is newer than the server', async () => {
    const where = await location();
    const store = await openStore(where);
    await store.query(`INSERT INTO kf_schema_migrations (version, name) VALUES (999, 'from the future')`);
    await store.close();
    await expect(openStore(where)).rejects.toThrow(
      `the store has schema version 999, newer than this server knows (${MIGRATIONS.length}): upgrade the server`,
    );
  });
});
