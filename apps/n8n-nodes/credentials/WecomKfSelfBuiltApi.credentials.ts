import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import { baseUrlProperty } from './baseUrl';

/**
 * A self-built app (自建应用): corp id + app secret -> gettoken (page 91039). For corp and
 * servicer statistics and the account and servicer lists; the app must be listed under
 * 微信客服 → 可调用接口的应用.
 *
 * Tested by the WeCom KF Statistics node (`testedBy`): WeCom reports a wrong secret as an
 * errcode inside an HTTP 200 answer, which a declarative request test would call a success.
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
  ];
}
