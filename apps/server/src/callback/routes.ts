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
import { CALLBACK_MAX_SKEW_SECONDS, CallbackRefusal, decrypt, signature, signatureMatches } from './crypto.js';
import { checkCiphertext, envelopeCiphertext, parseEvent } from './messages.js';
import type { ServerMetrics } from '../metrics.js';
import { PUBLIC_ROUTE_LIMIT } from '../public-limit.js';
import { CALLBACK_SCHEMAS } from '../openapi.js';
import type { Providers } from './provider.js';
import { isAuthEvent, type AuthEvents } from './auth-events.js';

/**
 * The largest body taken. WeCom's largest events are authorizations of the KF component, whose
 * ExtraInfo lists every account the corp authorized (page 99401): at most 5,000 accounts a corp
 * (page 94661), some 60 bytes of XML each, about 300 KB, 400 KB once encrypted and in base64.
 * Nothing costly happens before the signature is checked, so the cap can fit them.
 */
export const CALLBACK_BODY_LIMIT = 512 * 1024;

export interface CallbackOptions {
  providers: Providers;
  /** Authorization events: recorded before the answer, applied after it. */
  authEvents: AuthEvents;
  metrics: Pick<ServerMetrics, 'onCallback'>;
  now: () => number;
  logger: Logger;
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

/** The query's timestamp within CALLBACK_MAX_SKEW_SECONDS of the server's clock. */
function checkTimestamp(signed: Signed, nowMs: number): void {
  const skew = Math.abs(nowMs / 1000 - Number(signed.timestamp));
  if (skew > CALLBACK_MAX_SKEW_SECONDS) {
    throw new CallbackRefusal(
      403,
      `the timestamp is ${Math.round(skew)} s from the server's clock (at most ${CALLBACK_MAX_SKEW_SECONDS} s)`,
    );
  }
}

/** Stands in for the Token of a source without a callback, so that it is refused like a bad signature, in the same time. */
const NO_TOKEN = 'x'.repeat(32);
const FORGED = new CallbackRefusal(403, 'the signature does not match (wrong Token, or not from WeCom)');

/**
 * The provider whose Token signed `encrypted`; a source without a callback (or none of that id)
 * is refused exactly like a bad signature, so that the answer does not say which ids exist.
 */
function signedBy(provider: ProviderSource | undefined, signed: Signed, encrypted: string | Buffer): ProviderSource {
  const token = provider?.callback?.token ?? NO_TOKEN;
  const matches = signatureMatches(signature(token, signed.timestamp, signed.nonce, encrypted), signed.msg_signature);
  if (!matches || !provider?.callback) throw FORGED;
  return provider;
}

export function registerCallbackRoutes(app: FastifyInstance, options: CallbackOptions): void {
  const { providers, now, logger } = options;

  const refuse = (reply: FastifyReply, sourceId: string, method: string, error: unknown, event: string) => {
    options.metrics.onCallback({ source: sourceId, event, outcome: error instanceof CallbackRefusal ? 'refused' : 'failed' });
    if (error === FORGED) {
      // The commonest refusal, and the one a flood sends: logged at debug level only (the
      // counter has every one).
      logger.debug({ source: sourceId, method }, `callback refused: ${FORGED.message}`);
      return reply.code(403).type('text/plain; charset=utf-8').send(FORGED.message);
    }
    if (error instanceof CallbackRefusal) {
      logger.warn({ source: sourceId, method, status: error.status }, `callback refused: ${redactText(error.message)}`);
      return reply.code(error.status).type('text/plain; charset=utf-8').send(error.message);
    }
    // WeCom tries a callback again when it does not get "success": a failure on our side is a 5xx.
    logger.error({ source: sourceId, method }, `callback failed: ${redactText((error as Error).message)}`);
    return reply.code(502).type('text/plain; charset=utf-8').send('the event could not be applied; WeCom will send it again');
  };

  void app.register(async (scope) => {
    // Any content type, read as bytes up to the limit (WeCom's XML); a longer body is a 413. The
    // bytes become text only once the signature matched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: CALLBACK_BODY_LIMIT }, (_request, body, done) => done(null, body));

    scope.get<{ Params: { source: string } }>(
      '/callback/:source',
      { config: PUBLIC_ROUTE_LIMIT, schema: CALLBACK_SCHEMAS.verify },
      async (request, reply) => {
        const sourceId = request.params.source;
        try {
          const signed = signedQuery(request.query as Record<string, unknown>, ['echostr']);
          checkTimestamp(signed, now());
          const provider = signedBy(providers.find(sourceId), signed, signed.echostr!);
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
      },
    );

    scope.post<{ Params: { source: string } }>(
      '/callback/:source',
      { config: PUBLIC_ROUTE_LIMIT, schema: CALLBACK_SCHEMAS.event },
      async (request, reply) => {
        const sourceId = request.params.source;
        let eventName = 'unknown';
        let provider: ProviderSource;
        let encrypted: string;
        try {
          // Everything before the signature is cheap (no XML parsing, no decryption): a forged
          // message costs one pass over its body.
          const signed = signedQuery(request.query as Record<string, unknown>);
          checkTimestamp(signed, now());
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          if (body.length === 0) throw new CallbackRefusal(400, 'the body is empty');
          const ciphertext = envelopeCiphertext(body);
          provider = signedBy(providers.find(sourceId), signed, ciphertext);
          encrypted = checkCiphertext(ciphertext);
        } catch (error) {
          return refuse(reply, sourceId, 'POST', error, eventName);
        }
        try {
          const { message, receiveId } = decrypt(provider.callback!.aesKey, encrypted);
          if (receiveId !== provider.suiteId)
            throw new CallbackRefusal(400, `the receive id is "${receiveId}", not the suite id ${provider.suiteId}`);
          const event = parseEvent(message);
          eventName = event.infoType;
          if (event.suiteId !== provider.suiteId)
            throw new CallbackRefusal(400, `the message is for suite ${event.suiteId}, not this source's suite ${provider.suiteId}`);
          let outcome: string;
          if (isAuthEvent(event)) {
            // WeCom wants the answer within 1000 ms (page 90642): one durable write now, the work after.
            const fresh = await options.authEvents.record(provider, event, now());
            options.authEvents.kick();
            outcome = fresh
              ? 'recorded; it is applied now, after this answer'
              : 'WeCom sent this event before: already recorded, not applied twice';
          } else {
            outcome = await providers.apply(provider, event);
          }
          logger.info({ source: sourceId, infoType: event.infoType === 'other' ? event.name : event.infoType }, `callback: ${outcome}`);
          options.metrics.onCallback({ source: sourceId, event: eventName, outcome: 'accepted' });
          return reply.type('text/plain; charset=utf-8').send('success');
        } catch (error) {
          if (!(error instanceof CallbackRefusal)) return refuse(reply, sourceId, 'POST', error, eventName);
          // Signed with the source's Token, so from WeCom, but not usable here (an id the server
          // cannot keep, another suite's message): WeCom sends anything but "success" again, and
          // the same message again changes nothing. Acknowledge it and say why in the log.
          logger.warn({ source: sourceId, infoType: eventName }, `callback acknowledged but not applied: ${redactText(error.message)}`);
          options.metrics.onCallback({ source: sourceId, event: eventName, outcome: 'ignored' });
          return reply.type('text/plain; charset=utf-8').send('success');
        }
      },
    );
  });
}
