/**
 * The store's health as `/healthz` reports it: known in advance, never computed per request. A
 * probe (one small write) runs in the background every few seconds, and the API's live-fetch
 * writes report their outcome (the collector's failures show at the next probe), so a flood of
 * health checks costs one map read each and a failed API write shows at once. An embedded store that fails its probe is reopened (PGlite keeps
 * a failed file operation's state until it is reopened); PostgreSQL recovers by itself.
 */
import type { Logger } from 'pino';
import type { Store } from './store/store.js';

/** How often the probe runs. */
export const HEALTH_PROBE_MS = 5_000;

export interface StoreHealthState {
  ok: boolean;
  /** Epoch ms of the last change of `ok`. */
  since: number;
}

export interface StoreHealth {
  /** The state as last seen; waits only for the very first probe. */
  current(): Promise<StoreHealthState>;
  /** A write to the archive failed (the error stays in the log, never in an answer). */
  writeFailed(error: unknown): void;
  /** A write to the archive succeeded. */
  writeSucceeded(): void;
  /** Probe now (tests; and after a failure, to learn of a recovery sooner). */
  probe(): Promise<StoreHealthState>;
  stop(): void;
}

export interface StoreHealthOptions {
  store: Store;
  owner: string;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** @default HEALTH_PROBE_MS */
  intervalMs?: number;
}

export function createStoreHealth(options: StoreHealthOptions): StoreHealth {
  const { store, owner, logger } = options;
  let state: StoreHealthState = { ok: true, since: Date.now() };
  const set = (ok: boolean) => {
    if (ok !== state.ok) state = { ok, since: Date.now() };
  };
  // An archive write failed and none has succeeded since: the small probe may still pass (it
  // rewrites a row in place), so the probe then writes into the archive itself.
  let archiveFailing = false;
  let running: Promise<StoreHealthState> | undefined;
  const probe = (): Promise<StoreHealthState> => {
    const write = async () => {
      await store.probe(owner, { archive: archiveFailing });
      archiveFailing = false;
    };
    running ??= (async () => {
      try {
        await write();
      } catch (error) {
        if (state.ok) logger.error({ err: error }, 'the store cannot be written');
        set(false);
        // Some failures stay in an open embedded store until it is reopened; else the next
        // probe tries again.
        if (!(await store.reopen().catch(() => false))) return state;
        try {
          await write();
        } catch {
          return state;
        }
      }
      if (!state.ok) logger.info('the store can be written again');
      set(true);
      return state;
    })().finally(() => (running = undefined));
    return running;
  };
  const first = probe();
  const timer = setInterval(() => void probe(), options.intervalMs ?? HEALTH_PROBE_MS);
  timer.unref();
  return {
    async current() {
      await first;
      return state;
    },
    writeFailed(error) {
      if (state.ok) logger.error({ err: error }, 'a write to the store failed');
      archiveFailing = true;
      set(false);
    },
    writeSucceeded() {
      if (!archiveFailing) return;
      archiveFailing = false;
      void probe();
    },
    probe,
    stop() {
      clearInterval(timer);
    },
  };
}
