import type { INodeProperties } from 'n8n-workflow';

/**
 * Where the API lives. WeCom's own origin by default; a company proxy or a local simulator can
 * stand in for it. Every credential carries it so the credential test checks the same origin the
 * node will call.
 */
export const baseUrlProperty: INodeProperties = {
  displayName: 'Base URL',
  name: 'baseUrl',
  type: 'string',
  default: 'https://qyapi.weixin.qq.com',
  description: 'WeCom API origin. Change it only for a proxy in front of WeCom or a test server.',
};
