/**
 * Prometheus metrics (names after Prometheus conventions: `_total` counters, bounded labels).
 * Archive figures are read from the store at scrape time, so every replica reports the same.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { addDays, chinaToday, daysBetween } from './china-days.js';
import type { Store } from './store/store.js';
import type { CallEvent } from './wecom.js';

export interface ServerMetrics {
  registry: Registry;
  onCall(event: CallEvent): void;
  onPause(event: { source: string; scope: 'corp' | 'ip' }): void;
}

export function createMetrics(store: Store, sources: readonly string[], now: () => number): ServerMetrics {
  const registry = new Registry();
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
  const pauses = new Counter({
    name: 'kf_pacer_pauses_total',
    help: 'Pauses after a 45009 (frequency limit), by source and scope (corp or ip)',
    labelNames: ['source', 'scope'],
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
    onPause(event) {
      pauses.inc(event);
    },
  };
}
