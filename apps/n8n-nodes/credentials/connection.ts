/**
 * The credential test, the way n8n runs a declarative one: `preAuthentication` (handed n8n's
 * `helpers.httpRequest`) runs core's token flow with the credentials as entered — for the service
 * provider the suite token and then the corp token, for the token service a GET of the server's
 * token URL with the API key — and lists the accounts, so any errcode (WeCom answers them inside
 * HTTP 200) or refusal fails the test with core's hint or the service's reason and nothing
 * secret. The token it used goes into the hidden, expirable `sessionToken`, which the test request
 * then sends to kf/account/list once more; its rules turn the errcodes that request can still meet
 * into failures.
 *
 * The node does not use `sessionToken`: it reads the credentials and lets core cache and renew
 * tokens itself (n8n's refresh only reacts to HTTP 401, WeCom never sends one).
 */
import { redactText, type Transport } from '@wecom-kf-stats/core';
import type {
  ICredentialDataDecryptedObject,
  ICredentialTestRequest,
  IAuthenticateGeneric,
  IAuthenticateRuleResponseSuccessBody,
  IDataObject,
  IHttpRequestHelper,
  INodeProperties,
} from 'n8n-workflow';
import { createClient, type Authentication } from '../nodes/WecomKfStats/client';
import { createHttpRequestTransport } from '../nodes/WecomKfStats/transport';

const ACCOUNT_LIST_PATH = '/cgi-bin/kf/account/list';

/** Filled by the credential test, never shown. */
export const sessionTokenProperty: INodeProperties = {
  displayName: 'Session Token',
  name: 'sessionToken',
  type: 'hidden',
  typeOptions: { expirable: true, password: true },
  default: '',
};

/** Gets a token with core (any errcode throws with its hint), then lists the accounts with it. */
export async function checkConnection(
  helpers: IHttpRequestHelper['helpers'],
  authentication: Authentication,
  credentials: ICredentialDataDecryptedObject,
): Promise<IDataObject> {
  let sessionToken: string | undefined;
  const http = createHttpRequestTransport((options) => helpers.httpRequest(options));
  const transport: Transport = async (request) => {
    const url = new URL(request.url);
    if (url.pathname.endsWith(ACCOUNT_LIST_PATH)) sessionToken = url.searchParams.get('access_token') ?? undefined;
    return http(request);
  };
  // Not the node's shared token store: the test proves the credentials as entered, not a token
  // cached from an earlier version of them.
  const failure = await Promise.resolve()
    .then(async () => {
      const client = createClient({ authentication, credentials, transport, shareTokens: false });
      await client.checkAuth();
      await client.listAccounts();
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  // n8n's credential test shows this message; core's says what failed and how to fix it.
  if (failure !== undefined) throw new Error(redactText(failure instanceof Error ? failure.message : String(failure)));
  if (sessionToken === undefined) throw new Error(`No ${ACCOUNT_LIST_PATH} request carried an access_token.`);
  return { sessionToken };
}

/** Every KF call carries the token as `access_token` in the query. */
export const sessionTokenAuthentication: IAuthenticateGeneric = {
  type: 'generic',
  properties: { qs: { access_token: '={{$credentials.sessionToken}}' } },
};

const errcodeRule = (value: number, message: string): IAuthenticateRuleResponseSuccessBody => ({
  type: 'responseSuccessBody',
  properties: { key: 'errcode', value, message },
});

/** kf/account/list with the token the pre-authentication got; WeCom's errcodes are failures. */
export const accountListTest: ICredentialTestRequest = {
  request: {
    baseURL: '={{$credentials.baseUrl || "https://qyapi.weixin.qq.com"}}',
    url: ACCOUNT_LIST_PATH,
    method: 'POST',
    body: { offset: 0, limit: 100 },
  },
  rules: [
    errcodeRule(40014, 'errcode 40014: the access_token is invalid / access_token 无效'),
    errcodeRule(42001, 'errcode 42001: the access_token has expired / access_token 已过期'),
    errcodeRule(41001, 'errcode 41001: no access_token was sent / 缺少 access_token'),
    errcodeRule(48002, 'errcode 48002: this app may not call the customer-service APIs; add it under 微信客服 → 可调用接口的应用'),
    errcodeRule(60020, 'errcode 60020: this server’s IP is not in the app’s trusted IPs / 不在企业可信 IP 列表'),
    errcodeRule(-1, 'errcode -1: WeCom is busy; test again in a moment / 系统繁忙'),
  ],
};
