/**
 * Account and servicer dropdowns (loadOptions) and the credential tests, all through core with
 * n8n's request helpers.
 */
import { WecomApiError, redactText, servicerIdOf, type KfStatsClient } from '@wecom-kf-stats/core';
import {
  NodeOperationError,
  type ICredentialsDecrypted,
  type ICredentialTestFunctions,
  type ILoadOptionsFunctions,
  type INodeCredentialTestResult,
  type INodePropertyOptions,
} from 'n8n-workflow';
import { authenticationOfCredentialType, createClient, CREDENTIAL_TYPES, type Authentication } from './client';
import { createHttpRequestTransport, createLegacyRequestTransport } from './transport';

async function loadOptionsClient(fx: ILoadOptionsFunctions): Promise<KfStatsClient> {
  const authentication = fx.getNodeParameter('authentication', 'selfBuilt') as Authentication;
  const credentials = await fx.getCredentials(CREDENTIAL_TYPES[authentication]);
  return createClient({ authentication, credentials, transport: createHttpRequestTransport((o) => fx.helpers.httpRequest(o)) });
}

function loadOptionsError(fx: ILoadOptionsFunctions, error: unknown): NodeOperationError {
  const message = redactText(error instanceof Error ? error.message : String(error));
  return new NodeOperationError(fx.getNode(), message, {
    ...(error instanceof WecomApiError ? { description: `${error.hint.en}\n${error.hint.zh}` } : {}),
  });
}

export const loadOptions = {
  async getAccounts(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    try {
      const accounts = await (await loadOptionsClient(this)).listAccounts();
      return accounts.map((a) => ({ name: a.name ? `${a.name} (${a.open_kfid})` : a.open_kfid, value: a.open_kfid }));
    } catch (error) {
      throw loadOptionsError(this, error);
    }
  },

  async getServicers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
    const openKfid = this.getCurrentNodeParameter('openKfid');
    if (typeof openKfid !== 'string' || openKfid.trim() === '' || openKfid.startsWith('=')) {
      return [{ name: 'All Servicers of the Account', value: '' }];
    }
    try {
      const servicers = await (await loadOptionsClient(this)).listServicers(openKfid);
      const options = servicers
        .map(servicerIdOf)
        .filter((id): id is string => typeof id === 'string' && id !== '')
        .map((id) => ({ name: id, value: id }));
      return [{ name: 'All Servicers of the Account', value: '' }, ...options];
    } catch (error) {
      throw loadOptionsError(this, error);
    }
  },
};

/**
 * One test for the three credential types: get a token (for the service provider, the suite token
 * and then the corp token), then list the accounts, which proves the app may call the customer
 * service APIs. WeCom answers failures as errcodes inside HTTP 200 bodies, so only core can tell.
 */
async function testCredential(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
  const authentication = authenticationOfCredentialType(credential.type);
  if (authentication === undefined) return { status: 'Error', message: `Unknown credential type ${credential.type}` };
  try {
    const client = createClient({
      authentication,
      credentials: credential.data ?? {},
      // Credential tests are handed only helpers.request (ICredentialTestFunctions), the same
      // outbound HTTP stack; WeCom's errcode-in-200 answers need core, not a declarative test.
      // eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
      transport: createLegacyRequestTransport((o) => this.helpers.request(o)),
      shareTokens: false,
    });
    await client.checkAuth();
    const accounts = await client.listAccounts();
    return { status: 'OK', message: `Connected: ${accounts.length} customer-service account(s) visible.` };
  } catch (error) {
    return { status: 'Error', message: redactText(error instanceof Error ? error.message : String(error)) };
  }
}

export const credentialTest = {
  wecomKfSelfBuiltApiTest: testCredential,
  wecomKfServiceProviderApiTest: testCredential,
  wecomKfAccessTokenApiTest: testCredential,
};
