/**
 * The network edge: core's `Transport` built on n8n's own request helpers, so n8n's proxy,
 * SSRF and TLS settings apply to every WeCom call. Core decides everything about the answer
 * (status, errcode, JSON shape), so these helpers only carry bytes: no status throwing, no JSON
 * parsing.
 */
import { AbortedError, TimeoutError, classifyTransportFailure, type Transport, type TransportRequest } from '@wecom-kf-stats/core';
import type { IHttpRequestOptions } from 'n8n-workflow';

type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

interface FullResponse {
  statusCode: number;
  body: unknown;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return '';
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  // A helper that parsed JSON on its own: give core the text back.
  return JSON.stringify(body);
}

/** axios reports its own timeout as ECONNABORTED / ETIMEDOUT; core has a kind for it. */
function classify(error: unknown, request: TransportRequest): Error {
  if (request.signal?.aborted) return new AbortedError(request.signal.reason);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(message))) {
    return new TimeoutError(request.label, request.timeoutMs);
  }
  return classifyTransportFailure(error, request);
}

function toFullResponse(answer: unknown): FullResponse {
  const full = answer as Partial<FullResponse> | null;
  return { statusCode: typeof full?.statusCode === 'number' ? full.statusCode : 0, body: full?.body };
}

/** For execute(), loadOptions and the credential test: `helpers.httpRequest`. */
export function createHttpRequestTransport(httpRequest: HttpRequest): Transport {
  return async (request) => {
    if (request.signal?.aborted) throw new AbortedError(request.signal.reason);
    try {
      const answer = await httpRequest({
        url: request.url,
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        timeout: request.timeoutMs,
        encoding: 'text',
        json: false,
        returnFullResponse: true,
        ignoreHttpStatusErrors: true,
        ...(request.signal ? { abortSignal: request.signal } : {}),
      });
      const full = toFullResponse(answer);
      return { status: full.statusCode, body: bodyText(full.body) };
    } catch (error) {
      throw classify(error, request);
    }
  };
}
