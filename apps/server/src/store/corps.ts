/**
 * What the server keeps of one corp, deleted (WeCom's rule on cancel_auth: 服务商收到取消授权事件后，
 * 应当确保删除该企业所有相关的数据): its permanent code, tokens, accounts, servicers, series,
 * discoveries, leases and what its authorization events said, and its archived days at once or
 * when their retention ends.
 */
import type { SqlDriver } from './driver.js';
import type { Store } from './types.js';

export function corpQueries(driver: SqlDriver): Pick<Store, 'deleteCorp' | 'corpsDue'> {
  return {
    async deleteCorp({ source, corpId, tokenRowKeys, archive }) {
      return driver.transaction(async (q) => {
        const params = [source, corpId];
        for (const table of ['kf_accounts', 'kf_servicers', 'kf_series', 'kf_discoveries'])
          await q(`DELETE FROM ${table} WHERE source = $1 AND corp_id = $2`, params);
        if (tokenRowKeys.length > 0) {
          await q('DELETE FROM kf_tokens WHERE key = ANY($1::text[])', [tokenRowKeys]);
          await q('DELETE FROM kf_leases WHERE key = ANY($1::text[])', [tokenRowKeys.map((k) => `token:${k}`)]);
        }
        // Its calls counted against WeCom's limits (PostgreSQL's shared pacing) name it too.
        await q('DELETE FROM kf_pacing_slots WHERE left(scope, length($1)) = $1', [`corp:${corpId} `]);
        await q('DELETE FROM kf_pacing_pauses WHERE left(scope, length($1)) = $1', [`corp:${corpId} `]);
        // Keys whose scope named the corp keep their other corps and name it no more.
        await q(`UPDATE kf_api_keys SET corps = corps - $1::text WHERE corps ? $1::text`, [corpId]);
        // Notices about it and the notices firing for it; a destination made for it alone goes too
        // (its group was the corp's), one that also covers other corps names it no more.
        await q('DELETE FROM kf_notify_sends WHERE source = $1 AND corp_id = $2', params);
        await q('DELETE FROM kf_notify_incidents WHERE source = $1 AND corp_id = $2', params);
        await q(`UPDATE kf_notify_destinations SET corps = corps - $1::text WHERE corps ? $1::text`, [corpId]);
        await q(`DELETE FROM kf_notify_destinations WHERE corps = '[]'::jsonb`);
        // The events stay only as the marks that recognise WeCom's retries (a hash): nothing of the corp.
        await q(
          'UPDATE kf_auth_events SET corp_id = NULL, open_kfids = NULL, auth_code_sealed = NULL, outcome = NULL WHERE source = $1 AND corp_id = $2',
          params,
        );
        if (archive.at === undefined) {
          const deleted = await q<{ n: number }>(
            `WITH gone AS (DELETE FROM kf_days WHERE source = $1 AND corp_id = $2 RETURNING 1) SELECT count(*)::float8 AS n FROM gone`,
            params,
          );
          await q(
            `UPDATE kf_source_stats SET days = greatest(0, days - $2), newest_day = (SELECT max(day) FROM kf_days WHERE source = $1)
             WHERE source = $1`,
            [source, Number(deleted[0]?.n ?? 0)],
          );
          await q('DELETE FROM kf_authorizations WHERE source = $1 AND corp_id = $2', params);
          return Number(deleted[0]?.n ?? 0);
        }
        // Kept until then: the authorization row says when (and holds no code any more).
        await q(
          `UPDATE kf_authorizations SET permanent_code_sealed = '', open_kfids = NULL, purge_at = to_timestamp($3::float8 / 1000)
           WHERE source = $1 AND corp_id = $2`,
          [source, corpId, archive.at],
        );
        return 0;
      });
    },
    async corpsDue(nowMs) {
      const rows = await driver.query<{ source: string; corp_id: string }>(
        `SELECT source, corp_id FROM kf_authorizations WHERE state = 'cancelled' AND purge_at <= to_timestamp($1::float8 / 1000)
         ORDER BY source, corp_id`,
        [nowMs],
      );
      return rows.map((r) => ({ source: r.source, corpId: r.corp_id }));
    },
  };
}
