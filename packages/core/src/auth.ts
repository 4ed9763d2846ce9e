/**
 * Authentication as a strategy (docs/wecom-api.md §4): a static token or a function returning one; a
 * self-built app (corpid + secret -> gettoken, page 91039); a service provider (suite token ->
 * corp token, pages 97162 and 90605); a token service URL. Each strategy registers its secrets
 * for redaction and exposes a cache key that contains no secret.
 */
import { z } from 'zod';
import { executeCall, type CallContext, type TokenHandle } from './call.js';
import { describeValue, ValidationError, WecomStatsError } from './errors.js';
import { INVALID_ACCESS_TOKEN_ERRCODES, INVALID_SUITE_TOKEN_ERRCODES } from './errcodes.js';
import { registerSecret, releaseSecret } from './redact.js';
import { accessTokenResponseSchema, suiteTokenResponseSchema } from './schemas.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, type TokenCache } from './token-store.js';
import { tokenServiceAnswer } from './server-api.js';

type MaybePromise<T> = T | Promise<T>;
const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const secretText = (what: string) =>
  z
    .string({ error: `${what} as a non-empty string` })
    .trim()
    .min(1, { error: `${what} as a non-empty string` });
const secretOrGetter = (what: string) =>
  z.union([secretText(what), z.custom<() => MaybePromise<string>>(isFunction)], {
    error: `${what} as a non-empty string or a function returning one`,
  });

export const authOptionsSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('token'),
      /** An access_token, or a function returning the current one (it owns caching). */
      accessToken: secretOrGetter('an access_token'),
    }),
    z.strictObject({
      type: z.literal('selfBuilt'),
      corpId: z.string({ error: 'a corp id like "ww..."' }).trim().min(1, { error: 'a corp id like "ww..."' }),
      corpSecret: secretText('the app secret'),
    }),
    z.strictObject({
      type: z.literal('serviceProvider'),
      suiteId: z.string({ error: 'a suite id' }).trim().min(1, { error: 'a suite id' }),
      suiteSecret: secretText('the suite secret'),
      /** WeCom pushes a new ticket every 10 minutes, valid 30: pass the newest, or a getter for it. */
      suiteTicket: secretOrGetter('the newest suite_ticket'),
      authCorpId: z.string({ error: 'the authorizing corp id' }).trim().min(1, { error: 'the authorizing corp id' }),
      permanentCode: secretText('the permanent_code'),
    }),
    z.strictObject({
      type: z.literal('tokenService'),
      /** Absolute URL, or a path under the base URL. GET answers `{access_token, expires_in?}`. */
      url: z
        .string({ error: 'an http(s) URL or a path starting with /' })
        .refine((v) => /^https?:\/\/[^\s]+$/i.test(v) || /^\/[^\s]*$/.test(v), { error: 'an http(s) URL or a path starting with /' }),
      headers: z.record(z.string(), z.string(), { error: 'headers as an object of strings' }).optional(),
    }),
  ],
  { error: 'one of "token", "selfBuilt", "serviceProvider", "tokenService"' },
);
export type AuthOptions = z.input<typeof authOptionsSchema>;

/**
 * The statistics a set of credentials fetches when none is named. A service provider's suite
 * fetches component statistics (kf/get_statistic answers only a provider's corp token, page
 * 99367); a corp's own app, or a token it holds, fetches a KF account's corp statistics (pages
 * 95492, 96433). A token service may hand out either kind of token: undefined, the caller must say.
 */
export function defaultEndpointFor(auth: Pick<AuthOptions, 'type'>): 'component' | 'corp' | undefined {
  switch (auth.type) {
    case 'serviceProvider':
      return 'component';
    case 'selfBuilt':
    case 'token':
      return 'corp';
    default:
      return undefined;
  }
}

/**
 * The header a `tokenService` ask carries after WeCom rejected the token the service gave: the
 * rejected token's `fingerprint`. A wecom-kf-stats server then renews the token.
 */
export const REJECTED_TOKEN_HEADER = 'x-kf-rejected-token';

/** 32-bit FNV-1a: distinguishes cache keys without putting a secret in them. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export interface TokenProvider {
  /** Identifies the corp and app in caches; contains no secret. */
  readonly key: string;
  readonly handle: TokenHandle;
}

/**
 * The current value of a secret given as a getter. A getter that throws or returns nothing is
 * named as the field it fills. Each new value is registered for redaction and the one it
 * replaces released.
 */
