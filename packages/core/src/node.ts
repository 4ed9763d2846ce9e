/**
 * The Node entry: an undici transport (keep-alive pool, timeouts) and real timers, wired into the
 * runtime-neutral client.
 */
import { Agent, request } from 'undici';
import { createKfStatsClient, type KfStatsClient, type KfStatsClientOptions } from './client.js';
import { AbortedError, ValidationError } from './errors.js';
import { classifyTransportFailure, createBodyReader, MAX_RESPONSE_BYTES, responseTooLarge, type Transport } from './transport.js';

export interface UndiciTransportOptions {
  /** Connections per origin. @default 8 */
  connections?: number;
  /** Keep idle sockets this long. @default 10000 */
  keepAliveTimeoutMs?: number;
  /** The most one answer may hold; a larger one fails at once, without a retry. @default 8 MiB */
  maxResponseBytes?: number;
}

export interface NodeTransport extends Transport {
  /** Close the connection pool (idle sockets). */
  close(): Promise<void>;
}

export function createUndiciTransport(options: UndiciTransportOptions = {}): NodeTransport {
  const agent = new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
  });
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const transport = (async (req) => {
    if (req.signal?.aborted) throw new AbortedError(req.signal.reason);
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    try {
      const response = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const length = Number(response.headers['content-length'] ?? 0);
      if (length > maxBytes) {
        response.body.destroy();
        throw responseTooLarge(req.label, maxBytes);
      }
      // The cap holds while reading too: a chunked answer has no content-length to check first.
      const body = createBodyReader(req.label, maxBytes);
      try {
        for await (const chunk of response.body) body.push(chunk as Uint8Array);
      } catch (error) {
        response.body.destroy();
        throw error;
      }
      return { status: response.statusCode, body: body.text() };
    } catch (error) {
      throw classifyTransportFailure(error, req, timeout);
    }
  }) as NodeTransport;
  let closing: Promise<void> | undefined;
  // Idempotent: hosts close on redeploy and again on shutdown.
  transport.close = () => (closing ??= agent.close());
  return transport;
}

export type NodeClientOptions = Omit<KfStatsClientOptions, 'transport'> &
  Partial<Pick<KfStatsClientOptions, 'transport'>> & { undici?: UndiciTransportOptions };

export interface NodeKfStatsClient extends KfStatsClient {
  /** Close the connection pool. */
  close(): Promise<void>;
}

/**
 * A client with undici and real timers. Given a `transport` (one pool shared by many clients), it
 * uses that one, opens no pool of its own, and leaves closing it to the caller.
 */
export function createNodeClient(options: NodeClientOptions): NodeKfStatsClient {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', options, 'an object such as { auth: { type: "selfBuilt", corpId, corpSecret } }');
  }
  const { undici, transport: given, ...rest } = options;
  if (given !== undefined) return { ...createKfStatsClient({ transport: given, ...rest }), close: async () => {} };
  const transport = createUndiciTransport(undici);
  const client = createKfStatsClient({ transport, ...rest });
  return { ...client, close: () => transport.close() };
}

export * from './index.js';
