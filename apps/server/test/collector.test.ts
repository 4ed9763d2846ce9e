import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chinaClock, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { addDays, chinaMidnightEpochSeconds, chinaToday, statisticsWindow } from '../src/china-days.js';
import { collect, formatSummary, isSettled } from '../src/collector.js';
import { openStore, type SeriesKey, type Store } from '../src/store/store.js';
import { createRuntime, silentLog, simulatorConfigJson, simulatorEnv, tempDir } from './helpers.js';

const kf = useSimulator();
let sim: Simulator;
let store: Store;
const runtimes: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  sim = kf.sim;
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
  await store?.close();
});

async function freshStore(): Promise<Store> {
  store = await openStore(tempDir('kf-collect-'));
  return store;
}

function runtime(overrides: Record<string, unknown> = {}, now = kf.now) {
  const rt = createRuntime(simulatorConfigJson(sim, 'unused', overrides), simulatorEnv(sim), store, now);
  runtimes.push(rt);
  return rt;
}

/** One run of `rt` on the test's store (or a view of it standing for another replica's). */
function run(rt: ReturnType<typeof runtime>, now = kf.now, on: Store = store, owner = rt.owner) {
  return collect({ config: rt.config, store: on, clients: rt.clients, now, owner, log: silentLog, pollMs: 20 });
}

const corpSeries = (): SeriesKey => ({
  source: 'acme',
  endpoint: 'corp',
  corpId: sim.fixtures.selfBuilt.corpId,
  openKfid: sim.fixtures.accounts[0]!.open_kfid,
  servicerUserid: '',
});

/** A config collecting the corp statistics of one account of `simulator`'s self-built corp. */
const oneAccountConfig = (simulator: Simulator, overrides: Record<string, unknown> = {}) => ({
  ...simulatorConfigJson(simulator, 'unused', overrides),
  sources: [
    {
      ...(simulatorConfigJson(simulator, 'unused').sources as object[])[0],
      collect: ['corp'],
      accounts: [simulator.fixtures.accounts[0]!.open_kfid],
    },
  ],
});

