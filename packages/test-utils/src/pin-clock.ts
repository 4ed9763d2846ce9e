/**
 * Preloaded into child processes by `pinnedClockEnv`: their Date starts at KF_STATS_TEST_NOW and
 * moves on with real time, so a CLI or a server under test agrees with the simulator's clock.
 */
const target = Number(process.env.KF_STATS_TEST_NOW);
if (Number.isFinite(target)) {
  const RealDate = Date;
  const offset = target - RealDate.now();
  class PinnedDate extends RealDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...(args as ConstructorParameters<typeof Date>));
    }
    static override now(): number {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = PinnedDate as DateConstructor;
}
export {};
