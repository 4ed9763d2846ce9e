/**
 * Prometheus metrics (names after Prometheus conventions: `_total` counters, bounded labels).
 * Archive figures are read from the store at scrape time, so every replica reports the same.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { addDays, chinaToday, daysBetween } from './china-days.js';
import type { Store } from './store/store.js';
import type { CallEvent } from './wecom.js';
import { believedTime } from './callback/provider.js';

export interface ServerMetrics {
  registry: Registry;
  onCall(event: CallEvent): void;
  onPause(event: { source: string; scope: 'corp' | 'ip' }): void;
  /** Stored days that WeCom answered differently on a later look (late corrections). */
  onRevised(event: { source: string; days: number }): void;
  /**
   * A command callback: accepted (answered success), ignored (signed, answered success, but not
   * usable), refused (4xx) or failed (5xx, WeCom sends it again).
   */
  onCallback(event: { source: string; outcome: 'accepted' | 'ignored' | 'refused' | 'failed'; event: string }): void;
  /** How long a request to WeCom took on the wire (the pacer's wait left out). */
  onWireTime(event: { source: string; path: string; seconds: number }): void;
  /** An API answer: its route (the pattern, never the URL), status and time to answer. */
  onApiRequest(event: { route: string; status: number; durationSeconds: number }): void;
  /** An authorization event recorded, repeated by WeCom, applied, put off to try again, or failed. */
  onAuthEvent(event: { source: string; event: string; outcome: 'recorded' | 'repeated' | 'applied' | 'retried' | 'failed' }): void;
  /** A report or notice to a group robot: sent, failed, or lost with a process that stopped. */
  onNotify(event: { destination: string; kind: string; outcome: 'sent' | 'failed' | 'lost' }): void;
}

/** The provider sources with a callback, for the suite_ticket age. */
export interface CallbackSuite {
  sourceId: string;
  suiteId: string;
}

const CALLBACK_EVENTS = new Set(['suite_ticket', 'create_auth', 'change_auth', 'cancel_auth', 'reset_permanent_code', 'verify_url']);

export function createMetrics(
  store: Store,
  sources: readonly string[],
  now: () => number,
  callbackSuites: readonly CallbackSuite[] = [],
): ServerMetrics {
  const registry = new Registry();
  const authEvents = new Counter({
    name: 'kf_authorization_events_total',
    help: 'Authorization events (create_auth, reset_permanent_code, change_auth, cancel_auth) by source, event and outcome: recorded, repeated (WeCom sent it again), applied, retried, failed',
    labelNames: ['source', 'event', 'outcome'],
    registers: [registry],
  });
  const notices = new Counter({
    name: 'kf_notify_sends_total',
    help: 'Reports and notices to WeCom group robots by destination, kind (daily, weekly, notice, cleared, test) and outcome (sent, failed, lost)',
    labelNames: ['destination', 'kind', 'outcome'],
    registers: [registry],
  });
  const callbacks = new Counter({
    name: 'kf_callbacks_total',
    help: 'Command callbacks from WeCom by source, event (InfoType, "verify_url", "other" or "unknown") and outcome (accepted, ignored, refused, failed)',
    labelNames: ['source', 'event', 'outcome'],
    registers: [registry],
  });
  if (callbackSuites.length > 0) {
    new Gauge({
      name: 'kf_suite_ticket_age_seconds',
      help: "Age in seconds of the suite_ticket the server uses (WeCom's stamp, never later than its arrival), by source (-1: none yet). WeCom pushes one every 10 minutes and each lives 30: over 1800 the suite token cannot be renewed",
      labelNames: ['source'],
      registers: [registry],
      async collect() {
        for (const suite of callbackSuites) {
          const ticket = await store.suiteTicketInUse(suite.suiteId);
          this.set(
            { source: suite.sourceId },
            ticket ? Math.max(0, Math.round(now() / 1000 - believedTime(ticket.wecomTime, ticket.receivedAt))) : -1,
          );
        }
      },
    });
  }
  const calls = new Counter({
    name: 'kf_wecom_calls_total',
    help: 'Requests sent to WeCom, by source and API path',
    labelNames: ['source', 'path'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'kf_wecom_errors_total',
    help: 'WeCom answers with a non-zero errcode ("http" when there was no JSON answer), by source and errcode',
    labelNames: ['source', 'errcode'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'kf_wecom_call_duration_seconds',
    help: 'How long WeCom took to answer each request on the wire (every attempt; the wait for the pace not counted), by source and API path',
    labelNames: ['source', 'path'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  const apiDurations = new Histogram({
    name: 'kf_api_request_duration_seconds',
    help: 'Time to answer API requests, by route pattern and HTTP status',
    labelNames: ['route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pauses = new Counter({
    name: 'kf_pacer_pauses_total',
    help: 'Pauses after a 45009 (frequency limit), by source and scope (corp or ip)',
    labelNames: ['source', 'scope'],
    registers: [registry],
  });
  const revisions = new Counter({
    name: 'kf_day_revisions_total',
    help: 'Stored days WeCom answered differently when they were fetched again (late corrections), by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const read = async () => {
    const stats = await store.sourceStats();
    return sources.map((source) => stats.find((s) => s.source === source) ?? { source, days: 0, newestDay: null, lastSuccessAt: null });
  };
  new Gauge({
    name: 'kf_days_stored',
    help: 'Days in the archive, by source',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      for (const s of await read()) this.set({ source: s.source }, s.days);
    },
  });
  new Gauge({
    name: 'kf_last_successful_run_timestamp_seconds',
    help: 'When the last collection run without failures finished, by source (0: never)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      for (const s of await read()) this.set({ source: s.source }, s.lastSuccessAt === null ? 0 : s.lastSuccessAt / 1000);
    },
  });
  new Gauge({
    name: 'kf_archive_lag_days',
    help: 'Days between yesterday (China time) and the newest archived day, by source (-1: nothing archived)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const yesterday = addDays(chinaToday(now()), -1);
      for (const s of await read())
        this.set({ source: s.source }, s.newestDay === null ? -1 : Math.max(0, daysBetween(s.newestDay, yesterday)));
    },
  });
  return {
    registry,
    onCall(event) {
      calls.inc({ source: event.source, path: event.path });
      if (event.errcode !== 0) errors.inc({ source: event.source, errcode: event.errcode === undefined ? 'http' : String(event.errcode) });
    },
    onWireTime({ source, path, seconds }) {
      durations.observe({ source, path }, seconds);
    },
    onApiRequest({ route, status, durationSeconds }) {
      apiDurations.observe({ route, status: String(status) }, durationSeconds);
    },
    onPause(event) {
      pauses.inc(event);
    },
    onRevised({ source, days }) {
      revisions.inc({ source }, days);
    },
    onAuthEvent({ source, event, outcome }) {
      authEvents.inc({ source: sources.includes(source) ? source : 'unknown', event, outcome });
    },
    onNotify({ destination, kind, outcome }) {
      notices.inc({ destination, kind, outcome });
    },
    onCallback({ source, outcome, event }) {
      // Labels stay bounded whatever a caller sends: only configured sources and known events.
      callbacks.inc({
        source: sources.includes(source) ? source : 'unknown',
        event: CALLBACK_EVENTS.has(event) || event === 'other' ? event : 'unknown',
        outcome,
      });
    },
  };
}
