/**
 * One core client per data source instance, talking through Grafana's data proxy. Which
 * plugin.json route hands out the access_token depends on the auth mode; the secrets stay in
 * secureJsonData on the Grafana server.
 */
import { createKfStatsClient, type AuthOptions, type KfStatsClient } from '@wecom-kf-stats/core';
import { createDataProxyTransport, PROXY_ORIGIN } from './proxy-transport';
import type { KfStatsOptions } from './types';

/** The data proxy route that answers `{access_token, expires_in}` for these settings. */
export function tokenRoutePath(jsonData: KfStatsOptions): string {
  if (jsonData.authMode === 'tokenService') {
    return jsonData.tokenServiceHeader === 'Authorization' ? '/token-service/authorization' : '/token-service/key';
  }
  // gettoken answers {errcode: 0, access_token, expires_in}: core reads it like a token service.
  return '/cgi-bin/gettoken';
}

export interface ProxyClientSettings {
  /** instanceSettings.url: the data proxy path of this data source. */
  url: string;
  jsonData: KfStatsOptions;
}

export function createProxyClient(settings: ProxyClientSettings, overrides: { cache?: false } = {}): KfStatsClient {
  const auth: AuthOptions = { type: 'tokenService', url: `${PROXY_ORIGIN}${tokenRoutePath(settings.jsonData)}` };
  return createKfStatsClient({
    auth,
    baseUrl: PROXY_ORIGIN,
    transport: createDataProxyTransport(settings.url),
    ...overrides,
  });
}
