/**
 * The credential tests, run the way n8n's CredentialsTester runs a declarative `test` (see
 * ./credential-tester.mts), against the simulator over real HTTP.
 */
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { beforeAll, describe, expect, test } from 'vitest';
import { testCredential } from './credential-tester.mjs';
import { builtCredentials, builtNode } from './n8n-harness.mjs';
import { simulatorCredentials } from './fixtures.mjs';

const kf = useSimulator();
beforeAll(async () => {});

async function accessToken(): Promise<string> {
  const { corpId, corpSecret } = kf.sim.fixtures.selfBuilt;
  const answer = (await (await fetch(`${kf.sim.url}/cgi-bin/gettoken?corpid=${corpId}&corpsecret=${corpSecret}`)).json()) as {
    access_token: string;
  };
  return answer.access_token;
}

describe('credential types', () => {
  test('each credential tests itself declaratively; the node names no test function', () => {
    expect(builtNode.description.credentials!.map((c) => c.testedBy)).toEqual([undefined, undefined, undefined, undefined]);
    expect(builtNode.methods).not.toHaveProperty('credentialTest');
    for (const credential of builtCredentials) {
      expect(credential.test?.request.url, credential.name).toBe('/cgi-bin/kf/account/list');
      expect(credential.preAuthentication, credential.name).toBeTypeOf('function');
      const hidden = credential.properties.filter((p) => p.type === 'hidden');
      expect(
        hidden.map((p) => [p.name, p.typeOptions?.expirable]),
        credential.name,
      ).toEqual([['sessionToken', true]]);
    }
  });

  test('every credential type has a base URL defaulting to WeCom and secrets as password fields', () => {
    expect(builtCredentials.map((c) => c.name).sort()).toEqual([
      'wecomKfAccessTokenApi',
      'wecomKfSelfBuiltApi',
      'wecomKfServiceProviderApi',
      'wecomKfTokenServiceApi',
    ]);
    for (const credential of builtCredentials) {
      expect(credential.properties.find((p) => p.name === 'baseUrl')?.default).toBe('https://qyapi.weixin.qq.com');
      for (const p of credential.properties.filter((p) => /secret|ticket|code|token|key/i.test(p.name))) {
        expect(p.typeOptions?.password, `${credential.name}.${p.name}`).toBe(true);
      }
    }
  });
});

describe('credential tests against the base URL', () => {
  test('self-built app: token, then the account list', async () => {
    const result = await testCredential('wecomKfSelfBuiltApi', simulatorCredentials(kf.sim).wecomKfSelfBuiltApi!);
    expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
    expect(kf.sim.callCount('/cgi-bin/gettoken')).toBe(1);
    // Once by the pre-authentication, once by the test request with the token it returned.
    expect(kf.sim.callCount('/cgi-bin/kf/account/list')).toBe(2);
  });

  test('service provider: suite token, corp token, then the account list', async () => {
    const result = await testCredential('wecomKfServiceProviderApi', simulatorCredentials(kf.sim).wecomKfServiceProviderApi!);
    expect(result.status).toBe('OK');
    expect(kf.sim.callCount('/cgi-bin/service/get_suite_token')).toBe(1);
    expect(kf.sim.callCount('/cgi-bin/service/get_corp_token')).toBe(1);
  });

  test('access token: the account list', async () => {
    const result = await testCredential('wecomKfAccessTokenApi', { accessToken: await accessToken(), baseUrl: kf.sim.url });
    expect(result.status).toBe('OK');
  });

  test('a wrong secret (errcode 40001 inside an HTTP 200) fails with the hint and without the secret', async () => {
    const canary = 'CANARY-corp-secret-51c0ffee';
    const result = await testCredential('wecomKfSelfBuiltApi', {
      corpId: kf.sim.fixtures.selfBuilt.corpId,
      corpSecret: canary,
      baseUrl: kf.sim.url,
    });
    expect(result.status).toBe('Error');
    expect(result.message).toContain('errcode 40001');
    expect(result.message).toContain('secret 不正确');
    expect(result.message).not.toContain(canary);
  });

  test('an outdated suite ticket fails with its own hint and the ticket is not shown', async () => {
    const canary = 'CANARY-suite-ticket-0badf00d';
    const result = await testCredential('wecomKfServiceProviderApi', {
      ...kf.sim.fixtures.suite,
      suiteTicket: canary,
      baseUrl: kf.sim.url,
    });
    expect(result.status).toBe('Error');
    expect(result.message).toContain('40085');
    expect(result.message).not.toContain(canary);
  });

  test('an invalid access token fails', async () => {
    const result = await testCredential('wecomKfAccessTokenApi', { accessToken: 'CANARY-token-not-issued-1234', baseUrl: kf.sim.url });
    expect(result.status).toBe('Error');
    expect(result.message).toMatch(/errcode (40014|42001)/);
    expect(result.message).not.toContain('CANARY-token-not-issued-1234');
  });

  test('a base URL nobody answers on fails as a connection error, not a success', async () => {
    const result = await testCredential('wecomKfSelfBuiltApi', { ...kf.sim.fixtures.selfBuilt, baseUrl: 'http://127.0.0.1:9' });
    expect(result.status).toBe('Error');
    expect(result.message).toMatch(/Request to \/cgi-bin\/gettoken failed/);
  });

  test('an errcode the test request meets after a good token is a failure, by its rule', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 60020, path: '/cgi-bin/kf/account/list', skip: 1 });
    const result = await testCredential('wecomKfSelfBuiltApi', { ...kf.sim.fixtures.selfBuilt, baseUrl: kf.sim.url });
    expect(result.status).toBe('Error');
    expect(result).toEqual({ status: 'Error', message: expect.stringContaining('errcode 60020') as string });
  });

  test('an app without permission for the customer-service APIs fails with the permission hint', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/account/list' });
    const result = await testCredential('wecomKfSelfBuiltApi', { ...kf.sim.fixtures.selfBuilt, baseUrl: kf.sim.url });
    expect(result.status).toBe('Error');
    expect(result.message).toContain('可调用接口的应用');
  });
});
