import type { Simulator } from '@wecom-kf-stats/simulator';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

/** Credentials of each type for the simulator, as n8n's credential store would decrypt them. */
export function simulatorCredentials(sim: Simulator): Record<string, ICredentialDataDecryptedObject> {
  return {
    wecomKfSelfBuiltApi: { ...sim.fixtures.selfBuilt, baseUrl: sim.url },
    wecomKfServiceProviderApi: { ...sim.fixtures.suite, baseUrl: sim.url },
    wecomKfAccessTokenApi: { accessToken: 'filled-in-by-test', baseUrl: sim.url },
  };
}

export const PRESALES = 'wkSIM0001presales';

export function corpParameters(extra: IDataObject = {}): IDataObject {
  return { authentication: 'selfBuilt', resource: 'statistics', operation: 'getCorpStatistics', openKfid: PRESALES, ...extra };
}

/** China day N days before the pinned today (test-utils). */
export { daysAgo as chinaDaysAgo } from '@wecom-kf-stats/test-utils';
