/**
 * The server's configuration: one JSON file, validated with messages that name the path
 * (`sources[1].auth.corpSecretEnv`). Secrets are never written in the file: it names the
 * environment variables that hold them, and those are read once at start.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PACING } from '@wecom-kf-stats/core';
import { destinationFields, DESTINATION_ID, WEBHOOK_URL } from '@wecom-kf-stats/core/server-api';
import { aesKeyOf } from './callback/crypto.js';

/** A configuration problem: `path` names the field (`sources[1].auth.corpSecretEnv`). */
export class ConfigError extends Error {
  readonly problems: { path: string; message: string }[];
  constructor(problems: { path: string; message: string }[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z
  .string({ error: 'the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"' })
  .regex(ENV_NAME, { error: 'the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"' });
const text = (what: string) => z.string({ error: what }).trim().min(1, { error: what });
/** A whole number from `min` to `max`; every way to miss says `allowed`. */
const intIn = (min: number, max: number, allowed: string) =>
  z.number({ error: allowed }).int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });
const posInt = (what: string) =>
  z
    .number({ error: `${what}: a whole number of 1 or more` })
    .int({ error: `${what}: a whole number of 1 or more` })
    .min(1, { error: `${what}: a whole number of 1 or more` });

/** Keys that would put a secret in the file: each has an `…Env` twin that names a variable instead. */
const INLINE_SECRETS: Record<string, string> = {
  corpSecret: 'corpSecretEnv',
  suiteSecret: 'suiteSecretEnv',
  suiteTicket: 'suiteTicketEnv',
  permanentCode: 'permanentCodeEnv',
  apiKeys: 'apiKeysEnv',
  tokenApiKeys: 'tokenApiKeysEnv',
  adminKeys: 'adminKeysEnv',
  headers: 'headersEnv',
  webhook: 'webhookEnv',
  token: 'tokenEnv',
  encodingAesKey: 'encodingAesKeyEnv',
  storeKey: 'storeKeyEnv',
};

const selfBuiltAuth = z.strictObject({
  type: z.literal('selfBuilt'),
  corpId: text('a corp id like "ww..."'),
  corpSecretEnv: envName,
});
const providerCorp = z.strictObject({
  authCorpId: text('the authorizing corp id like "ww..."'),
  permanentCodeEnv: envName,
});
/** WeCom's command callback (指令回调) for this suite, served at /callback/<source id>. */
const providerCallback = z.strictObject({
  /** The Token set beside the callback URL in WeCom's provider admin. */
  tokenEnv: envName,
  /** The 43-character EncodingAESKey set beside it. */
  encodingAesKeyEnv: envName,
  /**
   * The provider's own corp id: accepted as the receive id of the URL check (GET) besides the
   * suite id, for WeCom setups that sign that check with it.
   */
  providerCorpId: text('the service provider\'s corp id like "ww..."').optional(),
});
const serviceProviderAuth = z
  .strictObject({
    type: z.literal('serviceProvider'),
    suiteId: text('the suite id like "ww..."'),
    suiteSecretEnv: envName,
    /** A pasted ticket: used until the callback has stored one. Not needed with a callback. */
    suiteTicketEnv: envName.optional(),
    /** Corps configured by hand; with a callback, the corps that authorize the suite join by themselves. */
    corps: z.array(providerCorp, { error: 'a list of {authCorpId, permanentCodeEnv}' }).default([]),
    callback: providerCallback.optional(),
  })
  .superRefine((auth, ctx) => {
    if (!auth.callback && !auth.suiteTicketEnv) {
      ctx.addIssue({
        code: 'custom',
        path: ['callback'],
        message:
          "required: a callback {tokenEnv, encodingAesKeyEnv} that receives WeCom's suite_ticket (or a suiteTicketEnv holding a pasted one)",
      });
    }
    if (!auth.callback && auth.corps.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['corps'],
        message: 'at least one authorized corp (or a callback through which corps authorize the suite)',
      });
    }
  });
