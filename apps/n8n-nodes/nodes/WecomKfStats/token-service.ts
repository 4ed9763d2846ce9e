/**
 * The token service of a wecom-kf-stats server: the server receives the service provider's
 * suite_ticket pushes and keeps each authorized corp's access token; n8n asks it for that token
 * with an API key from the server's `tokenApiKeysEnv`, so no ticket, secret or permanent code is
 * pasted into n8n. The credential names the server, the source and the corp; the token URL is
 * built here, once, so a user never types the API path.
 */
import { ValidationError, type AuthOptions } from '@wecom-kf-stats/core';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

/** The header the server reads its API keys from. */
export const DEFAULT_TOKEN_HEADER = 'Authorization';

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/** The server's origin (and path prefix, behind a reverse proxy), without a trailing slash. */
function serverUrlOf(data: ICredentialDataDecryptedObject): string {
  const raw = text(data.serverUrl);
  const allowed = "the server's address, e.g. https://kf-stats.example.com (the token path /api/v1/sources/… is added for you)";
  let url: URL | undefined;
  try {
    url = /^https?:\/\//i.test(raw) ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined) throw new ValidationError('serverUrl', raw, allowed);
  // A pasted token URL (or any API URL): the path is the credential's to build, from Source and Corp ID.
  if (/\/api\/v1(\/|$)/.test(url.pathname)) throw new ValidationError('serverUrl', raw, allowed, 'it already holds an API path');
  if (url.search !== '' || url.hash !== '') throw new ValidationError('serverUrl', raw, allowed, 'it has a query or fragment');
  return raw.replace(/\/+$/, '');
}

/** `<server>/api/v1/sources/<source>/token[?corpid=<corp>]`, as the server serves it. */
export function tokenServiceUrl(data: ICredentialDataDecryptedObject): string {
  const server = serverUrlOf(data);
  const source = text(data.source);
  if (source === '') throw new ValidationError('source', source, "the id of one of the server's sources (sources[].id in its config)");
  const corpId = text(data.corpId);
  const query = corpId === '' ? '' : `?corpid=${encodeURIComponent(corpId)}`;
  return `${server}/api/v1/sources/${encodeURIComponent(source)}/token${query}`;
}

/** The API key as the server expects it: `Authorization: Bearer <key>`; another header carries the key as it is. */
export function tokenServiceHeaders(data: ICredentialDataDecryptedObject): Record<string, string> {
  const name = text(data.headerName) || DEFAULT_TOKEN_HEADER;
  const key = text(data.apiKey);
  if (key === '') throw new ValidationError('apiKey', key, "a key listed in the server's tokenApiKeysEnv");
  const bearer = name.toLowerCase() === 'authorization' && !/^bearer\s/i.test(key);
  return { [name]: bearer ? `Bearer ${key}` : key };
}

export function tokenServiceAuth(data: ICredentialDataDecryptedObject): AuthOptions {
  return { type: 'tokenService', url: tokenServiceUrl(data), headers: tokenServiceHeaders(data) };
}
