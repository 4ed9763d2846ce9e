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
 * A service provider's suite (第三方应用 / 微信客服组件): suite token -> corp token for one
 * authorizing corp (pages 97162, 90605). Needed for component statistics (kf/get_statistic).
 *
 * Tested like every WeCom KF credential: see ./connection.ts.
 */
export class WecomKfServiceProviderApi implements ICredentialType {
  name = 'wecomKfServiceProviderApi';

  displayName = 'WeCom KF (Service Provider) API';

  icon: Icon = { light: 'file:wecomKf.svg', dark: 'file:wecomKf.dark.svg' };

  documentationUrl = 'https://developer.work.weixin.qq.com/document/path/90605';

  properties: INodeProperties[] = [
    {
      displayName: 'Suite ID',
      name: 'suiteId',
      type: 'string',
      default: '',
      required: true,
      description: 'The suite_id of your third-party app (or customer-service component)',
    },
    {
      displayName: 'Suite Secret',
      name: 'suiteSecret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
    },
    // A suite ticket and a permanent code are secrets (docs/wecom-api.md §4).
    // eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
    {
      displayName: 'Suite Ticket',
      name: 'suiteTicket',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description:
        'The newest suite_ticket WeCom pushed to your callback (a new one every 10 minutes, each valid 30 minutes). It is needed only when a new suite token is fetched.',
    },
    {
      displayName: 'Authorizing Corp ID',
      name: 'authCorpId',
      type: 'string',
      default: '',
      required: true,
      description: 'The auth_corpid of the corp that authorized your app',
    },
    // A suite ticket and a permanent code are secrets (docs/wecom-api.md §4).
    // eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
    {
      displayName: 'Permanent Code',
      name: 'permanentCode',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description: 'The permanent_code WeCom gave when that corp authorized your app',
    },
    baseUrlProperty,
    sessionTokenProperty,
  ];

  async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
    return await checkConnection(this.helpers, 'serviceProvider', credentials);
  }

  authenticate: IAuthenticateGeneric = sessionTokenAuthentication;

  test: ICredentialTestRequest = accountListTest;
}