function secretGetter(value: () => MaybePromise<string>, field: string, allowed: string): () => Promise<string> {
  let current: string | undefined;
  return async () => {
    let resolved: unknown;
    try {
      resolved = await value();
    } catch (error) {
      // A getter that already says what is wrong in the library's terms (a host naming its own
      // setting) is passed on as it is.
      if (error instanceof WecomStatsError) throw error;
      throw new ValidationError(field, value, allowed, `it threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof resolved !== 'string' || resolved.trim() === '') {
      throw new ValidationError(field, value, allowed, `it returned ${describeValue(resolved)}`);
    }
    if (resolved !== current) {
      registerSecret(resolved);
      if (current !== undefined) releaseSecret(current);
      current = resolved;
    }
    return resolved;
  };
}

function expiresIn(answer: { expires_in?: number | undefined }): number {
  return typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_TOKEN_LIFETIME_SECONDS;
}

function accessTokenOf(answer: { access_token: string; expires_in?: number | undefined }) {
  return { token: answer.access_token, expiresInSeconds: expiresIn(answer) };
}

function cachedHandle(
  cache: TokenCache,
  key: string,
  param: TokenHandle['param'],
  invalidErrcodes: ReadonlySet<number>,
  fetchToken: (signal?: AbortSignal) => Promise<{ token: string; expiresInSeconds: number }>,
): TokenHandle {
  return {
    param,
    invalidErrcodes,
    // The cache registers each token for redaction and releases it when it is replaced or expires.
    get: (signal) => cache.get(key, () => fetchToken(signal)),
    invalidate: async (token) => {
      await cache.invalidate(key, token);
      return true;
    },
  };
}

export interface SuiteCredentials {
  suiteId: string;
  suiteSecret: string;
  suiteTicket: string | (() => MaybePromise<string>);
}

/**
 * The suite_access_token of a service provider's suite (page 97162), cached under a key shared by
 * every corp of the suite, so one get_suite_token serves them all.
 */
export function createSuiteTokenProvider(
  suite: SuiteCredentials,
  ctx: CallContext,
  cache: TokenCache,
  ticketField = 'suite.suiteTicket',
): TokenProvider {
  const { suiteId, suiteSecret, suiteTicket } = suite;
  registerSecret(suiteSecret, typeof suiteTicket === 'string' ? suiteTicket : undefined);
  const key = `suite:${suiteId}:${fingerprint(suiteSecret)}`;
  const ticket =
    typeof suiteTicket === 'string'
      ? async () => suiteTicket
      : secretGetter(suiteTicket, ticketField, 'a function returning the newest suite_ticket as a non-empty string');
  return {
    key,
    handle: cachedHandle(cache, key, 'suite_access_token', INVALID_SUITE_TOKEN_ERRCODES, async (signal) => {
      const answer = await executeCall(ctx, {
        method: 'POST',
        path: '/cgi-bin/service/get_suite_token',
        body: { suite_id: suiteId, suite_secret: suiteSecret, suite_ticket: await ticket() },
        schema: suiteTokenResponseSchema,
        signal,
      });
      return { token: answer.suite_access_token, expiresInSeconds: expiresIn(answer) };
    }),
  };
}

export function createTokenProvider(options: z.output<typeof authOptionsSchema>, ctx: CallContext, cache: TokenCache): TokenProvider {
  switch (options.type) {
    case 'token': {
      const { accessToken } = options;
      if (typeof accessToken === 'string') {
        registerSecret(accessToken);
        return {
          key: `token:${fingerprint(accessToken)}`,
          handle: {
            param: 'access_token',
            invalidErrcodes: INVALID_ACCESS_TOKEN_ERRCODES,
            get: async () => accessToken,
            // A fixed token cannot be renewed: the caller must supply a new one.
            invalidate: async () => false,
          },
        };
      }
      const current = secretGetter(
        accessToken,
        'options.auth.accessToken',
        'a function returning the current access_token as a non-empty string',
      );
      return {
        key: 'token:function',
        handle: {
          param: 'access_token',
          invalidErrcodes: INVALID_ACCESS_TOKEN_ERRCODES,
          get: current,
          invalidate: async () => true,
        },
      };
    }
    case 'selfBuilt': {
      const { corpId, corpSecret } = options;
      registerSecret(corpSecret);
      const key = `selfBuilt:${corpId}:${fingerprint(corpSecret)}`;
      return {
        key,
        handle: cachedHandle(cache, key, 'access_token', INVALID_ACCESS_TOKEN_ERRCODES, async (signal) => {
          const answer = await executeCall(ctx, {
            method: 'GET',
            path: '/cgi-bin/gettoken',
            query: { corpid: corpId, corpsecret: corpSecret },
            schema: accessTokenResponseSchema,
            signal,
          });
          return accessTokenOf(answer);
        }),
      };
    }
    case 'serviceProvider': {
      const { authCorpId, permanentCode } = options;
      registerSecret(permanentCode);
      const { key: suiteKey, handle: suiteHandle } = createSuiteTokenProvider(options, ctx, cache, 'options.auth.suiteTicket');
      const key = `${suiteKey}:corp:${authCorpId}`;
      return {
        key,
        handle: cachedHandle(cache, key, 'access_token', INVALID_ACCESS_TOKEN_ERRCODES, async (signal) => {
          // 42009 / 40082 here renew the suite token once, then the corp token is fetched again.
          const answer = await executeCall(ctx, {
            method: 'POST',
            path: '/cgi-bin/service/get_corp_token',
            body: { auth_corpid: authCorpId, permanent_code: permanentCode },
            token: suiteHandle,
            schema: accessTokenResponseSchema,
            signal,
          });
          return accessTokenOf(answer);
        }),
      };
    }
    case 'tokenService': {
      const { url, headers = {} } = options;
      registerSecret(...Object.values(headers));
      // The headers are the caller's credentials at the service: a token fetched with one set must
      // never answer a caller with another (a key the service would refuse), so both are in the key.
      const headerText = Object.entries(headers)
        .map(([name, value]) => `${name.toLowerCase()}:${value}`)
        .sort()
        .join('\n');
      const key = `tokenService:${fingerprint(url)}:${fingerprint(headerText)}`;
      // When WeCom rejected the service's token before it expired, the next ask names that token
      // (by fingerprint, never the token) so that the service can drop it instead of handing it out
      // again. A service that does not know the header ignores it.
      let rejected: string | undefined;
      const handle = cachedHandle(cache, key, 'access_token', INVALID_ACCESS_TOKEN_ERRCODES, async (signal) => {
        const ask = rejected === undefined ? headers : { ...headers, [REJECTED_TOKEN_HEADER]: fingerprint(rejected) };
        rejected = undefined;
        return accessTokenOf(await executeCall(ctx, { method: 'GET', path: url, headers: ask, schema: tokenServiceAnswer, signal }));
      });
      return {
        key,
        handle: {
          ...handle,
          invalidate: async (token) => {
            rejected = token;
            return handle.invalidate(token);
          },
        },
      };
    }
  }
}
