/**
 * The archive's schema, the same on the embedded store (PGlite) and on PostgreSQL. Versioned
 * migrations run in order, once each, inside one transaction; the typed metrics view is generated
 * from core's metric catalog and recreated whenever the catalog changes.
 */
import { METRICS } from '../kf-core.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'archive, series, tokens, runs',
    sql: `
CREATE TABLE kf_days (
  source          text        NOT NULL,
  endpoint        text        NOT NULL CHECK (endpoint IN ('component', 'corp', 'servicer')),
  corp_id         text        NOT NULL,
  open_kfid       text        NOT NULL DEFAULT '',
  servicer_userid text        NOT NULL DEFAULT '',
  day             date        NOT NULL,
  stat_time       bigint      NOT NULL,
  statistic       jsonb,
  fetched_at      timestamptz NOT NULL,
  PRIMARY KEY (source, endpoint, corp_id, open_kfid, servicer_userid, day)
);
CREATE TABLE kf_series (
  id              bigserial   PRIMARY KEY,
  source          text        NOT NULL,
  endpoint        text        NOT NULL,
  corp_id         text        NOT NULL,
  open_kfid       text        NOT NULL DEFAULT '',
  servicer_userid text        NOT NULL DEFAULT '',
  discovered_at   timestamptz NOT NULL DEFAULT now(),
  lease_owner     text,
  lease_until     timestamptz,
  UNIQUE (source, endpoint, corp_id, open_kfid, servicer_userid)
);
CREATE TABLE kf_accounts (
  source     text        NOT NULL,
  corp_id    text        NOT NULL,
  open_kfid  text        NOT NULL,
  name       text,
  seen_at    timestamptz NOT NULL,
  PRIMARY KEY (source, corp_id, open_kfid)
);
CREATE TABLE kf_servicers (
  source          text        NOT NULL,
  corp_id         text        NOT NULL,
  open_kfid       text        NOT NULL,
  servicer_userid text        NOT NULL,
  status          integer,
  seen_at         timestamptz NOT NULL,
  PRIMARY KEY (source, corp_id, open_kfid, servicer_userid)
);
CREATE TABLE kf_tokens (
  key        text   PRIMARY KEY,
  token      text   NOT NULL,
  expires_at bigint NOT NULL,
  renew_at   bigint NOT NULL
);
CREATE TABLE kf_leases (
  key         text        PRIMARY KEY,
  owner       text        NOT NULL,
  lease_until timestamptz NOT NULL
);
CREATE TABLE kf_runs (
  source      text        NOT NULL,
  finished_at timestamptz NOT NULL,
  ok          boolean     NOT NULL,
  series      integer     NOT NULL,
  days_stored integer     NOT NULL,
  failures    integer     NOT NULL
);
CREATE INDEX kf_runs_source ON kf_runs (source, finished_at);
`,
  },
  {
    version: 2,
    name: 'discoveries shared by replicas',
    sql: `
CREATE TABLE kf_discoveries (
  source        text        NOT NULL,
  corp_id       text        NOT NULL,
  basis         text        NOT NULL,
  series        jsonb       NOT NULL,
  discovered_at timestamptz NOT NULL,
  PRIMARY KEY (source, corp_id)
);
`,
  },
  {
    version: 3,
    name: 'suite tickets and authorized corps from the provider callback',
    sql: `
CREATE TABLE kf_suite_tickets (
  suite_id      text        PRIMARY KEY,
  ticket_sealed text        NOT NULL,
  wecom_time    bigint      NOT NULL,
  received_at   timestamptz NOT NULL
);
CREATE TABLE kf_authorizations (
  source                text        NOT NULL,
  corp_id               text        NOT NULL,
  corp_name             text,
  permanent_code_sealed text        NOT NULL,
  state                 text        NOT NULL CHECK (state IN ('active', 'cancelled')),
  wecom_time            bigint      NOT NULL,
  authorized_at         timestamptz NOT NULL,
  changed_at            timestamptz NOT NULL,
  PRIMARY KEY (source, corp_id)
);
`,
  },
  {
    version: 4,
    name: 'series finished for the day',
    sql: `
ALTER TABLE kf_series ADD COLUMN done_day date;
`,
  },
  {
    version: 5,
    name: 'archive figures kept as days are written; the health probe',
    sql: `
CREATE TABLE kf_source_stats (
  source      text        PRIMARY KEY,
  days        bigint      NOT NULL DEFAULT 0,
  newest_day  date,
  last_ok_at  timestamptz
);
INSERT INTO kf_source_stats (source, days, newest_day, last_ok_at)
SELECT coalesce(d.source, r.source), coalesce(d.days, 0), d.newest, r.last_ok
FROM (SELECT source, count(*) AS days, max(day) AS newest FROM kf_days GROUP BY source) d
FULL JOIN (SELECT source, max(finished_at) AS last_ok FROM kf_runs WHERE ok GROUP BY source) r ON d.source = r.source;
CREATE TABLE kf_heartbeats (
  owner text        PRIMARY KEY,
  at    timestamptz NOT NULL
);
`,
  },
  {
    version: 6,
    name: 'several suite tickets per suite, a rejected one gives way',
    sql: `
ALTER TABLE kf_suite_tickets DROP CONSTRAINT kf_suite_tickets_pkey;
ALTER TABLE kf_suite_tickets ADD COLUMN id bigserial PRIMARY KEY;
ALTER TABLE kf_suite_tickets ADD COLUMN rejected boolean NOT NULL DEFAULT false;
CREATE INDEX kf_suite_tickets_suite ON kf_suite_tickets (suite_id);
`,
  },
  {
    version: 7,
    name: 'token rows keyed by a keyed hash, not by a fingerprint of the secret',
    sql: `
CREATE TABLE kf_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);
DELETE FROM kf_tokens;
DELETE FROM kf_leases WHERE key LIKE 'token:%';
`,
  },
  {
    version: 8,
    name: 'writes of days notify the replicas, in the writing transaction',
    // A statement-level trigger: one NOTIFY per series a statement wrote, sent when (and only if)
    // its transaction commits, whoever wrote (an older replica included). Readers keep answers in
    // memory until their series is named on this channel.
    sql: `
CREATE FUNCTION kf_days_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kf_days_written', key)
  FROM (SELECT DISTINCT json_build_array(source, endpoint, corp_id, open_kfid, servicer_userid)::text AS key FROM written) AS series;
  RETURN NULL;
END;
$$;
CREATE TRIGGER kf_days_inserted AFTER INSERT ON kf_days REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION kf_days_notify();
CREATE TRIGGER kf_days_updated AFTER UPDATE ON kf_days REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION kf_days_notify();
CREATE TRIGGER kf_days_deleted AFTER DELETE ON kf_days REFERENCING OLD TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION kf_days_notify();
`,
  },
  {
    version: 9,
    name: 'scoped API keys, authorization events recorded before they are applied, what each corp chose',
    sql: `
CREATE TABLE kf_api_keys (
  name         text        PRIMARY KEY,
  key_hash     text        NOT NULL UNIQUE,
  sources      jsonb,
  corps        jsonb,
  token        boolean     NOT NULL DEFAULT false,
  expires_at   timestamptz,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE TABLE kf_auth_events (
  id               bigserial   PRIMARY KEY,
  source           text        NOT NULL,
  info_type        text        NOT NULL,
  dedupe           text        NOT NULL UNIQUE,
  corp_id          text,
  auth_code_sealed text,
  open_kfids       jsonb,
  wecom_time       bigint      NOT NULL,
  received_at      timestamptz NOT NULL,
  state            text        NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_at          timestamptz NOT NULL,
  lease_owner      text,
  lease_until      timestamptz,
  outcome          text,
  finished_at      timestamptz
);
CREATE INDEX kf_auth_events_open ON kf_auth_events (state, id);
ALTER TABLE kf_authorizations ADD COLUMN open_kfids jsonb;
ALTER TABLE kf_authorizations ADD COLUMN purge_at timestamptz;
`,
  },
  {
    version: 10,
    name: "WeCom's call limits counted in the store, shared by replicas",
    // Calls per scope (a corp and API, or an egress IP group) in one-second slots (for the minute
    // window) and one-minute slots (for the hour window), and 45009 pauses. Times are the
    // servers' clocks, in epoch seconds or minutes.
    sql: `
CREATE TABLE kf_pacing_slots (
  scope text    NOT NULL,
  unit  text    NOT NULL CHECK (unit IN ('s', 'm')),
  slot  bigint  NOT NULL,
  calls integer NOT NULL,
  PRIMARY KEY (scope, unit, slot)
);
CREATE TABLE kf_pacing_pauses (
  scope    text   PRIMARY KEY,
  until_ms bigint NOT NULL
);
`,
  },
  {
    version: 11,
    name: 'group robot destinations made through the API, every report and notice sent, the notices still firing',
    // A send is claimed (its row written, unique by what it is about) before the message goes, so
    // no two replicas send it; a row left 'sending' by a process that died is marked 'lost'.
    sql: `
CREATE TABLE kf_notify_destinations (
  id             text        PRIMARY KEY,
  webhook_sealed text        NOT NULL,
  sources        jsonb,
  corps          jsonb,
  accounts       jsonb,
  language       text        NOT NULL,
  report         jsonb,
  rules          jsonb       NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE TABLE kf_notify_sends (
  id          bigserial   PRIMARY KEY,
  destination text        NOT NULL,
  kind        text        NOT NULL CHECK (kind IN ('daily', 'weekly', 'notice', 'cleared', 'test')),
  dedupe      text        NOT NULL UNIQUE,
  source      text,
  corp_id     text,
  what        text        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'lost')),
  owner       text        NOT NULL,
  claimed_at  timestamptz NOT NULL,
  parts       integer     NOT NULL,
  parts_sent  integer     NOT NULL DEFAULT 0,
  attempts    integer     NOT NULL DEFAULT 0,
  outcome     text,
  finished_at timestamptz
);
CREATE INDEX kf_notify_sends_open ON kf_notify_sends (state, claimed_at);
CREATE INDEX kf_notify_sends_corp ON kf_notify_sends (source, corp_id);
CREATE TABLE kf_notify_incidents (
  destination text        NOT NULL,
  rule        text        NOT NULL,
  subject     text        NOT NULL,
  source      text,
  corp_id     text,
  day         text        NOT NULL,
  opened_at   timestamptz NOT NULL,
  PRIMARY KEY (destination, rule, subject)
);
`,
  },
  {
    version: 12,
    name: "the shared pacing's minute window in quarter-second slots",
    // Quarter seconds ('q') replace seconds ('s'): the minute window is counted closer to its real
    // length. Replicas of an older version count their minute apart from these until they are
    // upgraded (the hour window stays shared).
    sql: `
ALTER TABLE kf_pacing_slots DROP CONSTRAINT kf_pacing_slots_unit_check;
DELETE FROM kf_pacing_slots WHERE unit = 's';
ALTER TABLE kf_pacing_slots ADD CONSTRAINT kf_pacing_slots_unit_check CHECK (unit IN ('q', 'm'));
`,
  },
];

/** The typed view for SQL panels: one numeric column per catalog metric, the raw JSON beside it. */
export function metricsViewSql(): string {
  const columns = METRICS.map(
    (m) =>
      `  CASE WHEN jsonb_typeof(statistic -> '${m.key}') = 'number' THEN (statistic ->> '${m.key}')::double precision END AS "${m.key}"`,
  );
  return `CREATE VIEW kf_statistics AS
SELECT
  to_timestamp(stat_time) AS "time",
  day, source, endpoint, corp_id, open_kfid, servicer_userid,
  statistic IS NOT NULL AS has_data,
${columns.join(',\n')},
  statistic,
  fetched_at
FROM kf_days`;
}