const tokenServiceAuth = z.strictObject({
  type: z.literal('tokenService'),
  /** The corp the token service hands tokens for (names the series in the archive). */
  corpId: text('the corp id the token service hands tokens for, like "ww..."'),
  url: z
    .string({ error: 'an http(s) URL or a path starting with / (under baseUrl)' })
    .refine((v) => /^https?:\/\/\S+$/i.test(v) || /^\/\S*$/.test(v), { error: 'an http(s) URL or a path starting with / (under baseUrl)' }),
  /** Header name -> environment variable holding its value. */
  headersEnv: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'an HTTP header name' }), envName, {
      error: 'an object of header name -> environment variable name',
    })
    .optional(),
});

const authSchema = z.discriminatedUnion('type', [selfBuiltAuth, serviceProviderAuth, tokenServiceAuth], {
  error: 'an object with type "selfBuilt", "serviceProvider" or "tokenService"',
});

const ENDPOINTS = ['component', 'corp', 'servicer'] as const;
const sourceSchema = z
  .strictObject({
    id: z
      .string({ error: 'a short id: letters, digits, - and _ (e.g. "acme")' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, { error: 'a short id: letters, digits, - and _ (e.g. "acme")' }),
    collect: z
      .array(z.enum(ENDPOINTS, { error: '"component", "corp" or "servicer"' }), { error: 'a list of "component", "corp", "servicer"' })
      .min(1, { error: 'at least one of "component", "corp", "servicer"' }),
    accounts: z.array(text('an open_kfid like "wk..."'), { error: 'a list of open_kfid values like "wk..."' }).optional(),
    auth: authSchema,
  })
  .superRefine((source, ctx) => {
    const seen = new Set<string>();
    source.collect.forEach((endpoint, i) => {
      if (seen.has(endpoint)) ctx.addIssue({ code: 'custom', path: ['collect', i], message: `"${endpoint}" is listed twice` });
      seen.add(endpoint);
    });
    // Component statistics (kf/get_statistic) answer only to a service provider's corp token (page 99367).
    if (source.auth.type !== 'serviceProvider' && source.collect.includes('component')) {
      ctx.addIssue({
        code: 'custom',
        path: ['collect', source.collect.indexOf('component')],
        message: '"component" statistics need a serviceProvider source (kf/get_statistic answers only to a provider\'s corp token)',
      });
    }
    if (source.accounts && !source.collect.some((e) => e !== 'component')) {
      ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'accounts apply to "corp" and "servicer" collection only' });
    }
  });

/** A WeCom group robot that gets reports and notices; the webhook URL (its key a secret) is in a variable. */
const notifyDestination = z.strictObject({
  id: z
    .string({ error: 'a short id: letters, digits, ".", "_" and "-" (e.g. "ops")' })
    .regex(DESTINATION_ID, { error: 'a short id: letters, digits, ".", "_" and "-" (e.g. "ops")' }),
  /** Names the variable holding the group robot's webhook URL. */
  webhookEnv: envName,
  ...destinationFields,
});

