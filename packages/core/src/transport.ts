/**
 * The transport is the only network edge: a function from a request to a status and a body text.
 * Core's main entry never touches the network itself; the Node entry supplies an undici transport,
 * browsers and hosts supply their own (Grafana's backendSrv, n8n's helpers) or `createFetchTransport`.
 * Transports throw `TimeoutError` on timeout, `AbortedError` when the caller's signal aborts and
 * `TransportError` for anything else that prevented an answer.
 */
import { AbortedError, ResponseFormatError, TimeoutError, TransportError, WecomStatsError } from './errors.js';
import { LIMITS } from './limits.js';

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

/** The default sleep: a timer every runtime has (browsers, Node, workers), cancelled by the signal. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The most one answer may hold. A statistics answer for 31 days is a few KB and an account list
 * page of 100 accounts a few tens: anything near this is not WeCom's answer. @default 8 MiB
 */
export const MAX_RESPONSE_BYTES = LIMITS.maxResponseBytes;

/**
 * Collects a body chunk by chunk and stops as soon as it grows past the cap, so a huge or
 * endless answer (chunked, without a content-length) never fills memory.
 */
export function createBodyReader(label: string, maxBytes: number = MAX_RESPONSE_BYTES) {
  const decoder = new TextDecoder();
  let received = 0;
  let text = '';
  return {
    push(chunk: Uint8Array): void {
      received += chunk.byteLength;
      if (received > maxBytes) throw responseTooLarge(label, maxBytes);
      text += decoder.decode(chunk, { stream: true });
    },
    text(): string {
      return text + decoder.decode();
    },
  };
}

/** Too large to be WeCom's answer: a format error (not retried), naming the cap. */
export function responseTooLarge(label: string, maxBytes: number): ResponseFormatError {
  const size = maxBytes >= 1024 * 1024 ? `${+(maxBytes / (1024 * 1024)).toFixed(1)} MB` : `${maxBytes} bytes`;
  return new ResponseFormatError(
    label,
    `response larger than ${size}; WeCom's answers are a few KB, so this is not one of them. Not retried.`,
  );
}

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{
  status: number;
  text(): Promise<string>;
  body?: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}>;

/** A transport over any WHATWG `fetch` (browsers, Deno, Node's global fetch, test doubles). */
export function createFetchTransport(fetchFn: FetchLike, options: { maxResponseBytes?: number } = {}): Transport {
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  return async (request) => {
    if (request.signal?.aborted) throw new AbortedError(request.signal.reason);
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      const init: Parameters<FetchLike>[1] = { method: request.method, headers: request.headers, signal };
      if (request.body !== undefined) init.body = request.body;
      const response = await fetchFn(request.url, init);
      if (!response.body) {
        const text = await response.text();
        if (text.length > maxBytes) throw responseTooLarge(request.label, maxBytes);
        return { status: response.status, body: text };
      }
      const reader = response.body.getReader();
      const body = createBodyReader(request.label, maxBytes);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        try {
          if (value) body.push(value);
        } catch (error) {
          await reader.cancel().catch(() => undefined);
          throw error;
        }
      }
      return { status: response.status, body: body.text() };
    } catch (error) {
      throw classifyTransportFailure(error, request, timeout);
    }
  };
}

/** Map a low-level failure to the library's error kinds (shared by every transport). */
export function classifyTransportFailure(error: unknown, request: TransportRequest, timeoutSignal?: AbortSignal): Error {
  // Already one of the library's errors (a cap, a status): passed on as it is.
  if (error instanceof WecomStatsError) return error;
  if (request.signal?.aborted) return new AbortedError(request.signal.reason);
  const code = (error as { code?: unknown } | null)?.code;
  // The pool was closed by its owner (a redeploy, a shutdown): nothing to retry.
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') return new AbortedError(new Error('the client was closed'));
  if (
    timeoutSignal?.aborted ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
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
