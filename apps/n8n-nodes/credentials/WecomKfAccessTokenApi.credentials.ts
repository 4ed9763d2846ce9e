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
 * An access_token obtained elsewhere (a company token service, another system). WeCom tokens
 * live 7200 s: this suits short-lived use or an expression that reads the current token.
 *
 * Tested like every WeCom KF credential: see ./connection.ts.
 */
export class WecomKfAccessTokenApi implements ICredentialType {
  name = 'wecomKfAccessTokenApi';

  displayName = 'WeCom KF (Access Token) API';

  icon: Icon = { light: 'file:wecomKf.svg', dark: 'file:wecomKf.dark.svg' };

  documentationUrl = 'https://developer.work.weixin.qq.com/document/path/91039';

  properties: INodeProperties[] = [
    {
      displayName: 'Access Token',
      name: 'accessToken',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
    },
    baseUrlProperty,
    sessionTokenProperty,
  ];

  async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
    return await checkConnection(this.helpers, 'accessToken', credentials);
  }

  authenticate: IAuthenticateGeneric = sessionTokenAuthentication;

  test: ICredentialTestRequest = accountListTest;
}
