/**
 * WeCom's call limits (page 90454) counted in the store, so that every replica on it stays under
 * them together: each call reserves a place in every window it counts in (a corp and API, the
 * replica's egress IP group), in one transaction that holds each scope's advisory lock; a 45009
 * pause is written for all to see. Windows are counted in whole slots (quarter seconds for the
 * minute, minutes for the hour), each a slot longer than WeCom's, so the count never runs short.
 */
import type { SqlDriver } from './driver.js';
import type { PacingScope, Store } from './types.js';

/**
 * The minute window's slots: a quarter of a second. A call is counted from its slot's start to the
 * window's end after its slot's end, so a window is counted on average half a slot longer than it
 * is; with 1 s slots that cost 1.6 % of the limit's pace, with quarter seconds 0.4 %.
 */
const QUARTER_MS = 250;

interface SlotRow {
  scope: string;
  unit: 'q' | 'm';
  slot: number;
  calls: number;
}

/** Forget slots and pauses older than this (the hour window and its margin are within it). */
const KEEP_MS = 2 * 3_600_000;
/** One reservation in this many also sweeps old slots. */
const SWEEP_EVERY = 500;

/**
 * A window of `span` slots of `slotMs` (slots ascending) under `limit`: how many calls it has room
 * for now, and, when none, the milliseconds until one fits. A slot counts while it is among the
 * last `span`: the oldest ones leave first.
 */
export function windowRoom(
  slots: readonly { slot: number; calls: number }[],
  limit: number,
  span: number,
  slotMs: number,
  atMs: number,
): { room: number; waitMs: number } {
  const current = Math.floor(atMs / slotMs);
  const counted = slots.filter((s) => s.slot > current - span);
  let total = counted.reduce((n, s) => n + s.calls, 0);
  if (total < limit) return { room: limit - total, waitMs: 0 };
  for (const s of counted) {
    total -= s.calls;
    if (total < limit) return { room: 0, waitMs: Math.max(1, (s.slot + span) * slotMs - atMs) };
  }
  return { room: 0, waitMs: slotMs };
}

export function pacingQueries(driver: SqlDriver): Store['pacing'] {
  let reservations = 0;
  return {
    async reserve({ scopes, atMs, marginMs, calls = 1 }) {
      const keys = [...new Set(scopes.map((s) => s.key))].sort();
      const secondSpan = Math.ceil((60_000 + marginMs) / QUARTER_MS) + 1;
      const minuteSpan = Math.ceil((3_600_000 + marginMs) / 60_000) + 1;
      const second = Math.floor(atMs / QUARTER_MS);
      const minute = Math.floor(atMs / 60_000);
      reservations += 1;
      const sweep = reservations % SWEEP_EVERY === 0;
      return driver.transaction(async (q) => {
        // Scopes locked in one order: replicas reserving for the same corp and IP never deadlock.
        for (const key of keys) await q('SELECT pg_advisory_xact_lock(hashtextextended($1, 7306213))', [key]);
        const [paused] = await q<{ until_ms: number | null }>(
          'SELECT max(until_ms)::float8 AS until_ms FROM kf_pacing_pauses WHERE scope = ANY($1::text[]) AND until_ms > $2',
          [keys, atMs],
        );
        if (paused?.until_ms) return { granted: 0, waitMs: Math.max(1, Number(paused.until_ms) - atMs) };
        const rows = await q<SlotRow>(
          `SELECT scope, unit, slot::float8 AS slot, calls FROM kf_pacing_slots
           WHERE scope = ANY($1::text[]) AND ((unit = 'q' AND slot > $2) OR (unit = 'm' AND slot > $3)) ORDER BY slot`,
          [keys, second - secondSpan, minute - minuteSpan],
        );
        // As many of the calls asked for as every window has room for (at least one, or none and how long to wait).
        let granted = calls;
        let waitMs = 0;
        for (const scope of scopes) {
          const mine = (unit: 'q' | 'm') =>
            rows.filter((r) => r.scope === scope.key && r.unit === unit).map((r) => ({ slot: Number(r.slot), calls: Number(r.calls) }));
          for (const [slots, limit, span, slotMs] of [
            [mine('q'), scope.perMinute, secondSpan, QUARTER_MS],
            [mine('m'), scope.perHour, minuteSpan, 60_000],
          ] as const) {
            const window = windowRoom(slots, limit, span, slotMs, atMs);
            granted = Math.min(granted, window.room);
            waitMs = Math.max(waitMs, window.waitMs);
          }
        }
        if (granted <= 0) return { granted: 0, waitMs: Math.max(1, waitMs) };
        await q(
          `INSERT INTO kf_pacing_slots (scope, unit, slot, calls)
           SELECT key, unit, slot, $4 FROM unnest($1::text[]) AS key, (VALUES ('q', $2::bigint), ('m', $3::bigint)) AS v(unit, slot)
           ON CONFLICT (scope, unit, slot) DO UPDATE SET calls = kf_pacing_slots.calls + EXCLUDED.calls`,
          [keys, second, minute, granted],
        );
        if (sweep) {
          await q(`DELETE FROM kf_pacing_slots WHERE (unit = 'q' AND slot < $1) OR (unit = 'm' AND slot < $2)`, [
            Math.floor((atMs - KEEP_MS) / QUARTER_MS),
            Math.floor((atMs - KEEP_MS) / 60_000),
          ]);
          await q('DELETE FROM kf_pacing_pauses WHERE until_ms < $1', [atMs - KEEP_MS]);
        }
        return { granted, waitMs: 0 };
      });
    },
    async pause(keys, untilMs) {
      await driver.query(
        `INSERT INTO kf_pacing_pauses (scope, until_ms) SELECT key, $2 FROM unnest($1::text[]) AS key
         ON CONFLICT (scope) DO UPDATE SET until_ms = greatest(kf_pacing_pauses.until_ms, EXCLUDED.until_ms)`,
        [keys, Math.round(untilMs)],
      );
    },
  };
}

export type { PacingScope };
