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
 * A self-built app (自建应用): corp id + app secret -> gettoken (page 91039). For corp and
 * servicer statistics and the account and servicer lists; the app must be listed under
 * 微信客服 → 可调用接口的应用.
 *
 * Tested like every WeCom KF credential: see ./connection.ts.
 */
export class WecomKfSelfBuiltApi implements ICredentialType {
  name = 'wecomKfSelfBuiltApi';

  displayName = 'WeCom KF (Self-Built App) API';

  icon: Icon = { light: 'file:wecomKf.svg', dark: 'file:wecomKf.dark.svg' };

  documentationUrl = 'https://developer.work.weixin.qq.com/document/path/91039';

  properties: INodeProperties[] = [
    {
      displayName: 'Corp ID',
      name: 'corpId',
      type: 'string',
      default: '',
      required: true,
      placeholder: 'ww0123456789abcdef',
      description: 'Your corp ID (企业ID), from My Company → Company Information',
    },
    {
      displayName: 'App Secret',
      name: 'corpSecret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description: 'Secret of the self-built app that may call the customer-service APIs',
    },
    baseUrlProperty,
    sessionTokenProperty,
  ];

  async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
    return await checkConnection(this.helpers, 'selfBuilt', credentials);
  }

  authenticate: IAuthenticateGeneric = sessionTokenAuthentication;

  test: ICredentialTestRequest = accountListTest;
}