const hhmm = z
  .string({ error: 'a China time "HH:MM" from 00:00 to 23:59' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a China time "HH:MM" from 00:00 to 23:59' });

export const configSchema = z
  .strictObject({
    /** A directory (the embedded store) or a postgres:// URL. @default "./kf-stats-data" */
    store: text('a directory path or a postgres:// URL').default('./kf-stats-data'),
    listen: z
      .strictObject({
        host: text('a host name or IP address').default('127.0.0.1'),
        port: intIn(0, 65535, 'a port from 0 to 65535').default(8787),
      })
      .default({ host: '127.0.0.1', port: 8787 }),
    /** Names the variable holding the API keys, comma-separated. */
    apiKeysEnv: envName.optional(),
    /**
     * Names the variable holding the keys that may also take access tokens from
     * /api/v1/sources/<id>/token (the CLI, n8n and Node-RED as token-service clients). Keys in
     * `apiKeysEnv` alone never get a token.
     */
    tokenApiKeysEnv: envName.optional(),
    /**
     * Names the variable holding the admin keys, comma-separated: they read everything, like the
     * operator's keys, and only they manage keys (/api/v1/keys) and delete a corp's data.
     */
    adminKeysEnv: envName.optional(),
    /** Names the variable holding the key (32 bytes, base64) that encrypts permanent codes, tickets and tokens at rest. */
    storeKeyEnv: envName.optional(),
    baseUrl: z
      .string({ error: 'an http(s) URL such as https://qyapi.weixin.qq.com' })
      .regex(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/i, { error: 'an http(s) URL such as https://qyapi.weixin.qq.com' })
      .default('https://qyapi.weixin.qq.com'),
    schedule: z
      .strictObject({
        /** China time of the daily collection. WeCom has computed yesterday by 06:00 (page 99367). */
        dailyAt: hhmm.default('06:30'),
        /** Collect once when `serve` starts. */
        runOnStart: z.boolean({ error: 'true or false' }).default(true),
        /**
         * The days before yesterday each run fetches once more: WeCom sometimes answers a day
         * with zeros or nothing first and the right figures later (late corrections).
         */
        refetchDays: intIn(0, 30, 'a whole number of days from 0 to 30').default(2),
      })
      .default({ dailyAt: '06:30', runOnStart: true, refetchDays: 2 }),
    /** Call limits (page 90454 defaults). */
    pacing: z
      .strictObject({
        perCorpPerMinute: posInt('calls per corp and API per minute').default(DEFAULT_PACING.perCorpPerMinute),
        perCorpPerHour: posInt('calls per corp and API per hour').default(DEFAULT_PACING.perCorpPerHour),
        perIpPerMinute: posInt('calls per calling IP per minute').default(DEFAULT_PACING.perIpPerMinute),
        perIpPerHour: posInt('calls per calling IP per hour').default(DEFAULT_PACING.perIpPerHour),
        /** How long a 45009 pauses the corp or IP: a minute-limit block lasts 60 s (page 90454). */
        blockSeconds: posInt('seconds a 45009 pauses the corp or IP').default(DEFAULT_PACING.blockSeconds),
        /** Counts each window this much longer than WeCom's, against network delay. */
        marginMs: intIn(0, 60_000, 'milliseconds from 0 to 60000').default(DEFAULT_PACING.marginMs),
        /**
         * Names the variable holding this replica's egress IP group: replicas with the same value
         * share the per-IP limit (on PostgreSQL). Unset: every replica on the store shares one.
         */
        ipGroupEnv: envName.optional(),
      })
      .default({ ...DEFAULT_PACING }),
    /**
     * The HTTP server's limits against slow or idle clients (a slow body or a silent connection
     * must not hold a socket for ever). Node's and Fastify's defaults leave the request time
     * unlimited.
     */
    http: z
      .strictObject({
        /** The request line and headers must arrive within this. */
        headersTimeoutMs: intIn(1000, 600_000, 'milliseconds from 1000 to 600000').default(10_000),
        /** The whole request, body included, must arrive within this. */
        requestTimeoutMs: intIn(1000, 600_000, 'milliseconds from 1000 to 600000').default(30_000),
        /** A kept-alive connection with no request is closed after this. */
        idleTimeoutMs: intIn(1000, 600_000, 'milliseconds from 1000 to 600000').default(5_000),
        /** Open connections at most; more are refused at once. */
        maxConnections: intIn(1, 100_000, 'a whole number from 1 to 100000').default(1024),
        /**
         * Requests a minute from one address to what needs no key (/healthz, /callback/…): a load
         * balancer probes a few times a minute and WeCom calls back a few times an hour a suite.
         * More get 429 and a closed connection, before any body is read.
         */
        publicPerMinute: intIn(1, 1_000_000, 'a whole number from 1 to 1000000').default(300),
      })
      .default({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 5_000, maxConnections: 1024, publicPerMinute: 300 }),
    api: z
      .strictObject({
        /**
         * Statistics and summary answers wait at most this long for days fetched live from WeCom
         * (a 45009 pause lasts a minute, an hour block an hour): later days land in the archive
         * and the answer names them in a LIVE_FETCH_PENDING warning.
         */
        liveFetchDeadlineMs: intIn(0, 120_000, 'milliseconds from 0 to 120000').default(5_000),
      })
      .default({ liveFetchDeadlineMs: 5_000 }),
    retention: z
      .strictObject({
        /**
         * Days a cancelled corp's archived days are kept after its cancel_auth; everything else of
         * it goes at once. WeCom's rule (page 90642): 服务商收到取消授权事件后，应当确保删除该企业所有相关的数据.
         */
        cancelledCorpDays: intIn(0, 3650, 'a whole number of days from 0 to 3650').default(0),
      })
      .default({ cancelledCorpDays: 0 }),
    /** Series collected at once by this process. */
    concurrency: posInt('series collected at once').max(64, { error: 'series collected at once: a whole number from 1 to 64' }).default(4),
    /** A lease on a series lasts this long unless renewed; a killed process's work is picked up after it. */
    leaseSeconds: posInt('lease length in seconds').default(120),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent'], { error: '"fatal", "error", "warn", "info", "debug" or "silent"' })
      .default('info'),
    sources: z.array(sourceSchema, { error: 'a list of sources' }).min(1, { error: 'at least one source' }),
    /** WeCom group robots that get daily and weekly reports and notices (more can be added through the API). */
    notify: z
      .array(notifyDestination, { error: 'a list of {id, webhookEnv, …}' })
      .max(200, { error: 'at most 200 destinations' })
      .default([]),
  })
  .superRefine((config, ctx) => {
    /** Each id of the list once: a repeat names the entry that has it first. */
    const uniqueIds = (list: 'sources' | 'notify') => {
      const ids = new Map<string, number>();
      config[list].forEach((entry, i) => {
        const first = ids.get(entry.id);
        if (first !== undefined)
          ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `"${entry.id}" is already the id of ${list}[${first}]` });
        else ids.set(entry.id, i);
      });
      return ids;
    };
    const ids = uniqueIds('sources');
    uniqueIds('notify');
    config.notify.forEach((destination, i) => {
      destination.sources?.forEach((id, j) => {
        if (!ids.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['notify', i, 'sources', j],
            message: `"${id}" is not a source of this config; sources: ${config.sources.map((s) => s.id).join(', ')}`,
          });
      });
    });
    if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
      // Node refuses a request timeout shorter than the headers timeout (the headers are part of the request).
      ctx.addIssue({
        code: 'custom',
        path: ['http', 'headersTimeoutMs'],
        message: `${config.http.headersTimeoutMs} is longer than http.requestTimeoutMs (${config.http.requestTimeoutMs}); at most that`,
      });
    }
    const withCallback = config.sources.findIndex((s) => s.auth.type === 'serviceProvider' && s.auth.callback);
    if (withCallback !== -1 && !config.storeKeyEnv) {
      ctx.addIssue({
        code: 'custom',
        path: ['storeKeyEnv'],
        message: `required with sources[${withCallback}].auth.callback: the name of an environment variable holding 32 random bytes in base64 (permanent codes are stored encrypted with it)`,
      });
    }
  });

