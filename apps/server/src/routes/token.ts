/**
 * The token service for the CLI, n8n and Node-RED (core's "tokenService" auth): a corp's current
 * access_token, for keys of tokenApiKeysEnv only; a caller that says WeCom rejected its token gets
 * it renewed, at most once per key in TOKEN_RENEWAL_MIN_INTERVAL_MS.
 */
import type { FastifyBaseLogger } from 'fastify';
import { fingerprint, REJECTED_TOKEN_HEADER, type TokenStore } from '../kf-core.js';
import { ROUTE_SCHEMAS } from '../openapi.js';
import { corpClient, corpsOfSource, findSource, ParameterError, pickCorp } from '../series.js';
import type { Store } from '../store/store.js';
import { sendError, type ApiRoutes, type RouteContext } from './context.js';

/**
 * A caller may say WeCom rejected the token it was given (x-kf-rejected-token); that renews the
 * token at most once per key in this many ms, so callers cannot make the server refresh often
 * (WeCom answers frequent refreshes with 45033 and blocks the caller, page 91039).
 */
export const TOKEN_RENEWAL_MIN_INTERVAL_MS = 10_000;

/**
 * Renewals of tokens a caller says WeCom rejected: only when the fingerprint is the token held
 * now, one at a time per key, and at most one per key every TOKEN_RENEWAL_MIN_INTERVAL_MS.
 */
function createTokenRenewals(options: { store: Store; tokens: TokenStore; now: () => number }) {
  const { store, tokens, now } = options;
  const running = new Map<string, Promise<void>>();
  const last = new Map<string, number>();
  return {
    async renew(key: string, rejected: string, what: string, log: FastifyBaseLogger): Promise<void> {
      const inFlight = running.get(key);
      if (inFlight) return inFlight;
      const previous = last.get(key);
      if (previous !== undefined && now() - previous < TOKEN_RENEWAL_MIN_INTERVAL_MS) return;
      const renewal = (async () => {
        // Read the store itself: the shared store's get would take the refresh lease for a missing token.
        const held = await store.tokens.get(key);
        if (!held || fingerprint(held.token) !== rejected) return;
        last.set(key, now());
        await tokens.delete(key);
        log.info({ corp: what }, `token service: the caller's token for ${what} was rejected by WeCom; renewing it`);
      })().finally(() => running.delete(key));
      running.set(key, renewal);
      return renewal;
    },
  };
}

export function registerTokenRoute(api: ApiRoutes, context: RouteContext & { tokens: TokenStore }): void {
  const { config, store, clients, providers, now } = context;
  const renewals = createTokenRenewals({ store, tokens: context.tokens, now });
  // A token service for the CLI, n8n and Node-RED (core's "tokenService" auth): only keys listed in
  // tokenApiKeysEnv. The answer is an access_token, so it is never logged and never cached by proxies.
  api.get('/api/v1/sources/:source/token', { schema: ROUTE_SCHEMAS.token }, async (request, reply) => {
    const access = context.accessOf(request);
    if (!access.token) {
      return sendError(
        reply,
        403,
        'FORBIDDEN',
        access.kind === 'scoped'
          ? 'this API key may read statistics but not take access tokens: use a key made with "token": true'
          : 'this API key may read statistics but not take access tokens: use a key from tokenApiKeysEnv',
      );
    }
    const query = request.query;
    const source = findSource(config, { source: request.params.source }, access);
    // The store says whether the corp still authorizes the suite, whichever replica heard it.
    const { corpId, state } = pickCorp(await corpsOfSource(providers, source, access), source, query, access);
    if (state === 'cancelled') await providers.sync(clients);
    const corp = state === 'cancelled' ? undefined : await corpClient(context, source.id, corpId);
    if (!corp) throw new ParameterError('corpid', `corp ${corpId} no longer authorizes source "${source.id}": no token can be had for it`);
    // The caller says WeCom rejected the token it had (core's REJECTED_TOKEN_HEADER): if that is
    // still the one held, drop it so that a fresh one is fetched instead of handing it out again.
    const rejected = request.headers[REJECTED_TOKEN_HEADER];
    if (typeof rejected === 'string') await renewals.renew(corp.client.authKey, rejected, `${source.id}/${corpId}`, request.log);
    await corp.client.checkAuth(context.signal ? { signal: context.signal } : {});
    const stored = await store.tokens.get(corp.client.authKey);
    if (!stored || stored.expiresAt <= now()) return sendError(reply, 503, 'TOKEN_UNAVAILABLE', 'no valid token right now; try again');
    reply.header('cache-control', 'no-store');
    return { access_token: stored.token, expires_in: Math.max(1, Math.floor((stored.expiresAt - now()) / 1000)) };
  });
}
