/**
 * What the notifier keeps: destinations made through the API (the webhook sealed), every report
 * and notice claimed before it is sent (so that one replica sends it), and the notices firing now
 * (so that each fires once and says when it clears).
 */
import type { SqlDriver } from './driver.js';
import type { NotifyDestinationRow, NotifySendRow, Store } from './types.js';

interface SendColumns {
  id: number;
  destination: string;
  kind: NotifySendRow['kind'];
  source: string | null;
  corp_id: string | null;
  what: string;
  state: NotifySendRow['state'];
  parts: number;
  parts_sent: number;
  attempts: number;
  outcome: string | null;
  claimed_ms: number;
  finished_ms: number | null;
}

const SEND_COLUMNS = `id::float8 AS id, destination, kind, source, corp_id, what, state, parts, parts_sent, attempts, outcome,
  (extract(epoch FROM claimed_at) * 1000)::float8 AS claimed_ms, (extract(epoch FROM finished_at) * 1000)::float8 AS finished_ms`;

const sendOf = (r: SendColumns): NotifySendRow => ({
  id: Number(r.id),
  destination: r.destination,
  kind: r.kind,
  source: r.source,
  corpId: r.corp_id,
  what: r.what,
  state: r.state,
  parts: Number(r.parts),
  partsSent: Number(r.parts_sent),
  attempts: Number(r.attempts),
  outcome: r.outcome,
  claimedAt: Math.round(Number(r.claimed_ms)),
  finishedAt: r.finished_ms === null ? null : Math.round(Number(r.finished_ms)),
});

