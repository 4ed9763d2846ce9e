/**
 * WeCom's command callback URL of each provider source with a callback: `/callback/<source id>`.
 * GET is WeCom's URL check (answer the decrypted echostr); POST carries an encrypted event
 * (answer `success`). Both are authenticated by the signature, not by an API key. A refused
 * callback changes nothing and is logged without secrets.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ProviderSource } from '../config.js';
import { redactText } from '../kf-core.js';
import type { WecomClients } from '../wecom.js';
import { CallbackRefusal, decrypt, signature, signatureMatches } from './crypto.js';
import { envelopeCiphertext, parseEvent } from './messages.js';
import type { ServerMetrics } from '../metrics.js';
import type { Providers } from './provider.js';

/** WeCom's messages are a few hundred bytes; anything near this is not one. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;
/** A callback signed further than this from the server's clock is refused (a replay or a wrong clock). */
export const CALLBACK_MAX_SKEW_SECONDS = 300;

export interface CallbackOptions {
  providers: Providers;
  metrics: Pick<ServerMetrics, 'onCallback'>;
  clients: WecomClients;
  now: () => number;
  logger: Logger;
  signal?: AbortSignal;
}

interface Signed {
  msg_signature: string;
  timestamp: string;
  nonce: string;
}

function signedQuery(query: Record<string, unknown>, extra: string[] = []): Signed & Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['msg_signature', 'timestamp', 'nonce', ...extra]) {
    const value = query[name];
    if (typeof value !== 'string' || value === '') throw new CallbackRefusal(400, `the query has no ${name}`);
    out[name] = value;
  }
  if (!/^[0-9a-fA-F]{40}$/.test(out.msg_signature!)) throw new CallbackRefusal(400, 'msg_signature is not 40 hex digits');
  if (!/^\d{1,12}$/.test(out.timestamp!)) throw new CallbackRefusal(400, 'timestamp is not a number of seconds');
  if (out.nonce!.length > 64) throw new CallbackRefusal(400, 'nonce is longer than 64 characters');
  return out as Signed & Record<string, string>;
}

function checkSignature(provider: ProviderSource, signed: Signed, encrypted: string, nowMs: number): void {
  const callback = provider.callback!;
  if (!signatureMatches(signature(callback.token, signed.timestamp, signed.nonce, encrypted), signed.msg_signature)) {
    throw new CallbackRefusal(403, 'the signature does not match (wrong Token, or not from WeCom)');
  }
  const skew = Math.abs(nowMs / 1000 - Number(signed.timestamp));
  if (skew > CALLBACK_MAX_SKEW_SECONDS) {
    throw new CallbackRefusal(
      403,
      `the timestamp is ${Math.round(skew)} s from the server's clock (at most ${CALLBACK_MAX_SKEW_SECONDS} s)`,
    );
  }
}

export function registerCallbackRoutes(app: FastifyInstance, options: CallbackOptions): void {
  const { providers, clients, now, logger } = options;

  const providerOf = (sourceId: string): ProviderSource => {
    const provider = providers.find(sourceId);
    if (!provider?.callback) throw new CallbackRefusal(404, `no callback is configured for source "${sourceId}"`);
    return provider;
  };

  const refuse = (reply: FastifyReply, sourceId: string, method: string, error: unknown, event: string) => {
    options.metrics.onCallback({ source: sourceId, event, outcome: error instanceof CallbackRefusal ? 'refused' : 'failed' });
    if (error instanceof CallbackRefusal) {
      logger.warn({ source: sourceId, method, status: error.status }, `callback refused: ${redactText(error.message)}`);
      return reply.code(error.status).type('text/plain; charset=utf-8').send(error.message);
    }
    // WeCom tries a callback again when it does not get "success": a failure on our side is a 5xx.
    logger.error({ source: sourceId, method }, `callback failed: ${redactText((error as Error).message)}`);
    return reply.code(502).type('text/plain; charset=utf-8').send('the event could not be applied; WeCom will send it again');
  };

  void app.register(async (scope) => {
    // Any content type, read as text up to the limit (WeCom's XML); a longer body is a 413.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT }, (_request, body, done) => done(null, body));

    scope.get<{ Params: { source: string } }>('/callback/:source', async (request, reply) => {
      const sourceId = request.params.source;
      try {
        const provider = providerOf(sourceId);
        const signed = signedQuery(request.query as Record<string, unknown>, ['echostr']);
        checkSignature(provider, signed, signed.echostr!, now());
        const { message, receiveId } = decrypt(provider.callback!.aesKey, signed.echostr!);
        const accepted = [provider.suiteId, provider.callback!.providerCorpId].filter(Boolean);
        if (!accepted.includes(receiveId)) {
          throw new CallbackRefusal(
            400,
            `the receive id is "${receiveId}", not the suite id ${provider.suiteId}${provider.callback!.providerCorpId ? ` or the provider corp id` : ' (set auth.callback.providerCorpId if it is your provider corp id)'}`,
          );
        }
        logger.info({ source: sourceId }, 'callback URL verified');
        options.metrics.onCallback({ source: sourceId, event: 'verify_url', outcome: 'accepted' });
        return reply.type('text/plain; charset=utf-8').send(message);
      } catch (error) {
        return refuse(reply, sourceId, 'GET', error, 'verify_url');
      }
    });

    scope.post<{ Params: { source: string } }>('/callback/:source', async (request, reply) => {
      const sourceId = request.params.source;
      let eventName = 'unknown';
      try {
        const provider = providerOf(sourceId);
        const signed = signedQuery(request.query as Record<string, unknown>);
        const body = typeof request.body === 'string' ? request.body : '';
        if (body === '') throw new CallbackRefusal(400, 'the body is empty');
        const encrypted = envelopeCiphertext(body);
        checkSignature(provider, signed, encrypted, now());
        const { message, receiveId } = decrypt(provider.callback!.aesKey, encrypted);
        if (receiveId !== provider.suiteId)
          throw new CallbackRefusal(400, `the receive id is "${receiveId}", not the suite id ${provider.suiteId}`);
        const event = parseEvent(message);
        eventName = event.infoType;
        const outcome = await providers.apply(provider, event, clients, options.signal);
        logger.info({ source: sourceId, infoType: event.infoType === 'other' ? event.name : event.infoType }, `callback: ${outcome}`);
        options.metrics.onCallback({ source: sourceId, event: eventName, outcome: 'accepted' });
        return reply.type('text/plain; charset=utf-8').send('success');
      } catch (error) {
        return refuse(reply, sourceId, 'POST', error, eventName);
      }
    });
  });
}
