/**
 * One WeCom simulator per test file: started before the file's tests, closed after them, its
 * faults and call log cleared before each test. Its clock reads today at 10:00 China time, so
 * yesterday is always computed and results do not depend on the hour the tests run at.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { chinaClock, startSimulator, type Simulator, type SimulatorOptions } from '@wecom-kf-stats/simulator';

export interface SimulatorHandle {
  /** The running simulator (available inside tests and hooks). */
  readonly sim: Simulator;
  /** The simulator's clock, for clients that should share it. */
  readonly now: () => number;
}

export function useSimulator(options: SimulatorOptions = {}): SimulatorHandle {
  const now = options.now ?? chinaClock({ hour: 10 });
  let current: Simulator | undefined;
  beforeAll(async () => {
    current = await startSimulator({ port: 0, ...options, now });
  });
  afterAll(async () => {
    await current?.close();
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
    now,
  };
}
