/**
 * The simulator's corps, apps, accounts and servicers. These are demo values, not secrets:
 * they only open doors on the local simulator.
 */

export interface SelfBuiltCorpFixture {
  corpId: string;
  corpSecret: string;
}

export interface SuiteAuthCorpFixture {
  authCorpId: string;
  permanentCode: string;
}

export interface SuiteFixture {
  suiteId: string;
  suiteSecret: string;
  suiteTicket: string;
  authCorpId: string;
  permanentCode: string;
}

export interface TokenServiceFixture {
  path: string;
  headerName: string;
  headerValue: string;
}

export interface KfAccountFixture {
  open_kfid: string;
  name: string;
}

export interface SimulatorFixtures {
  /** A self-built app: `gettoken` with this corp id and secret. */
  selfBuilt: SelfBuiltCorpFixture;
  /** A service provider's suite and the one corp that authorized it. */
  suite: SuiteFixture;
  /** A stand-in for a company's own token service. */
  tokenService: TokenServiceFixture;
  /** KF accounts; every corp of the simulator has the same ones. */
  accounts: KfAccountFixture[];
  /** Servicer userids by open_kfid. */
  servicers: Record<string, string[]>;
  /** Generated corps (see `extraCorpCount`). */
  extraCorps: {
    selfBuilt: SelfBuiltCorpFixture[];
    suiteAuth: SuiteAuthCorpFixture[];
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** The n-th generated self-built corp (n from 1); the fixed self-built corp is number 0. */
export function extraSelfBuiltCorp(n: number): SelfBuiltCorpFixture {
  return { corpId: `wwsimcorp${pad(n + 1, 7)}`, corpSecret: `sim-corp-secret-${pad(n + 1, 4)}` };
}

/** The n-th generated suite-authorized corp (n from 1); the fixed auth corp is number 0. */
export function extraSuiteAuthCorp(n: number): SuiteAuthCorpFixture {
  return { authCorpId: `wwsimauth${pad(n + 1, 7)}`, permanentCode: `sim-permanent-code-${pad(n + 1, 4)}` };
}

const ACCOUNTS: readonly KfAccountFixture[] = [
  { open_kfid: 'wkSIM0001presales', name: '售前咨询' },
  { open_kfid: 'wkSIM0002aftersales', name: '售后服务' },
  { open_kfid: 'wkSIM0003membership', name: '会员中心' },
];

const SERVICERS: Readonly<Record<string, readonly string[]>> = {
  wkSIM0001presales: ['zhangwei', 'lina', 'wangfang'],
  wkSIM0002aftersales: ['liuyang', 'chenjing'],
  wkSIM0003membership: ['zhaolei', 'huangmin', 'zhoujie', 'wuxia'],
};

/** Builds a fresh fixtures object, with `extraCorpCount` generated corps of each kind. */
export function createFixtures(extraCorpCount = 0): SimulatorFixtures {
  if (!Number.isInteger(extraCorpCount) || extraCorpCount < 0) {
    throw new RangeError(`extraCorpCount must be a non-negative integer, got ${String(extraCorpCount)}`);
  }
  const servicers: Record<string, string[]> = {};
  for (const [openKfid, userids] of Object.entries(SERVICERS)) servicers[openKfid] = [...userids];
  const selfBuilt: SelfBuiltCorpFixture[] = [];
  const suiteAuth: SuiteAuthCorpFixture[] = [];
  for (let n = 1; n <= extraCorpCount; n++) {
    selfBuilt.push(extraSelfBuiltCorp(n));
    suiteAuth.push(extraSuiteAuthCorp(n));
  }
  return {
    selfBuilt: { corpId: 'wwsimcorp0000001', corpSecret: 'sim-corp-secret-0001' },
    suite: {
      suiteId: 'wwsimsuite000001',
      suiteSecret: 'sim-suite-secret-0001',
      suiteTicket: 'sim-suite-ticket-0001',
      authCorpId: 'wwsimauth0000001',
      permanentCode: 'sim-permanent-code-0001',
    },
    tokenService: {
      path: '/token-service/token',
      headerName: 'x-token-service-key',
      headerValue: 'sim-token-service-key',
    },
    accounts: ACCOUNTS.map((account) => ({ ...account })),
    servicers,
    extraCorps: { selfBuilt, suiteAuth },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The fixtures of a simulator started without `extraCorpCount`. */
export const defaultFixtures: Readonly<SimulatorFixtures> = deepFreeze(createFixtures(0));
