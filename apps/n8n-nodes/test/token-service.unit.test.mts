/** The token service credential's pure parts, from their sources: the token URL and the key header. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@wecom-kf-stats/core';
import { validationMessage } from '../nodes/WecomKfStats/errors';
import { tokenServiceHeaders, tokenServiceUrl } from '../nodes/WecomKfStats/token-service';

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('token URL', () => {
  it('is built from the server, the source and the corp, each part encoded', () => {
    expect(tokenServiceUrl({ serverUrl: ' https://kf.example.com/ ', source: 'isv', corpId: 'wwABC' })).toBe(
      'https://kf.example.com/api/v1/sources/isv/token?corpid=wwABC',
    );
    expect(tokenServiceUrl({ serverUrl: 'http://10.0.0.5:8080/kf-stats//', source: 'a b', corpId: 'x&y' })).toBe(
      'http://10.0.0.5:8080/kf-stats/api/v1/sources/a%20b/token?corpid=x%26y',
    );
  });

  it('leaves corpid out when no corp is given (a source with one corp)', () => {
    expect(tokenServiceUrl({ serverUrl: 'https://kf.example.com', source: 'acme', corpId: '' })).toBe(
      'https://kf.example.com/api/v1/sources/acme/token',
    );
  });

  it('refuses a pasted token URL, naming the credential field and why', () => {
    const error = validationErrorOf(() =>
      tokenServiceUrl({ serverUrl: 'https://kf.example.com/api/v1/sources/isv/token?corpid=ww1', source: 'isv' }),
    );
    expect(validationMessage(error)).toBe(
      'Invalid credential field "Server URL" (serverUrl): "https://kf.example.com/api/v1/sources/isv/token?corpid=ww1" (it already holds an API path). Allowed: the server\'s address, e.g. https://kf-stats.example.com (the token path /api/v1/sources/… is added for you).',
    );
  });

  it('refuses an address that is not an http(s) URL, and a missing source', () => {
    expect(validationErrorOf(() => tokenServiceUrl({ serverUrl: 'kf.example.com', source: 'isv' })).field).toBe('serverUrl');
    expect(validationErrorOf(() => tokenServiceUrl({ serverUrl: 'https://kf.example.com?x=1', source: 'isv' })).detail).toBe(
      'it has a query or fragment',
    );
    expect(validationMessage(validationErrorOf(() => tokenServiceUrl({ serverUrl: 'https://kf.example.com', source: ' ' })))).toMatch(
      /^Invalid credential field "Source" \(source\): ""\. Allowed: the id of one of the server's sources/,
    );
  });
});

describe('key header', () => {
  it('sends the key as Authorization: Bearer <key>, the default header', () => {
    expect(tokenServiceHeaders({ apiKey: 'k-123456' })).toEqual({ Authorization: 'Bearer k-123456' });
    expect(tokenServiceHeaders({ apiKey: ' k-123456 ', headerName: 'authorization' })).toEqual({ authorization: 'Bearer k-123456' });
  });

  it('does not double a Bearer the user typed', () => {
    expect(tokenServiceHeaders({ apiKey: 'Bearer k-123456', headerName: 'Authorization' })).toEqual({ Authorization: 'Bearer k-123456' });
  });

  it('gives another header the key as it is', () => {
    expect(tokenServiceHeaders({ apiKey: 'k-123456', headerName: 'x-api-key' })).toEqual({ 'x-api-key': 'k-123456' });
  });

  it('names the API Key field when it is empty', () => {
    expect(validationMessage(validationErrorOf(() => tokenServiceHeaders({ apiKey: '' })))).toBe(
      'Invalid credential field "API Key" (apiKey): "". Allowed: a key listed in the server\'s tokenApiKeysEnv.',
    );
  });
});