export type ServerConfig = z.output<typeof configSchema>;
export type SourceConfig = ServerConfig['sources'][number];
export type SourceAuth = SourceConfig['auth'];

/** `sources[1].auth.corpSecretEnv` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out;
}

function issueProblems(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      const secret = keys.find((k) => k in INLINE_SECRETS);
      if (secret) {
        return {
          path: formatPath([...issue.path, secret]),
          message: `secrets are never written in the config: put the value in an environment variable and name it in "${INLINE_SECRETS[secret]}"`,
        };
      }
      return {
        path: formatPath([...issue.path, keys[0]!]),
        message: `unknown field${keys.length > 1 ? `s ${keys.map((k) => `"${k}"`).join(', ')}` : ''}; check the spelling`,
      };
    }
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'type' && issue.input !== undefined) {
      return { path: formatPath(issue.path), message: 'one of "selfBuilt", "serviceProvider", "tokenService"' };
    }
    const message = issue.code === 'invalid_type' && issue.input === undefined ? `required: ${issue.message}` : issue.message;
    return { path: formatPath(issue.path), message };
  });
}

/** Validate a parsed JSON value. */
export function parseConfig(input: unknown): ServerConfig {
  const parsed = configSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new ConfigError(issueProblems(parsed.error));
  return parsed.data;
}

