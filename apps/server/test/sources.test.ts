import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { chinaClock, extraSuiteAuthCorp, startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { buildApi } from '../src/api.js';
import { collect } from '../src/collector.js';
import { openStore, type Store } from '../src/store/store.js';
import { apiOptions, createRuntime, silentLog, tempDir, type Runtime, type Json } from './helpers.js';

const now = chinaClock({ hour: 10 });
let sim: Simulator;
let store: Store;
let rt: Runtime;
let app: FastifyInstance;
let base: string;
const KEY = 'sources-key-0123456789';

beforeAll(async () => {
  sim = await startSimulator({ port: 0, now, extraCorpCount: 2 });
  store = await openStore(tempDir('kf-sources-'));
  const { suite, tokenService, selfBuilt } = sim.fixtures;
  const extra = [extraSuiteAuthCorp(1), extraSuiteAuthCorp(2)];
  const config = {
    store: 'unused',
    baseUrl: sim.url,
    sources: [
      {
        id: 'isv',
        collect: ['component'],
        auth: {
          type: 'serviceProvider',
          suiteId: suite.suiteId,
          suiteSecretEnv: 'SUITE_SECRET',
          suiteTicketEnv: 'SUITE_TICKET',
          corps: [
            { authCorpId: suite.authCorpId, permanentCodeEnv: 'PC_0' },
            { authCorpId: extra[0]!.authCorpId, permanentCodeEnv: 'PC_1' },
            { authCorpId: extra[1]!.authCorpId, permanentCodeEnv: 'PC_2' },
          ],
        },
      },
      {
        id: 'viaservice',
        collect: ['corp'],
        accounts: [sim.fixtures.accounts[1]!.open_kfid],
        auth: {
          type: 'tokenService',
          corpId: selfBuilt.corpId,
          url: `${tokenService.path}?corpid=${selfBuilt.corpId}`,
          headersEnv: { [tokenService.headerName]: 'TOKEN_SERVICE_KEY' },
        },
      },
    ],
  };
  const env = {
    SUITE_SECRET: suite.suiteSecret,
    SUITE_TICKET: suite.suiteTicket,
    PC_0: suite.permanentCode,
    PC_1: extra[0]!.permanentCode,
    PC_2: extra[1]!.permanentCode,
    TOKEN_SERVICE_KEY: tokenService.headerValue,
  };
  rt = createRuntime(config, env, store, now);
  app = await buildApi(apiOptions(rt, store, now, { apiKeys: [KEY] }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await rt?.close();
  await store?.close();
  await sim?.close();
});

const get = async (path: string) => {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  return { status: response.status, body: (await response.json()) as Json };
};

describe('a service provider with several corps and a token service', () => {
  it('collects component statistics for every authorized corp, with one suite token, and corp statistics through the token service', async () => {
    const summary = await collect({ config: rt.config, store, clients: rt.clients, now, owner: 'o', log: silentLog });
    expect(summary).toEqual({ series: 4, daysStored: 4 * 180, statisticsCalls: 4 * 6, failures: 0, interrupted: false });
    expect(sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
    expect(sim.callCount('/cgi-bin/service/get_corp_token')).toBe(3);
    expect(sim.callCount('/token-service/token')).toBe(1);
    // accounts were given in the config: no account/list.
    expect(sim.callCount('/cgi-bin/kf/account/list')).toBe(0);
  });

  it('needs corpid for a source of several corps, and answers each corp its own days', async () => {
    expect(await get('/api/v1/statistics?source=isv&endpoint=component&last=5')).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'INVALID_PARAMETER',
          message: expect.stringMatching(/^corpid: required: source "isv" serves 3 corps \(GET \/api\/v1\/sources lists them\)$/),
        },
      },
    });
    const a = await get('/api/v1/statistics?source=isv&corpid=wwsimauth0000002&endpoint=component&last=5');
    const b = await get('/api/v1/statistics?source=isv&corpid=wwsimauth0000003&endpoint=component&last=5');
    expect(a.body.corpid).toBe('wwsimauth0000002');
    expect(a.body.days).toHaveLength(5);
    expect(a.body.days).not.toEqual(b.body.days);
    for (const day of a.body.days) {
      const expected = sim.expectedStatistic({ endpoint: 'component', corpId: 'wwsimauth0000002', date: day.date });
      if (expected) expect(day.statistic).toMatchObject(expected);
      else expect(day.statistic).toBeNull();
    }
  });
});
