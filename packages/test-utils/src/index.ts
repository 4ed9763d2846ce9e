/**
 * One WeCom simulator per test file, and one pinned clock for everything the file runs: the
 * simulator, the clients under test in this process (Date is faked to today 10:00 China time and
 * moves on with real time) and the child processes it starts (`pinnedClockEnv`). Yesterday is
 * always computed, and no result depends on the hour the tests run at.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { chinaClock, startSimulator, type Simulator, type SimulatorOptions } from '@wecom-kf-stats/simulator';

export interface SimulatorHandle {
  /** The running simulator (available inside tests and hooks). */
  readonly sim: Simulator;
  /** The pinned clock in epoch ms, shared by the simulator and everything in this process. */
  readonly now: () => number;
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * Pin `Date` in this process to today at `hour` China time, moving on with real time from there.
 * Only Date is faked: timers, sockets and the event loop stay real.
 */
export function pinChinaClock(hour = 10): () => number {
  const start = chinaClock({ hour })();
  vi.useFakeTimers({ toFake: ['Date'], now: start, shouldAdvanceTime: true });
  return () => Date.now();
}

/** The China day (YYYY-MM-DD) `n` days before the pinned today. */
export function daysAgo(n: number, nowMs: number = Date.now()): string {
  return new Date(nowMs + CHINA_OFFSET_MS - n * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Environment for a child process (a CLI, a server) to read the same pinned clock: Node preloads
 * a module that sets its Date to `nowMs` and lets it move on with real time.
 */
export function pinnedClockEnv(nowMs: number = Date.now()): Record<string, string> {
  const preload = fileURLToPath(new URL('./pin-clock.js', import.meta.url));
  return { NODE_OPTIONS: `--import=${preload}`, KF_STATS_TEST_NOW: String(nowMs) };
}

export function useSimulator(options: SimulatorOptions = {}): SimulatorHandle {
  let now: () => number = options.now ?? (() => Date.now());
  let current: Simulator | undefined;
  beforeAll(async () => {
    if (!options.now) now = pinChinaClock(10);
    current = await startSimulator({ port: 0, ...options, now: () => now() });
  });
  afterAll(async () => {
    await current?.close();
    if (!options.now) vi.useRealTimers();
  });
  beforeEach(() => {
    current?.clearFaults();
    current?.setExtraFields(undefined);
    current?.resetCalls();
  });
  return {
    get sim() {
      if (!current) throw new Error('the simulator starts in beforeAll: use it inside tests or hooks');
      return current;
    },
    now: () => now(),
  };
}

/**
 * Each statistics endpoint's official fields, in WeCom's order (docs/wecom-api.md §3): the
 * specification the catalog, the pickers and the messages are checked against.
 */
export const OFFICIAL_FIELDS = {
  // kf/get_statistic, page 99367
  component: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'ai_session_reply_cnt',
    'servicer_session_cnt',
    'reply_rate',
    'first_reply_average_sec',
    'satisfaction_investgate_cnt',
    'satisfaction_participation_rate',
    'satisfied_rate',
    'middling_rate',
    'dissatisfied_rate',
  ],
  // kf/get_corp_statistic, pages 95489 and 95492
  corp: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'ai_session_reply_cnt',
    'ai_transfer_rate',
    'ai_knowledge_hit_rate',
    'msg_rejected_customer_cnt',
  ],
  // kf/get_servicer_statistic, pages 95490 and 96433
  servicer: [
    'session_cnt',
    'customer_cnt',
    'customer_msg_cnt',
    'upgrade_service_customer_cnt',
    'reply_rate',
    'first_reply_average_sec',
    'satisfaction_investgate_cnt',
    'satisfaction_participation_rate',
    'satisfied_rate',
    'middling_rate',
    'dissatisfied_rate',
    'msg_rejected_customer_cnt',
    'upgrade_service_member_invite_cnt',
    'upgrade_service_member_customer_cnt',
    'upgrade_service_groupchat_invite_cnt',
    'upgrade_service_groupchat_customer_cnt',
  ],
} as const;

/** A clock that only moves when a pacer sleeps: `now` and `sleep` for `createPacer`. */
export function pacerTime(start: number = Date.UTC(2026, 5, 1, 2)) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/** The most calls among these start times (ascending) in any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= windowMs) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
