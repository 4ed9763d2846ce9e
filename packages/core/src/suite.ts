/**
 * A service provider's suite itself, beside the corps it serves: the calls that take the
 * suite_access_token (docs/wecom-api.md §4). The token is cached under the same key the corps'
 * clients use, so a server that also collects for the suite's corps fetches it once.
 */
import { z } from 'zod';
import { createSuiteTokenProvider } from './auth.js';
import { executeCall } from './call.js';
import { clientOptionsSchema, createCallContext } from './client.js';
import { ValidationError } from './errors.js';
import { registerSecret } from './redact.js';
import { permanentCodeResponseSchema } from './schemas.js';
import { createMemoryTokenStore, createTokenCache } from './token-store.js';
import { parseOrThrow } from './validate.js';

const text = (what: string) => z.string({ error: what }).trim().min(1, { error: what });

const suiteClientOptionsSchema = clientOptionsSchema.omit({ auth: true, cache: true, windowPolicy: true, concurrency: true }).extend({
  suite: z.strictObject(
    {
      suiteId: text('a suite id'),
      suiteSecret: text('the suite secret as a non-empty string'),
      suiteTicket: z.union([text('the newest suite_ticket'), z.custom<() => string | Promise<string>>((v) => typeof v === 'function')], {
        error: 'the newest suite_ticket as a non-empty string or a function returning one',
      }),
    },
    { error: 'an object { suiteId, suiteSecret, suiteTicket }' },
  ),
});
export type SuiteClientOptions = z.input<typeof suiteClientOptionsSchema>;

export interface AuthorizedCorp {
  corpId: string;
  corpName: string | undefined;
  permanentCode: string;
}

export interface SuiteClient {
  /** Cache key of the suite token; contains no secret. */
  readonly authKey: string;
  /**
   * Exchange the one-time auth code of a `create_auth` (or `reset_permanent_code`) callback for
   * the corp's permanent code (service/get_permanent_code, page 90603).
   */
  getPermanentCode(authCode: string, options?: { signal?: AbortSignal }): Promise<AuthorizedCorp>;
}

export function createSuiteClient(options: SuiteClientOptions): SuiteClient {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', options, 'an object such as { suite, transport }');
  }
  const opts = parseOrThrow(suiteClientOptionsSchema, options, 'options');
  const ctx = createCallContext(opts);
  const cache = createTokenCache(opts.tokenStore ?? createMemoryTokenStore(), ctx.now);
  const suite = createSuiteTokenProvider(opts.suite, ctx, cache, 'options.suite.suiteTicket');
  const once = { ...ctx, retry: { ...ctx.retry, maxRetries: 0 } };
  return {
    authKey: suite.key,
    async getPermanentCode(authCode, { signal } = {}) {
      if (typeof authCode !== 'string' || authCode.trim() === '') {
        throw new ValidationError('authCode', authCode, 'the AuthCode of a create_auth callback as a non-empty string');
      }
      // An auth code works once: a try whose answer was lost may have used it already, and a
      // second try would only be refused (40078). So this call is never tried again.
      const answer = await executeCall(once, {
        method: 'POST',
        path: '/cgi-bin/service/get_permanent_code',
        body: { auth_code: authCode.trim() },
        token: suite.handle,
        schema: permanentCodeResponseSchema,
        signal,
      });
      // The answer holds the corp's lasting secret (and a first access_token): neither may reach a log.
      registerSecret(answer.permanent_code, answer.access_token);
      return { corpId: answer.auth_corp_info.corpid, corpName: answer.auth_corp_info.corp_name, permanentCode: answer.permanent_code };
    },
  };
}
