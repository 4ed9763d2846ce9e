/**
 * The transport is the only network edge: a function from a request to a status and a body text.
 * Core's main entry never touches the network itself; the Node entry supplies an undici transport,
 * browsers and hosts supply their own (Grafana's backendSrv, n8n's helpers) or `createFetchTransport`.
 * Transports throw `TimeoutError` on timeout, `AbortedError` when the caller's signal aborts and
 * `TransportError` for anything else that prevented an answer.
 */
import { AbortedError, TimeoutError, TransportError } from './errors.js';

export interface TransportRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Give up on this one request after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** What to call the request in errors: the API path, never the URL with its token. */
  label: string;
}

export interface TransportResponse {
  status: number;
  body: string;
}

export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Waits `ms`, or rejects with AbortedError when `signal` aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

/** A transport over any WHATWG `fetch` (browsers, Deno, Node's global fetch, test doubles). */
export function createFetchTransport(fetchFn: FetchLike): Transport {
  return async (request) => {
    if (request.signal?.aborted) throw new AbortedError(request.signal.reason);
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      const init: Parameters<FetchLike>[1] = { method: request.method, headers: request.headers, signal };
      if (request.body !== undefined) init.body = request.body;
      const response = await fetchFn(request.url, init);
      return { status: response.status, body: await response.text() };
    } catch (error) {
      throw classifyTransportFailure(error, request, timeout);
    }
  };
}

/** Map a low-level failure to the library's error kinds (shared by every transport). */
export function classifyTransportFailure(error: unknown, request: TransportRequest, timeoutSignal?: AbortSignal): Error {
  if (error instanceof TimeoutError || error instanceof AbortedError || error instanceof TransportError) return error;
  if (request.signal?.aborted) return new AbortedError(request.signal.reason);
  const code = (error as { code?: unknown } | null)?.code;
  // The pool was closed by its owner (a redeploy, a shutdown): nothing to retry.
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') return new AbortedError(new Error('the client was closed'));
  if (timeoutSignal?.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError(request.label, request.timeoutMs);
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = [
    error instanceof Error ? error.message : String(error),
    typeof code === 'string' ? code : undefined,
    typeof cause?.code === 'string' ? cause.code : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return new TransportError(request.label, detail, { cause: error });
}