/** Read and parse a config file as JSON (not yet validated). */
export function readConfigJson(file: string): unknown {
  let textContent: string;
  try {
    textContent = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ConfigError([
      { path: '', message: `cannot read config file ${file}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}` },
    ]);
  }
  try {
    return JSON.parse(textContent);
  } catch (error) {
    throw new ConfigError([{ path: '', message: `config file ${file} is not valid JSON: ${(error as Error).message}` }]);
  }
}

/** Read, parse and validate a config file; a relative embedded store path is relative to the file. */
export function loadConfigFile(file: string): ServerConfig {
  return resolveStorePath(parseConfig(readConfigJson(file)), file);
}

/** A relative embedded store path is relative to the config file. */
export function resolveStorePath(config: ServerConfig, file: string): ServerConfig {
  if (!isPostgresUrl(config.store) && !isAbsolute(config.store)) config.store = resolve(dirname(resolve(file)), config.store);
  return config;
}

/**
 * The variables a config names (every `…Env` field, and each header of `headersEnv`) that are
 * unset or empty, each by its path: what can still be said of a file the schema refused, so that
 * one look reports every problem.
 */
export function unsetVariables(json: unknown, env: NodeJS.ProcessEnv): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const check = (path: readonly PropertyKey[], name: unknown) => {
    if (typeof name !== 'string' || !ENV_NAME.test(name) || env[name]?.trim()) return;
    problems.push({ path: formatPath(path), message: `environment variable ${name} is ${env[name] === undefined ? 'not set' : 'empty'}` });
  };
  const visit = (value: unknown, path: PropertyKey[]) => {
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'headersEnv' && typeof child === 'object' && child !== null)
          for (const [header, name] of Object.entries(child)) check([...path, key, header], name);
        else if (key.endsWith('Env')) check([...path, key], child);
        else visit(child, [...path, key]);
      }
    }
  };
  visit(json, []);
  return problems;
}

export function isPostgresUrl(store: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(store);
}

/** One WeCom corp the server calls for, with its secrets read from the environment. */
export interface CorpCredentials {
  sourceId: string;
  corpId: string;
  /** The accounts the corp chose for the KF component (AuthOpenKfIdList): only these are collected. */
  authorizedAccounts?: readonly string[];
  auth:
    | { type: 'selfBuilt'; corpId: string; corpSecret: string }
    | {
        type: 'serviceProvider';
        suiteId: string;
        suiteSecret: string;
        /** The pasted ticket, if any: the newest one the callback stored wins over it. */
        suiteTicket: string | undefined;
        authCorpId: string;
        permanentCode: string;
      }
    | { type: 'tokenService'; url: string; headers: Record<string, string> };
}

/**
 * Reads the variables a config names, trimmed; a missing or empty one is noted as a problem of its
 * config path (never with a value), so that all of them are reported at once.
 */
function envReader(env: NodeJS.ProcessEnv) {
  const problems: { path: string; message: string }[] = [];
  const read = (path: string, name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push({ path, message: `environment variable ${name} is ${env[name] === undefined ? 'not set' : 'empty'}` });
    return value ?? '';
  };
  return { problems, read };
}

/**
 * Read every secret the config names from `env`. Missing or empty variables are reported all at
 * once, each by its config path; their values never appear in messages.
 */
