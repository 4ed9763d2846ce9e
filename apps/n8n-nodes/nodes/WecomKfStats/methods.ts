/**
 * Account and servicer dropdowns (loadOptions), through core with n8n's request helper.
 */
import { WecomApiError, redactText, servicerIdOf, type KfStatsClient } from '@wecom-kf-stats/core';
import { NodeOperationError, type ILoadOptionsFunctions, type INodePropertyOptions } from 'n8n-workflow';
import { createClient, CREDENTIAL_TYPES, type Authentication } from './client';
import { createHttpRequestTransport } from './transport';

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
