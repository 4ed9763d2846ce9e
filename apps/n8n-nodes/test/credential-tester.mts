/**
 * A credential test run the way n8n's CredentialsTester runs a declarative `test`: the
 * credential's `preAuthentication` with n8n-core's real `helpers.httpRequest`, then the test
 * request with the token it returned, judged by the request's rules. (The tester itself lives in
 * n8n's server package; its steps are repeated here.)
 */
import type {
  ICredentialDataDecryptedObject,
  ICredentialType,
  IDataObject,
  IHttpRequestHelper,
  IHttpRequestOptions,
  INodeCredentialTestResult,
} from 'n8n-workflow';
import { expect } from 'vitest';
import { builtCredentials, requestHelpers } from './n8n-harness.mjs';

function credentialType(type: string): ICredentialType {
  const found = builtCredentials.find((c) => c.name === type);
  expect(found, type).toBeDefined();
  return found!;
}

export async function testCredential(type: string, data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
  const credential = credentialType(type);
  const helpers = requestHelpers() as IHttpRequestHelper['helpers'];
  let token: IDataObject;
  try {
    token = await credential.preAuthentication!.call({ helpers }, data);
  } catch (error) {
    return { status: 'Error', message: (error as Error).message };
  }
  const withToken = { ...data, ...token };
  const { request, rules } = credential.test!;
  const qs = (credential.authenticate as { properties: { qs: Record<string, string> } }).properties.qs;
  expect(qs).toEqual({ access_token: '={{$credentials.sessionToken}}' });
  expect(request.baseURL).toBe('={{$credentials.baseUrl || "https://qyapi.weixin.qq.com"}}');
  const response = (await helpers.httpRequest({
    method: request.method,
    baseURL: (withToken.baseUrl as string) || 'https://qyapi.weixin.qq.com',
    url: request.url!,
    body: request.body,
    qs: { access_token: withToken.sessionToken },
    json: true,
  } as IHttpRequestOptions)) as IDataObject;
  for (const rule of rules ?? []) {
    if (rule.type === 'responseSuccessBody' && response[rule.properties.key] === rule.properties.value) {
      return { status: 'Error', message: rule.properties.message };
    }
  }
  return { status: 'OK', message: 'Connection successful!' };
}