export function resolveCredentials(config: ServerConfig, env: NodeJS.ProcessEnv): CorpCredentials[] {
  const { problems, read } = envReader(env);
  const corps: CorpCredentials[] = [];
  config.sources.forEach((source, i) => {
    const at = `sources[${i}].auth`;
    const auth = source.auth;
    switch (auth.type) {
      case 'selfBuilt':
        corps.push({
          sourceId: source.id,
          corpId: auth.corpId,
          auth: { type: 'selfBuilt', corpId: auth.corpId, corpSecret: read(`${at}.corpSecretEnv`, auth.corpSecretEnv) },
        });
        break;
      case 'serviceProvider': {
        const suiteSecret = read(`${at}.suiteSecretEnv`, auth.suiteSecretEnv);
        const suiteTicket = auth.suiteTicketEnv === undefined ? undefined : read(`${at}.suiteTicketEnv`, auth.suiteTicketEnv);
        auth.corps.forEach((corp, j) => {
          corps.push({
            sourceId: source.id,
            corpId: corp.authCorpId,
            auth: {
              type: 'serviceProvider',
              suiteId: auth.suiteId,
              suiteSecret,
              suiteTicket,
              authCorpId: corp.authCorpId,
              permanentCode: read(`${at}.corps[${j}].permanentCodeEnv`, corp.permanentCodeEnv),
            },
          });
        });
        break;
      }
      case 'tokenService': {
        const headers: Record<string, string> = {};
        for (const [header, name] of Object.entries(auth.headersEnv ?? {})) headers[header] = read(`${at}.headersEnv.${header}`, name);
        corps.push({ sourceId: source.id, corpId: auth.corpId, auth: { type: 'tokenService', url: auth.url, headers } });
        break;
      }
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return corps;
}

/** A service provider's suite as a whole: what its callback and its suite-level calls need. */
export interface ProviderSource {
  sourceId: string;
  suiteId: string;
  suiteSecret: string;
  /** The pasted ticket, if any. */
  suiteTicket: string | undefined;
  /** Corps join and leave through the callback (kept in the store), besides the configured ones. */
  callbackAuthorizations: boolean;
  /** The callback's secrets: read by `serve` and `check-config`, which answer WeCom; not by `collect`. */
  callback: { token: string; aesKey: Buffer; providerCorpId: string | undefined } | undefined;
}

export interface ProviderSecrets {
  providers: ProviderSource[];
  /** Encrypts permanent codes and tickets at rest; present whenever a source has a callback. */
  storeKey: Buffer | undefined;
}

/** The suites of the config and the store key, read from `env`; problems reported all at once. */
export function resolveProviders(
  config: ServerConfig,
  env: NodeJS.ProcessEnv,
  { callbackSecrets = true }: { callbackSecrets?: boolean } = {},
): ProviderSecrets {
  const { problems, read } = envReader(env);
  const providers: ProviderSource[] = [];
  config.sources.forEach((source, i) => {
    const auth = source.auth;
    if (auth.type !== 'serviceProvider') return;
    const at = `sources[${i}].auth`;
    let callback: ProviderSource['callback'];
    if (auth.callback && callbackSecrets) {
      const token = read(`${at}.callback.tokenEnv`, auth.callback.tokenEnv);
      if (token && !/^[A-Za-z0-9]{1,32}$/.test(token))
        problems.push({
          path: `${at}.callback.tokenEnv`,
          message: `environment variable ${auth.callback.tokenEnv} is not a WeCom callback Token (1 to 32 letters and digits)`,
        });
      const encodingAesKey = read(`${at}.callback.encodingAesKeyEnv`, auth.callback.encodingAesKeyEnv);
      const aesKey = aesKeyOf(encodingAesKey);
      if (encodingAesKey && !aesKey)
        problems.push({
          path: `${at}.callback.encodingAesKeyEnv`,
          message: `environment variable ${auth.callback.encodingAesKeyEnv} is not an EncodingAESKey (43 letters and digits)`,
        });
      callback = { token, aesKey: aesKey ?? Buffer.alloc(32), providerCorpId: auth.callback.providerCorpId };
    }
    providers.push({
      sourceId: source.id,
      suiteId: auth.suiteId,
      suiteSecret: read(`${at}.suiteSecretEnv`, auth.suiteSecretEnv),
      suiteTicket: auth.suiteTicketEnv === undefined ? undefined : read(`${at}.suiteTicketEnv`, auth.suiteTicketEnv),
      callbackAuthorizations: auth.callback !== undefined,
      callback,
    });
  });
  let storeKey: Buffer | undefined;
  if (config.storeKeyEnv) {
    const text = read('storeKeyEnv', config.storeKeyEnv);
    const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (text && key?.length !== 32)
      problems.push({
        path: 'storeKeyEnv',
        message: `environment variable ${config.storeKeyEnv} is not 32 bytes in base64 (make one with: openssl rand -base64 32)`,
      });
    storeKey = key;
  }
  if (problems.length) throw new ConfigError(problems);
  return { providers, storeKey };
}

/** The keys the variable `name` holds (comma-separated, blanks ignored), each at least 16 characters. */
function readKeys(name: string, path: string, env: NodeJS.ProcessEnv): string[] {
  const keys = (env[name] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0)
    throw new ConfigError([{ path, message: `environment variable ${name} holds no API key (comma-separated keys expected)` }]);
  // Short keys are guessable: ask for at least 16 characters.
  const short = keys.findIndex((k) => k.length < 16);
  if (short !== -1) throw new ConfigError([{ path, message: `key ${short + 1} in ${name} is shorter than 16 characters` }]);
  return keys;
}

/** This replica's egress IP group (`pacing.ipGroupEnv`): letters, digits, ".", "_", "-", ":" (an IP fits), at most 64. */
export function resolveIpGroup(config: ServerConfig, env: NodeJS.ProcessEnv): string | undefined {
  const name = config.pacing.ipGroupEnv;
  if (!name) return undefined;
  const value = (env[name] ?? '').trim();
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(value))
    throw new ConfigError([
      {
        path: 'pacing.ipGroupEnv',
        message: value
          ? `environment variable ${name} is not an IP group name (letters, digits, ".", "_", "-", ":", at most 64)`
          : `environment variable ${name} is ${env[name] === undefined ? 'not set' : 'empty'}`,
      },
    ]);
  return value;
}

/** The admin keys (`adminKeysEnv`); none when it is not set. */
export function resolveAdminKeys(config: ServerConfig, env: NodeJS.ProcessEnv): string[] {
  return config.adminKeysEnv ? readKeys(config.adminKeysEnv, 'adminKeysEnv', env) : [];
}

/** The keys that may take access tokens (`tokenApiKeysEnv`); none when it is not set. */
export function resolveTokenApiKeys(config: ServerConfig, env: NodeJS.ProcessEnv): string[] {
  return config.tokenApiKeysEnv ? readKeys(config.tokenApiKeysEnv, 'tokenApiKeysEnv', env) : [];
}

/** The API keys from the variable `apiKeysEnv` names (comma-separated, blanks ignored). */
export function resolveApiKeys(config: ServerConfig, env: NodeJS.ProcessEnv): string[] {
  if (!config.apiKeysEnv) {
    throw new ConfigError([
      { path: 'apiKeysEnv', message: 'required to serve the API: the name of an environment variable holding comma-separated API keys' },
    ]);
  }
  return readKeys(config.apiKeysEnv, 'apiKeysEnv', env);
}

/** Each `notify` destination's webhook URL, read from the variable its `webhookEnv` names (never shown in a message). */
export function resolveWebhooks(config: ServerConfig, env: NodeJS.ProcessEnv): Map<string, string> {
  const { problems, read } = envReader(env);
  const webhooks = new Map<string, string>();
  config.notify.forEach((destination, i) => {
    const path = `notify[${i}].webhookEnv`;
    const url = read(path, destination.webhookEnv);
    if (url && !WEBHOOK_URL.test(url))
      problems.push({
        path,
        message: `environment variable ${destination.webhookEnv} is not a group robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)`,
      });
    webhooks.set(destination.id, url);
  });
  if (problems.length) throw new ConfigError(problems);
  return webhooks;
}
