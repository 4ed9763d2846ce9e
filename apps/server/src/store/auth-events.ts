/**
 * Authorization events as the callback recorded them (one durable write before WeCom gets its
 * "success"), claimed one at a time by any replica and applied afterwards: WeCom's retry of the
 * same event finds its row and is not applied twice.
 */
import type { Query } from './sql.js';
import type { AuthEventRow, Store } from './types.js';

interface EventColumns {
  id: number;
  source: string;
  info_type: AuthEventRow['infoType'];
  corp_id: string | null;
  auth_code_sealed: string | null;
  open_kfids: string[] | null;
  wecom_time: number;
  received_ms: number;
  state: AuthEventRow['state'];
  attempts: number;
  outcome: string | null;
  finished_ms: number | null;
}

const COLUMNS = `id::float8 AS id, source, info_type, corp_id, auth_code_sealed, open_kfids, wecom_time::float8 AS wecom_time,
  (extract(epoch FROM received_at) * 1000)::float8 AS received_ms, state, attempts, outcome,
  (extract(epoch FROM finished_at) * 1000)::float8 AS finished_ms`;

const rowOf = (r: EventColumns): AuthEventRow => ({
  id: Number(r.id),
  source: r.source,
  infoType: r.info_type,
  corpId: r.corp_id,
  authCodeSealed: r.auth_code_sealed,
  openKfids: r.open_kfids,
  wecomTime: Number(r.wecom_time),
  receivedAt: Math.round(Number(r.received_ms)),
  state: r.state,
  attempts: Number(r.attempts),
  outcome: r.outcome,
  finishedAt: r.finished_ms === null ? null : Math.round(Number(r.finished_ms)),
});

export function authEventQueries(q: Query): Store['authEvents'] {
  return {
    async record(event) {
      const rows = await q<{ id: number }>(
        `INSERT INTO kf_auth_events (source, info_type, dedupe, corp_id, auth_code_sealed, open_kfids, wecom_time, received_at, state, next_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, to_timestamp($8::float8 / 1000), 'pending', now())
         ON CONFLICT (dedupe) DO NOTHING RETURNING id::float8 AS id`,
        [
          event.source,
          event.infoType,
          event.dedupe,
          event.corpId,
          event.authCodeSealed,
          event.openKfids === null ? null : JSON.stringify(event.openKfids),
          event.wecomTime,
          event.receivedAt,
        ],
      );
      return rows.length === 1;
    },
    async claim(owner, leaseMs) {
      // The oldest due event no live lease holds, and only when no older event of its source is
      // due or being applied: a source's events are applied in the order WeCom sent them.
      const rows = await q<EventColumns>(
        `WITH claimed AS (UPDATE kf_auth_events e SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::float8 / 1000), attempts = e.attempts + 1
         WHERE e.id = (
           SELECT c.id FROM kf_auth_events c
           WHERE c.state = 'pending' AND c.next_at <= now() AND (c.lease_until IS NULL OR c.lease_until < now())
             AND NOT EXISTS (
               SELECT 1 FROM kf_auth_events o WHERE o.source = c.source AND o.state = 'pending' AND o.id < c.id
                 AND (o.next_at <= now() OR o.lease_until >= now()))
           ORDER BY c.id LIMIT 1 FOR UPDATE SKIP LOCKED
         )
         RETURNING e.*)
         SELECT ${COLUMNS} FROM claimed`,
        [owner, leaseMs],
      );
      return rows[0] ? rowOf(rows[0]) : undefined;
    },
    async finish(id, owner, { state, outcome, at, corpId }) {
      // The auth code is spent (or dead) once an event is finished: nothing of it stays.
      await q(
        `UPDATE kf_auth_events SET state = $3, outcome = $4, finished_at = to_timestamp($5::float8 / 1000), auth_code_sealed = NULL,
           lease_owner = NULL, lease_until = NULL, corp_id = coalesce($6, corp_id)
         WHERE id = $1 AND lease_owner = $2`,
        [id, owner, state, outcome, at, corpId ?? null],
      );
    },
    async retryLater(id, owner, { delayMs, outcome }) {
      await q(
        `UPDATE kf_auth_events SET next_at = now() + make_interval(secs => $3::float8 / 1000), outcome = $4, lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND lease_owner = $2`,
        [id, owner, delayMs, outcome],
      );
    },
    async list(source) {
      return (
        await q<EventColumns>(
          `SELECT ${COLUMNS} FROM kf_auth_events WHERE ($1::text IS NULL OR source = $1) AND state <> 'done' ORDER BY id`,
          [source ?? null],
        )
      ).map(rowOf);
    },
    async prune(beforeMs) {
      await q(`DELETE FROM kf_auth_events WHERE state <> 'pending' AND finished_at < to_timestamp($1::float8 / 1000)`, [beforeMs]);
    },
  };
}
