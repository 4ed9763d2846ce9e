/** The series to collect and their leases (one replica per series at a time), plus named leases. */
import type { Query } from './sql.js';
import type { Store } from './types.js';
import type { StatisticsEndpoint } from '../kf-core.js';

export function seriesQueries(
  q: Query,
): Pick<Store, 'registerSeries' | 'claimSeries' | 'seriesDoneFor' | 'renewSeriesLease' | 'releaseSeries' | 'tryLease' | 'releaseLease'> {
  return {
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
  };
}
