/**
 * From n8n credentials to a core client. The node builds one client per execution (its day cache
 * lives as long as the execution); tokens are kept across executions in a process-wide store,
 * because WeCom asks callers not to fetch a token on every run (page 91039).
 */
import {
  createKfStatsClient,
  createMemoryTokenStore,
  type AuthOptions,
  type KfStatsClient,
  type Transport,
  type TokenStore,
  type WindowPolicy,
} from '@wecom-kf-stats/core';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { tokenServiceAuth } from './token-service';

export type Authentication = 'selfBuilt' | 'serviceProvider' | 'accessToken' | 'tokenService';

/** The node's `authentication` values and the credential type each one uses. */
export const CREDENTIAL_TYPES: Record<Authentication, string> = {
  selfBuilt: 'wecomKfSelfBuiltApi',
  serviceProvider: 'wecomKfServiceProviderApi',
  accessToken: 'wecomKfAccessTokenApi',
  tokenService: 'wecomKfTokenServiceApi',
};

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/** Core validates the values (and names the field when one is missing). */
export function authFromCredentials(authentication: Authentication, data: ICredentialDataDecryptedObject): AuthOptions {
  switch (authentication) {
    case 'selfBuilt':
      return { type: 'selfBuilt', corpId: text(data.corpId), corpSecret: text(data.corpSecret) };
    case 'serviceProvider':
      return {
        type: 'serviceProvider',
        suiteId: text(data.suiteId),
        suiteSecret: text(data.suiteSecret),
        suiteTicket: text(data.suiteTicket),
        authCorpId: text(data.authCorpId),
        permanentCode: text(data.permanentCode),
      };
    case 'accessToken':
      return { type: 'token', accessToken: text(data.accessToken) };
    case 'tokenService':
      return tokenServiceAuth(data);
  }
}

export function baseUrlFromCredentials(data: ICredentialDataDecryptedObject): string | undefined {
  const value = text(data.baseUrl).trim();
  return value === '' ? undefined : value.replace(/\/+$/, '');
}

/**
 * One token store per API origin: a token from one origin means nothing to another. Core keeps a
 * token service's tokens apart per URL and per key, so a key the server refuses is never answered
 * with a token another key obtained.
 */
const tokenStores = new Map<string, TokenStore>();
function tokenStoreFor(baseUrl: string | undefined): TokenStore {
  const key = baseUrl ?? '';
  let store = tokenStores.get(key);
  if (!store) {
    store = createMemoryTokenStore();
    tokenStores.set(key, store);
  }
  return store;
}

export interface ClientSettings {
  authentication: Authentication;
  credentials: ICredentialDataDecryptedObject;
  transport: Transport;
  windowPolicy?: WindowPolicy;
  /**
   * Reuse tokens fetched by earlier executions. @default true. Off for credential tests, which
   * must prove the credentials as entered, not a token cached from a previous version of them.
   */
  shareTokens?: boolean;
}

export function createClient({ authentication, credentials, transport, windowPolicy, shareTokens = true }: ClientSettings): KfStatsClient {
  const baseUrl = baseUrlFromCredentials(credentials);
  return createKfStatsClient({
    auth: authFromCredentials(authentication, credentials),
    transport,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(windowPolicy !== undefined ? { windowPolicy } : {}),
    tokenStore: shareTokens ? tokenStoreFor(baseUrl) : createMemoryTokenStore(),
  });
}
