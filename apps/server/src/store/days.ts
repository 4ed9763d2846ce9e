/** The archived days of every series, and each source's figures, kept as days are written. */
import type { Query } from './sql.js';
import type { Store } from './types.js';
import { SERIES_WHERE, seriesParams, type DayRow } from './sql.js';

export function dayQueries(q: Query): Pick<Store, 'readDays' | 'writeDays' | 'recordRun' | 'sourceStats'> {
  return {
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
  };
}
