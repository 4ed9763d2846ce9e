/** A provider's suite tickets (newest believable first, a refused one set aside) and the corps' authorizations. */
import type { Query } from './sql.js';
import type { Store } from './types.js';
import { CALLBACK_MAX_SKEW_SECONDS } from '../callback/crypto.js';

/** Tickets kept per suite: the one in use and a few to fall back on. */
const TICKETS_KEPT = 5;
const TICKET_ORDER = `rejected, (wecom_time <= extract(epoch FROM received_at) + ${CALLBACK_MAX_SKEW_SECONDS}) DESC,
  least(wecom_time, extract(epoch FROM received_at)) DESC, id DESC`;

export function ticketQueries(
  q: Query,
): Pick<
  Store,
  'offerSuiteTicket' | 'suiteTicketInUse' | 'rejectSuiteTicket' | 'saveAuthorization' | 'markAuthorization' | 'listAuthorizations'
> {
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
        `INSERT INTO kf_authorizations (source, corp_id, corp_name, permanent_code_sealed, state, wecom_time, authorized_at, changed_at, open_kfids)
         VALUES ($1, $2, $3, $4, 'active', $5, to_timestamp($6::float8 / 1000), to_timestamp($6::float8 / 1000), $7::jsonb)
         ON CONFLICT (source, corp_id) DO UPDATE SET corp_name = coalesce(EXCLUDED.corp_name, kf_authorizations.corp_name),
           permanent_code_sealed = EXCLUDED.permanent_code_sealed, state = 'active', wecom_time = EXCLUDED.wecom_time,
           changed_at = EXCLUDED.changed_at, open_kfids = EXCLUDED.open_kfids, purge_at = NULL`,
        [
          row.source,
          row.corpId,
          row.corpName,
          row.permanentCodeSealed,
          row.wecomTime,
          at,
          row.openKfids == null ? null : JSON.stringify(row.openKfids),
        ],
      );
    },
    async markAuthorization({ source, corpId, state, wecomTime, at, openKfids }) {
      const rows = await q(
        `UPDATE kf_authorizations SET state = $3, wecom_time = $4, changed_at = to_timestamp($5::float8 / 1000),
           open_kfids = CASE WHEN $6::boolean THEN $7::jsonb ELSE open_kfids END
         WHERE source = $1 AND corp_id = $2 AND wecom_time <= $4 RETURNING corp_id`,
        [source, corpId, state, wecomTime, at, openKfids !== undefined, openKfids == null ? null : JSON.stringify(openKfids)],
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
        open_kfids: string[] | null;
        purge_ms: number | null;
      }>(
        `SELECT source, corp_id, corp_name, permanent_code_sealed, state, wecom_time::float8 AS wecom_time, open_kfids,
           (extract(epoch FROM purge_at) * 1000)::float8 AS purge_ms FROM kf_authorizations
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
        openKfids: r.open_kfids,
        purgeAt: r.purge_ms === null ? null : Math.round(Number(r.purge_ms)),
      }));
    },
  };
}