interface DestinationColumns {
  id: string;
  webhook_sealed: string;
  sources: string[] | null;
  corps: string[] | null;
  accounts: string[] | null;
  language: NotifyDestinationRow['language'];
  report: NotifyDestinationRow['report'];
  rules: NotifyDestinationRow['rules'];
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

type Claim = Parameters<Store['notify']['claim']>[0];
const INSERT_SEND = `INSERT INTO kf_notify_sends (destination, kind, dedupe, source, corp_id, what, state, owner, claimed_at, parts)
  VALUES ($1, $2, $3, $4, $5, $6, 'sending', $7, to_timestamp($8::float8 / 1000), $9)
  ON CONFLICT (dedupe) DO NOTHING RETURNING id::float8 AS id`;
const sendParams = (c: Claim) => [c.destination, c.kind, c.dedupe, c.source, c.corpId, c.what, c.owner, c.at, c.parts];

export function notifyQueries(driver: SqlDriver): Store['notify'] {
  const q = driver.query.bind(driver);
  return {
    async saveDestination(row) {
      const rows = await q(
        `INSERT INTO kf_notify_destinations (id, webhook_sealed, sources, corps, accounts, language, report, rules, created_at)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8::jsonb, to_timestamp($9::float8 / 1000))
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          row.id,
          row.webhookSealed,
          json(row.sources),
          json(row.corps),
          json(row.accounts),
          row.language,
          json(row.report),
          json(row.rules),
          row.createdAt,
        ],
      );
      return rows.length === 1;
    },
    async listDestinations() {
      const rows = await q<DestinationColumns>(
        'SELECT id, webhook_sealed, sources, corps, accounts, language, report, rules FROM kf_notify_destinations ORDER BY id',
      );
      return rows.map((r) => ({
        id: r.id,
        webhookSealed: r.webhook_sealed,
        sources: r.sources,
        corps: r.corps,
        accounts: r.accounts,
        language: r.language,
        report: r.report,
        rules: r.rules,
      }));
    },
    async deleteDestination(id) {
      return driver.transaction(async (t) => {
        const gone = await t('DELETE FROM kf_notify_destinations WHERE id = $1 RETURNING id', [id]);
        await t('DELETE FROM kf_notify_incidents WHERE destination = $1', [id]);
        return gone.length === 1;
      });
    },
    async claim(claim) {
      const rows = await q<{ id: number }>(INSERT_SEND, sendParams(claim));
      return rows[0] ? Number(rows[0].id) : undefined;
    },
    async openIncident(incident, claim) {
      // The notice is claimed in the transaction that opens the incident: either both are kept or neither.
      return driver.transaction(async (t) => {
        const opened = await t(
          `INSERT INTO kf_notify_incidents (destination, rule, subject, source, corp_id, day, opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::float8 / 1000)) ON CONFLICT DO NOTHING RETURNING rule`,
          [incident.destination, incident.rule, incident.subject, incident.source, incident.corpId, incident.day, claim.at],
        );
        if (opened.length === 0) return undefined;
        const rows = await t<{ id: number }>(INSERT_SEND, sendParams(claim));
        return rows[0] ? Number(rows[0].id) : undefined;
      });
    },
    async closeIncident(incident, claim) {
      return driver.transaction(async (t) => {
        const closed = await t('DELETE FROM kf_notify_incidents WHERE destination = $1 AND rule = $2 AND subject = $3 RETURNING rule', [
          incident.destination,
          incident.rule,
          incident.subject,
        ]);
        if (closed.length === 0) return undefined;
        const rows = await t<{ id: number }>(INSERT_SEND, sendParams(claim));
        return rows[0] ? Number(rows[0].id) : undefined;
      });
    },
    async incidents(destination) {
      const rows = await q<{ rule: string; subject: string; source: string | null; corp_id: string | null; day: string }>(
        'SELECT rule, subject, source, corp_id, day FROM kf_notify_incidents WHERE destination = $1 ORDER BY rule, subject',
        [destination],
      );
      return rows.map((r) => ({ destination, rule: r.rule, subject: r.subject, source: r.source, corpId: r.corp_id, day: r.day }));
    },
    async dropIncidents(destination, keepRules) {
      await q('DELETE FROM kf_notify_incidents WHERE destination = $1 AND NOT (rule = ANY($2::text[]))', [destination, [...keepRules]]);
    },
    async finish(id, owner, result) {
      await q(
        `UPDATE kf_notify_sends SET state = $3, outcome = $4, parts_sent = $5, attempts = $6, finished_at = to_timestamp($7::float8 / 1000)
         WHERE id = $1 AND owner = $2 AND state = 'sending'`,
        [id, owner, result.state, result.outcome, result.partsSent, result.attempts, result.at],
      );
    },
    async markLost(beforeMs, at) {
      const rows = await q<SendColumns>(
        `WITH lost AS (UPDATE kf_notify_sends SET state = 'lost', finished_at = to_timestamp($2::float8 / 1000),
           outcome = coalesce(outcome, 'the process sending it stopped; not sent again, so that it is never sent twice')
         WHERE state = 'sending' AND claimed_at < to_timestamp($1::float8 / 1000) RETURNING *)
         SELECT ${SEND_COLUMNS} FROM lost`,
        [beforeMs, at],
      );
      return rows.map(sendOf);
    },
    async sends(destination) {
      const rows = await q<SendColumns>(
        `SELECT ${SEND_COLUMNS} FROM kf_notify_sends WHERE ($1::text IS NULL OR destination = $1) ORDER BY id`,
        [destination ?? null],
      );
      return rows.map(sendOf);
    },
    async claimedAmong(dedupes) {
      if (dedupes.length === 0) return new Set();
      const rows = await q<{ dedupe: string }>('SELECT dedupe FROM kf_notify_sends WHERE dedupe = ANY($1::text[])', [[...dedupes]]);
      return new Set(rows.map((r) => r.dedupe));
    },
    async accounts(sources) {
      // The accounts whose corp statistics or servicer total are collected, with their names.
      const rows = await q<{ source: string; corp_id: string; open_kfid: string; name: string | null }>(
        `SELECT DISTINCT s.source, s.corp_id, s.open_kfid, a.name FROM kf_series s
         LEFT JOIN kf_accounts a ON a.source = s.source AND a.corp_id = s.corp_id AND a.open_kfid = s.open_kfid
         WHERE s.source = ANY($1::text[]) AND s.endpoint IN ('corp', 'servicer') AND s.open_kfid <> '' AND s.servicer_userid = ''
         ORDER BY s.source, s.corp_id, s.open_kfid`,
        [[...sources]],
      );
      return rows.map((r) => ({ source: r.source, corpId: r.corp_id, openKfid: r.open_kfid, name: r.name }));
    },
    async accountDays(sources, from, to) {
      const rows = await q<{
        source: string;
        endpoint: 'corp' | 'servicer';
        corp_id: string;
        open_kfid: string;
        day: string;
        statistic: Record<string, unknown> | null;
      }>(
        `SELECT source, endpoint, corp_id, open_kfid, day::text AS day, statistic FROM kf_days
         WHERE source = ANY($1::text[]) AND endpoint IN ('corp', 'servicer') AND open_kfid <> '' AND servicer_userid = ''
           AND day BETWEEN $2::date AND $3::date`,
        [[...sources], from, to],
      );
      return rows.map((r) => ({
        source: r.source,
        endpoint: r.endpoint,
        corpId: r.corp_id,
        openKfid: r.open_kfid,
        day: r.day,
        statistic: r.statistic,
      }));
    },
    async prune(beforeMs) {
      await q(`DELETE FROM kf_notify_sends WHERE state <> 'sending' AND claimed_at < to_timestamp($1::float8 / 1000)`, [beforeMs]);
    },
  };
}
