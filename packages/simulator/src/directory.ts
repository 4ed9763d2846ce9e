import type { KfAccountFixture, SimulatorFixtures } from './fixtures.js';

/**
 * Lookups over the fixtures: which corps exist, their credentials, accounts and servicers. Corps
 * can authorize the suite while the simulator runs, and cancel their authorization.
 */
export class CorpDirectory {
  readonly #selfBuilt = new Map<string, string>();
  readonly #suiteAuth = new Map<string, string>();
  /** Corps whose suite authorization was cancelled; they stay known corps. */
  readonly #cancelled = new Set<string>();
  readonly #corpNames = new Map<string, string>();
  readonly #servicers = new Map<string, readonly string[]>();
  readonly accounts: readonly KfAccountFixture[];

  constructor(fixtures: SimulatorFixtures) {
    this.#selfBuilt.set(fixtures.selfBuilt.corpId, fixtures.selfBuilt.corpSecret);
    for (const corp of fixtures.extraCorps.selfBuilt) this.#selfBuilt.set(corp.corpId, corp.corpSecret);
    this.#suiteAuth.set(fixtures.suite.authCorpId, fixtures.suite.permanentCode);
    for (const corp of fixtures.extraCorps.suiteAuth) this.#suiteAuth.set(corp.authCorpId, corp.permanentCode);
    this.accounts = fixtures.accounts.map((account) => ({ ...account }));
    for (const account of fixtures.accounts) {
      this.#servicers.set(account.open_kfid, [...(fixtures.servicers[account.open_kfid] ?? [])]);
    }
  }

  /** The app secret of a self-built corp; undefined if the corp has no self-built app here. */
  selfBuiltSecret(corpId: string): string | undefined {
    return this.#selfBuilt.get(corpId);
  }

  /** The permanent code of a corp that authorized the suite; undefined if it did not. */
  permanentCode(authCorpId: string): string | undefined {
    return this.#suiteAuth.get(authCorpId);
  }

  isKnownCorp(corpId: string): boolean {
    return this.#selfBuilt.has(corpId) || this.#suiteAuth.has(corpId) || this.#cancelled.has(corpId);
  }

  /** Whether the corp's authorization of the suite was cancelled (and not renewed since). */
  isCancelled(corpId: string): boolean {
    return this.#cancelled.has(corpId);
  }

  /** The corp authorizes the suite (again) with a new permanent code. */
  authorizeSuite(authCorpId: string, permanentCode: string, corpName: string): void {
    this.#cancelled.delete(authCorpId);
    this.#suiteAuth.set(authCorpId, permanentCode);
    this.#corpNames.set(authCorpId, corpName);
  }

  /** The corp removes the suite: its permanent code stops working. False if it had not authorized it. */
  cancelSuite(authCorpId: string): boolean {
    if (!this.#suiteAuth.delete(authCorpId)) return false;
    this.#cancelled.add(authCorpId);
    return true;
  }

  /** The corp's display name. */
  corpName(corpId: string): string {
    return this.#corpNames.get(corpId) ?? `模拟企业 ${corpId}`;
  }

  /** Servicer userids of an account (every corp has the same accounts); undefined for an unknown account. */
  servicersOf(openKfid: string): readonly string[] | undefined {
    return this.#servicers.get(openKfid);
  }
}
