import type {
  ICredentialDataDecryptedObject,
  ICredentialTestRequest,
  ICredentialType,
  IAuthenticateGeneric,
  IDataObject,
  IHttpRequestHelper,
  INodeProperties,
  Icon,
} from 'n8n-workflow';
import { baseUrlProperty } from './baseUrl';
import { accountListTest, checkConnection, sessionTokenAuthentication, sessionTokenProperty } from './connection';

/**
 * Access tokens from a wecom-kf-stats server acting as a token service. The server receives the
 * service provider's suite_ticket (pushed every 10 minutes, page 90628) and keeps each corp's
 * token, so nothing that expires is pasted here: only the server, the source, the corp and an API
 * key the server lets take tokens. Works for all three statistics endpoints, including component
 * statistics of a provider's corp.
 *
 * Tested like every WeCom KF credential: see ./connection.ts.
 */
export class WecomKfTokenServiceApi implements ICredentialType {
  name = 'wecomKfTokenServiceApi';

  displayName = 'WeCom KF (Token Service of a KF Stats Server) API';

  icon: Icon = { light: 'file:wecomKf.svg', dark: 'file:wecomKf.dark.svg' };

  documentationUrl = 'https://github.com/wecom-kf-stats/wecom-kf-stats/tree/main/apps/server#readme';

  properties: INodeProperties[] = [
    {
      displayName: 'Server URL',
      name: 'serverUrl',
      type: 'string',
      default: '',
      required: true,
      placeholder: 'https://kf-stats.example.com',
      description:
        'Address of your wecom-kf-stats server, as n8n reaches it. Only the address: the token path (/api/v1/sources/{source}/token) is added for you.',
    },
    {
      displayName: 'Source',
      name: 'source',
      type: 'string',
      default: '',
      required: true,
      placeholder: 'isv',
      description: "The ID of the server's source to take tokens from (sources[].id in the server's config)",
    },
    {
      displayName: 'Corp ID',
      name: 'corpId',
      type: 'string',
      default: '',
      placeholder: 'ww0123456789abcdef',
      description:
        'The corp whose token to take: for a service provider, the auth_corpid of a corp that authorized the suite. May stay empty when the source serves one corp only.',
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description:
        "A key listed in the server's tokenApiKeysEnv. A key from apiKeysEnv only may read statistics but not take tokens (the server answers HTTP 403). Sent as the Authorization header, Bearer followed by the key.",
    },
    {
      displayName: 'Header Name',
      name: 'headerName',
      type: 'string',
      default: 'Authorization',
      description:
        'The header that carries the API key. Keep Authorization (Bearer followed by the key); change it only for a proxy in front of the server that reads its own header, which then gets the key as it is.',
    },
    baseUrlProperty,
    sessionTokenProperty,
  ];

  async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
    return await checkConnection(this.helpers, 'tokenService', credentials);
  }

  authenticate: IAuthenticateGeneric = sessionTokenAuthentication;

  test: ICredentialTestRequest = accountListTest;
}