describe('a collection run', () => {
  it('discovers every account and servicer and stores 180 days of each series in 6 calls per series', async () => {
    await freshStore();
    const rt = runtime();
    const summary = await run(rt);
    const accounts = sim.fixtures.accounts.length;
    const servicers = Object.values(sim.fixtures.servicers).reduce((n, list) => n + list.length, 0);
    // component (isv) + per account: corp, the servicer total, one per servicer
    const seriesCount = 1 + accounts + accounts + servicers;
    expect(summary).toEqual({
      series: seriesCount,
      daysStored: seriesCount * 180,
      statisticsCalls: seriesCount * 6,
      failures: 0,
      interrupted: false,
    });
    expect(sim.callCount('/cgi-bin/kf/account/list')).toBe(1);
    expect(sim.callCount('/cgi-bin/kf/servicer/list')).toBe(accounts);
    expect(formatSummary(summary)).toBe(
      `collected: ${seriesCount} series, ${seriesCount * 180} days stored, ${seriesCount * 6} statistics calls, 0 failures`,
    );

    const window = statisticsWindow(kf.now());
    const days = await store.readDays(corpSeries(), window.oldest, window.newest);
    expect(days).toHaveLength(180);
    for (const day of days) {
      const expected = sim.expectedStatistic({
        endpoint: 'corp',
        corpId: sim.fixtures.selfBuilt.corpId,
        openKfid: corpSeries().openKfid,
        date: day.date,
      });
      expect(day.statistic, day.date).toEqual(expected ?? null);
      expect(day.stat_time).toBe(chinaMidnightEpochSeconds(day.date));
    }
    expect(days.some((d) => d.statistic === null)).toBe(true);

    // Restart: a new runtime on the same store makes no statistics call at all.
    sim.resetCalls();
    const again = await run(runtime());
    expect(again).toMatchObject({ statisticsCalls: 0, daysStored: 0, failures: 0 });
    expect(sim.callCount(/statistic/)).toBe(0);
    // Accounts and servicers were listed today already.
    expect(sim.callCount(/kf\/(account|servicer)\/list/)).toBe(0);
  });

  it('keeps what it stored when a run fails part-way, and the next run fetches only the rest', async () => {
    await freshStore();
    const acmeCorpOnly = () => ({
      sources: [{ ...(simulatorConfigJson(sim, 'unused').sources as object[])[0], collect: ['corp'] }],
      concurrency: 1,
    });
    // The first 4 statistics calls pass, then every one fails for good (48002 is never retried).
    sim.inject({ kind: 'delay', ms: 0, path: '/cgi-bin/kf/get_corp_statistic', times: 4 });
    sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic', times: 1000 });
    const first = await run(runtime(acmeCorpOnly()));
    const accounts = sim.fixtures.accounts.length;
    expect(first).toMatchObject({ series: accounts, failures: accounts, daysStored: 4 * 31, statisticsCalls: 4 + accounts });

    sim.clearFaults();
    sim.resetCalls();
    const second = await run(runtime(acmeCorpOnly()));
    expect(second).toMatchObject({ failures: 0, daysStored: accounts * 180 - 4 * 31 });
    // The first account lacks 56 days (2 chunks); the others all 180 (6 chunks each).
    expect(second.statisticsCalls).toBe(2 + (accounts - 1) * 6);
  });

  it('fetches yesterday again on a later run when it was stored before 06:00 China time', async () => {
    await freshStore();
    const early = chinaClock({ hour: 3 });
    const earlySim = await startSimulator({ port: 0, now: early });
    try {
      const config = oneAccountConfig(earlySim);
      const rt = createRuntime(config, simulatorEnv(earlySim), store, early);
      runtimes.push(rt);
      const first = await collect({ config: rt.config, store, clients: rt.clients, now: early, owner: 'o', log: silentLog });
      expect(first.statisticsCalls).toBe(6);
      const yesterday = addDays(chinaToday(early()), -1);
      const series = { ...corpSeries(), openKfid: earlySim.fixtures.accounts[0]!.open_kfid };
      const [stored] = await store.readDays(series, yesterday, yesterday);
      expect(stored!.statistic).toBeNull();
      expect(isSettled(yesterday, stored!.fetchedAt, false)).toBe(false);
      // Still before 06:00: the next run asks again for yesterday only.
      earlySim.resetCalls();
      const second = await collect({ config: rt.config, store, clients: rt.clients, now: early, owner: 'o', log: silentLog });
      expect(second).toMatchObject({ statisticsCalls: 1, daysStored: 1 });
    } finally {
      await earlySim.close();
    }
  });

  it('lists a corp through WeCom once when a second replica looked before the first saved its list', async () => {
    await freshStore();
    // Replica b reads "not discovered yet" for acme, then only goes on once replica a has listed
    // the corp, saved what it found and released its lease: the moment a replica's stale look and
    // its lease would list the corp a second time.
    let aReleased!: () => void;
    const released = new Promise<void>((resolve) => (aReleased = resolve));
    const storeA = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'releaseLease')
          return async (key: string, owner: string) => {
            await target.releaseLease(key, owner);
            if (key.startsWith('discover:acme:')) aReleased();
          };
        return Reflect.get(target, name, receiver);
      },
    });
    let stale = true;
    const storeB = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'readDiscovery')
          return async (source: string, corpId: string, basis: string) => {
            if (source === 'acme' && stale) {
              stale = false;
              await released;
              return undefined;
            }
            return target.readDiscovery(source, corpId, basis);
          };
        return Reflect.get(target, name, receiver);
      },
    });
    const rtA = runtime({}, kf.now);
    const rtB = createRuntime(simulatorConfigJson(sim, 'unused'), simulatorEnv(sim), store, kf.now, 'owner-b');
    runtimes.push(rtB);
    const [a, b] = await Promise.all([
      collect({ config: rtA.config, store: storeA, clients: rtA.clients, now: kf.now, owner: 'owner-a', log: silentLog, pollMs: 20 }),
      collect({ config: rtB.config, store: storeB, clients: rtB.clients, now: kf.now, owner: 'owner-b', log: silentLog, pollMs: 20 }),
    ]);
    expect(sim.callCount('/cgi-bin/kf/account/list')).toBe(1);
    expect(sim.callCount('/cgi-bin/kf/servicer/list')).toBe(sim.fixtures.accounts.length);
    expect(a.failures + b.failures).toBe(0);
    expect(a.statisticsCalls + b.statisticsCalls).toBe(a.series * 6);
  });

  it('marks a series finished for the day: another replica neither claims it nor waits for it', async () => {
    await freshStore();
    const first = await run(runtime());
    const n = first.series;
    const [row] = await store.query<{ done: number }>(`SELECT count(*)::int AS done FROM kf_series WHERE done_day = $1::date`, [
      chinaToday(kf.now()),
    ]);
    expect(row!.done).toBe(n);
    const claims: number[] = [];
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'claimSeries')
          return async (...args: Parameters<Store['claimSeries']>) => {
            const leased = await target.claimSeries(...args);
            if (leased) claims.push(leased.id);
            return leased;
          };
        return Reflect.get(target, name, receiver);
      },
    });
    const rt = runtime();
    const again = await run(rt, kf.now, counting, 'other');
    expect(again).toMatchObject({ series: n, statisticsCalls: 0, failures: 0 });
    expect(claims).toEqual([]);
    // The next China day the series are claimed again (a new day to fetch).
    const tomorrow = () => kf.now() + 86_400_000;
    await collect({ config: rt.config, store: counting, clients: rt.clients, now: tomorrow, owner: 'other', log: silentLog, pollMs: 20 });
    expect(claims.length).toBe(n);
  });

  it("stores the rest of the window when WeCom's clock and this server's disagree about the China day", async () => {
    await freshStore();
    // 9 s before China midnight here, 9 s after it at WeCom: WeCom no longer answers the day
    // this server still counts as 180 days ago.
    const today = chinaToday(kf.now());
    const midnight = chinaMidnightEpochSeconds(addDays(today, 1)) * 1000;
    const serverNow = () => midnight - 9_000;
    const skewedSim = await startSimulator({ port: 0, now: () => midnight + 9_000 });
    try {
      const config = oneAccountConfig(skewedSim);
      const rt = createRuntime(config, simulatorEnv(skewedSim), store, serverNow);
      runtimes.push(rt);
      const warnings: string[] = [];
      const log = { ...silentLog, warn: (_fields: object, m: string) => warnings.push(m) };
      const summary = await collect({ config: rt.config, store, clients: rt.clients, now: serverNow, owner: 'o', log });
      expect(summary).toMatchObject({ failures: 0, daysStored: 179 });
      const oldest = statisticsWindow(serverNow()).oldest;
      expect(warnings.join('\n')).toContain(`WeCom refused ${oldest} as outside its window`);
    } finally {
      await skewedSim.close();
    }
  });

  it('waits without leaving a listener on the signal behind', async () => {
    const { sleep } = await import('../src/collector.js');
    const { EventEmitter } = await import('node:events');
    const controller = new AbortController();
    for (let i = 0; i < 20; i += 1) await sleep(1, controller.signal);
    expect(EventEmitter.getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await waiting;
  });

  it('fetches the days before yesterday once more each run, and stores, logs and counts what WeCom corrected', async () => {
    await freshStore();
    const oneAccount = (refetchDays: number) => ({ sources: oneAccountConfig(sim).sources, schedule: { refetchDays } });
    const rt = runtime(oneAccount(2));
    const revised: { source: string; days: number }[] = [];
    const logs: string[] = [];
    const log = { ...silentLog, info: (_fields: object, m: string) => logs.push(m) };
    const runOnce = () =>
      collect({
        config: rt.config,
        store,
        clients: rt.clients,
        now: kf.now,
        owner: rt.owner,
        log,
        pollMs: 20,
        onRevised: (e) => revised.push(e),
      });
    expect(await runOnce()).toMatchObject({ daysStored: 180, statisticsCalls: 6 });
    expect(revised).toEqual([]);
    // WeCom now answers those days with one more field; the next day's run looks at them again.
    sim.setExtraFields({ late_correction_field: 7 });
    await store.query('UPDATE kf_series SET done_day = NULL');
    const window = statisticsWindow(kf.now());
    const rechecked = [addDays(window.newest, -2), addDays(window.newest, -1)];
    const withData = rechecked.filter((date) =>
      sim.expectedStatistic({ endpoint: 'corp', corpId: sim.fixtures.selfBuilt.corpId, openKfid: corpSeries().openKfid, date }),
    );
    sim.resetCalls();
    const second = await runOnce();
    expect(second).toMatchObject({ statisticsCalls: 1, daysStored: withData.length, failures: 0 });
    expect(revised).toEqual(withData.length ? [{ source: 'acme', days: withData.length }] : []);
    const stored = await store.readDays(corpSeries(), rechecked[0]!, rechecked[1]!);
    for (const day of stored) if (withData.includes(day.date)) expect(day.statistic).toMatchObject({ late_correction_field: 7 });
    if (withData.length) expect(logs.join('\n')).toMatch(/acme\/corp\/\S+\/\S+: WeCom corrected .* since it was stored/);
    // refetchDays 0: a settled archive is not asked again.
    await store.query('UPDATE kf_series SET done_day = NULL');
    sim.resetCalls();
    const none = await collect({
      config: runtime(oneAccount(0)).config,
      store,
      clients: rt.clients,
      now: kf.now,
      owner: rt.owner,
      log: silentLog,
    });
    expect(none.statisticsCalls).toBe(0);
  });

  it('reads what replicas discovered today in one round trip per source, not a look per corp', async () => {
    await freshStore();
    await run(runtime());
    const calls: string[] = [];
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name === 'readDiscovery' || name === 'readDiscoveries' || name === 'tryLease')
          return (...args: unknown[]) => {
            calls.push(String(name));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        return value;
      },
    });
    const rt = runtime();
    const again = await run(rt, kf.now, counting, 'replica');
    expect(again.failures).toBe(0);
    expect(calls).toEqual(rt.config.sources.map(() => 'readDiscoveries'));
  });
});
