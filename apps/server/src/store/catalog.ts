/** What each corp has: its accounts and servicers as WeCom listed them, and each day's discovery of its series. */
import type { Query } from './sql.js';
import type { SeriesKey, Store } from './types.js';

export function catalogQueries(
  q: Query,
): Pick<
  Store,
  | 'forgetDiscovery'
  | 'saveAccounts'
  | 'listAccounts'
  | 'saveServicers'
  | 'listServicers'
  | 'saveDiscovery'
  | 'readDiscovery'
  | 'readDiscoveries'
> {
  return {
    async forgetDiscovery(source, corpId) {
      await q('DELETE FROM kf_discoveries WHERE source = $1 AND corp_id = $2', [source, corpId]);
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
    async saveServicers({ source, corpId, openKfid, servicers, seenAt }) {
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
    async saveDiscovery({ source, corpId, basis, series, at }) {
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
  };
}
