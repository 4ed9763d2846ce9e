import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Json } from './helpers.js';
import {
  ConfigError,
  parseConfig,
  resolveApiKeys,
  resolveCredentials,
  resolveIpGroup,
  resolveProviders,
  resolveTokenApiKeys,
} from '../src/config.js';

const valid = () => ({
  store: './kf-stats-data',
  listen: { host: '127.0.0.1', port: 8787 },
  apiKeysEnv: 'KF_STATS_API_KEYS',
  baseUrl: 'https://qyapi.weixin.qq.com',
  schedule: { dailyAt: '06:30' },
  sources: [
    {
      id: 'acme',
      collect: ['corp', 'servicer'],
      accounts: ['wkA'],
      auth: { type: 'selfBuilt', corpId: 'wwacme', corpSecretEnv: 'ACME_CORP_SECRET' },
    },
    {
      id: 'isv',
      collect: ['component'],
      auth: {
        type: 'serviceProvider',
        suiteId: 'wwsuite',
        suiteSecretEnv: 'ISV_SECRET',
        suiteTicketEnv: 'ISV_TICKET',
        corps: [{ authCorpId: 'wwa', permanentCodeEnv: 'ISV_PC_A' }],
      },
    },
  ],
});

type Config = ReturnType<typeof valid> & Record<string, unknown>;

function problemsOf(mutate: (c: Config) => void): string[] {
  const config = valid() as Config;
  mutate(config);
  try {
    parseConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  return [];
}

const src = (c: Config, i: number) => c.sources[i] as unknown as Record<string, Json>;

describe('a valid config', () => {
  it('gets its defaults', () => {
    const config = parseConfig({ sources: [valid().sources[0]] });
    expect(config).toMatchObject({
      store: './kf-stats-data',
      listen: { host: '127.0.0.1', port: 8787 },
      baseUrl: 'https://qyapi.weixin.qq.com',
      schedule: { dailyAt: '06:30', runOnStart: true },
      pacing: {
        perCorpPerMinute: 10_000,
        perCorpPerHour: 150_000,
        perIpPerMinute: 20_000,
        perIpPerHour: 600_000,
        blockSeconds: 60,
        marginMs: 1000,
      },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 5_000, maxConnections: 1024 },
      api: { liveFetchDeadlineMs: 5_000 },
    });
  });
  it('accepts the documented example', () => {
    expect(problemsOf(() => {})).toEqual([]);
  });
  it("accepts the README's config and the quick start's", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## Config[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(parseConfig(JSON.parse(example)).sources.map((s) => s.auth.type)).toEqual(['selfBuilt', 'serviceProvider', 'tokenService']);
    const quickStart = JSON.parse(readFileSync(new URL('../examples/simulator.config.json', import.meta.url), 'utf8'));
    expect(parseConfig(quickStart).sources).toHaveLength(2);
  });
});

describe('a bad config names the path and what is allowed', () => {
  const cases: [string, (c: Config) => void, string][] = [
    [
      'a request timeout of 0',
      (c) => ((c as Json).http = { requestTimeoutMs: 0 }),
      'http.requestTimeoutMs: milliseconds from 1000 to 600000',
    ],
    [
      'headers allowed longer than the request',
      (c) => ((c as Json).http = { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 }),
      'http.headersTimeoutMs: 20000 is longer than http.requestTimeoutMs (10000); at most that',
    ],
    ['no connection at all', (c) => ((c as Json).http = { maxConnections: 0 }), 'http.maxConnections: a whole number from 1 to 100000'],
    [
      'a live fetch deadline in text',
      (c) => ((c as Json).api = { liveFetchDeadlineMs: '5s' }),
      'api.liveFetchDeadlineMs: milliseconds from 0 to 120000',
    ],
    ['no sources', (c) => delete (c as Partial<Config>).sources, 'sources: required: a list of sources'],
    ['empty sources', (c) => (c.sources = []), 'sources: at least one source'],
    ['sources not a list', (c) => ((c as Json).sources = {}), 'sources: a list of sources'],
    [
      'a secret inline',
      (c) => (src(c, 0).auth.corpSecret = 'x'),
      'sources[0].auth.corpSecret: secrets are never written in the config: put the value in an environment variable and name it in "corpSecretEnv"',
    ],
    [
      'a suite secret inline',
      (c) => (src(c, 1).auth.suiteSecret = 'x'),
      'sources[1].auth.suiteSecret: secrets are never written in the config: put the value in an environment variable and name it in "suiteSecretEnv"',
    ],
    [
      'a permanent code inline',
      (c) => (src(c, 1).auth.corps[0].permanentCode = 'x'),
      'sources[1].auth.corps[0].permanentCode: secrets are never written in the config: put the value in an environment variable and name it in "permanentCodeEnv"',
    ],
    [
      'API keys inline',
      (c) => ((c as Json).apiKeys = ['k']),
      'apiKeys: secrets are never written in the config: put the value in an environment variable and name it in "apiKeysEnv"',
    ],
    [
      'a missing secret variable name',
      (c) => delete src(c, 0).auth.corpSecretEnv,
      'sources[0].auth.corpSecretEnv: required: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'a secret variable name with a dash',
      (c) => (src(c, 1).auth.suiteTicketEnv = 'ISV-TICKET'),
      'sources[1].auth.suiteTicketEnv: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'a secret variable name that is a number',
      (c) => (src(c, 1).auth.corps[0].permanentCodeEnv = 5),
      'sources[1].auth.corps[0].permanentCodeEnv: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'an unknown auth type',
      (c) => (src(c, 0).auth.type = 'oauth'),
      'sources[0].auth.type: one of "selfBuilt", "serviceProvider", "tokenService"',
    ],
    [
      'no auth',
      (c) => delete src(c, 0).auth,
      'sources[0].auth: required: an object with type "selfBuilt", "serviceProvider" or "tokenService"',
    ],
    ['an empty corp id', (c) => (src(c, 0).auth.corpId = ' '), 'sources[0].auth.corpId: a corp id like "ww..."'],
    [
      'no provider corps',
      (c) => (src(c, 1).auth.corps = []),
      'sources[1].auth.corps: at least one authorized corp (or a callback through which corps authorize the suite)',
    ],
    [
      'a provider without ticket or callback',
      (c) => delete src(c, 1).auth.suiteTicketEnv,
      "sources[1].auth.callback: required: a callback {tokenEnv, encodingAesKeyEnv} that receives WeCom's suite_ticket (or a suiteTicketEnv holding a pasted one)",
    ],
    [
      'a callback without storeKeyEnv',
      (c) => (src(c, 1).auth.callback = { tokenEnv: 'CB_TOKEN', encodingAesKeyEnv: 'CB_KEY' }),
      'storeKeyEnv: required with sources[1].auth.callback: the name of an environment variable holding 32 random bytes in base64 (permanent codes are stored encrypted with it)',
    ],
    [
      'a callback token written inline',
      (c) => (src(c, 1).auth.callback = { token: 'abc', encodingAesKeyEnv: 'CB_KEY' }),
      'sources[1].auth.callback.token: secrets are never written in the config: put the value in an environment variable and name it in "tokenEnv"',
    ],
    [
      'a callback without its key',
      (c) => {
        c.storeKeyEnv = 'STORE_KEY';
        src(c, 1).auth.callback = { tokenEnv: 'CB_TOKEN' };
      },
      'sources[1].auth.callback.encodingAesKeyEnv: required: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'a store key written inline',
      (c) => (c.storeKey = 'abc'),
      'storeKey: secrets are never written in the config: put the value in an environment variable and name it in "storeKeyEnv"',
    ],
    [
      'a token key variable that is no name',
      (c) => (c.tokenApiKeysEnv = 'not a name'),
      'tokenApiKeysEnv: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'a provider corp without id',
      (c) => delete src(c, 1).auth.corps[0].authCorpId,
      'sources[1].auth.corps[0].authCorpId: required: the authorizing corp id like "ww..."',
    ],
    [
      'component on a self-built app',
      (c) => (src(c, 0).collect = ['component']),
      'sources[0].collect[0]: "component" statistics need a serviceProvider source (kf/get_statistic answers only to a provider\'s corp token)',
    ],
    ['an unknown endpoint', (c) => (src(c, 0).collect = ['corp', 'daily']), 'sources[0].collect[1]: "component", "corp" or "servicer"'],
    ['an endpoint twice', (c) => (src(c, 0).collect = ['corp', 'corp']), 'sources[0].collect[1]: "corp" is listed twice'],
    ['nothing to collect', (c) => (src(c, 0).collect = []), 'sources[0].collect: at least one of "component", "corp", "servicer"'],
    [
      'accounts for component only',
      (c) => (src(c, 1).accounts = ['wk1']),
      'sources[1].accounts: accounts apply to "corp" and "servicer" collection only',
    ],
    ['an empty account id', (c) => (src(c, 0).accounts = ['wkA', '']), 'sources[0].accounts[1]: an open_kfid like "wk..."'],
    ['a duplicate source id', (c) => (src(c, 1).id = 'acme'), 'sources[1].id: "acme" is already the id of sources[0]'],
    ['a source id with a space', (c) => (src(c, 0).id = 'ac me'), 'sources[0].id: a short id: letters, digits, - and _ (e.g. "acme")'],
    ['an unknown source field', (c) => (src(c, 0).colect = ['corp']), 'sources[0].colect: unknown field; check the spelling'],
    ['an unknown top-level field', (c) => ((c as Json).stor = 'x'), 'stor: unknown field; check the spelling'],
    ['an empty store', (c) => (c.store = ''), 'store: a directory path or a postgres:// URL'],
    ['a port out of range', (c) => (c.listen.port = 70000), 'listen.port: a port from 0 to 65535'],
    ['a port as text', (c) => ((c.listen as Json).port = '8787'), 'listen.port: a port from 0 to 65535'],
    ['an empty host', (c) => (c.listen.host = ''), 'listen.host: a host name or IP address'],
    ['a daily time without minutes', (c) => (c.schedule.dailyAt = '6'), 'schedule.dailyAt: a China time "HH:MM" from 00:00 to 23:59'],
    ['a daily time of 24:00', (c) => (c.schedule.dailyAt = '24:00'), 'schedule.dailyAt: a China time "HH:MM" from 00:00 to 23:59'],
    [
      'a base URL without scheme',
      (c) => (c.baseUrl = 'qyapi.weixin.qq.com'),
      'baseUrl: an http(s) URL such as https://qyapi.weixin.qq.com',
    ],
    [
      'an API key variable with spaces',
      (c) => (c.apiKeysEnv = 'MY KEYS'),
      'apiKeysEnv: the name of an environment variable (letters, digits and _), e.g. "ACME_CORP_SECRET"',
    ],
    [
      'a pacing limit of 0',
      (c) => ((c as Json).pacing = { perIpPerMinute: 0 }),
      'pacing.perIpPerMinute: calls per calling IP per minute: a whole number of 1 or more',
    ],
    [
      'a fractional pacing limit',
      (c) => ((c as Json).pacing = { perCorpPerHour: 1.5 }),
      'pacing.perCorpPerHour: calls per corp and API per hour: a whole number of 1 or more',
    ],
    ['a negative pacing margin', (c) => ((c as Json).pacing = { marginMs: -1 }), 'pacing.marginMs: milliseconds from 0 to 60000'],
    ['concurrency over 64', (c) => ((c as Json).concurrency = 100), 'concurrency: series collected at once: a whole number from 1 to 64'],
    ['an unknown log level', (c) => ((c as Json).logLevel = 'verbose'), 'logLevel: "fatal", "error", "warn", "info", "debug" or "silent"'],
    [
      'a token service URL that is not one',
      (c) => (c.sources[0] = { id: 't', collect: ['corp'], auth: { type: 'tokenService', corpId: 'ww', url: 'token' } } as never),
      'sources[0].auth.url: an http(s) URL or a path starting with / (under baseUrl)',
    ],
    [
      'token service headers inline',
      (c) =>
        (c.sources[0] = {
          id: 't',
          collect: ['corp'],
          auth: { type: 'tokenService', corpId: 'ww', url: '/t', headers: { a: 'b' } },
        } as never),
      'sources[0].auth.headers: secrets are never written in the config: put the value in an environment variable and name it in "headersEnv"',
    ],
  ];
  it.each(cases)('%s', (_what, mutate, message) => {
    expect(problemsOf(mutate)).toContain(message);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf((c) => {
      c.listen.port = -1;
      src(c, 1).auth.suiteId = '';
    });
    expect(problems).toEqual(['listen.port: a port from 0 to 65535', 'sources[1].auth.suiteId: the suite id like "ww..."']);
  });
});

describe('secrets come from the environment', () => {
  const env = {
    ACME_CORP_SECRET: 's1',
    ISV_SECRET: 's2',
    ISV_TICKET: 't',
    ISV_PC_A: 'pc',
    KF_STATS_API_KEYS: 'key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb ,',
  };
  it('reads every named variable', () => {
    const corps = resolveCredentials(parseConfig(valid()), env);
    expect(corps).toEqual([
      { sourceId: 'acme', corpId: 'wwacme', auth: { type: 'selfBuilt', corpId: 'wwacme', corpSecret: 's1' } },
      {
        sourceId: 'isv',
        corpId: 'wwa',
        auth: { type: 'serviceProvider', suiteId: 'wwsuite', suiteSecret: 's2', suiteTicket: 't', authCorpId: 'wwa', permanentCode: 'pc' },
      },
    ]);
    expect(resolveApiKeys(parseConfig(valid()), env)).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
  });
  it('names each missing or empty variable by its config path, never a value', () => {
    expect(() => resolveCredentials(parseConfig(valid()), { ACME_CORP_SECRET: ' ', ISV_SECRET: 's2', ISV_TICKET: 't' })).toThrow(
      'sources[0].auth.corpSecretEnv: environment variable ACME_CORP_SECRET is empty\nsources[1].auth.corps[0].permanentCodeEnv: environment variable ISV_PC_A is not set',
    );
  });
  it.each([
    [{}, 'apiKeysEnv: environment variable KF_STATS_API_KEYS holds no API key (comma-separated keys expected)'],
    [{ KF_STATS_API_KEYS: ' , ' }, 'apiKeysEnv: environment variable KF_STATS_API_KEYS holds no API key (comma-separated keys expected)'],
    [{ KF_STATS_API_KEYS: 'key-aaaaaaaaaaaaaaaa,short' }, 'apiKeysEnv: key 2 in KF_STATS_API_KEYS is shorter than 16 characters'],
  ])('refuses unusable API keys %#', (env, message) => {
    expect(() => resolveApiKeys(parseConfig(valid()), env)).toThrow(message);
  });
  describe('a provider callback', () => {
    const withCallback = () => {
      const config = valid() as Config;
      config.storeKeyEnv = 'STORE_KEY';
      config.tokenApiKeysEnv = 'TOKEN_KEYS';
      const isv = config.sources[1]!.auth as Record<string, unknown>;
      delete isv.suiteTicketEnv;
      isv.corps = [];
      isv.callback = { tokenEnv: 'CB_TOKEN', encodingAesKeyEnv: 'CB_KEY' };
      return parseConfig(config);
    };
    const goodEnv = {
      ISV_SECRET: 's2',
      CB_TOKEN: 'Tok3n',
      CB_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      STORE_KEY: Buffer.alloc(32, 7).toString('base64'),
      TOKEN_KEYS: 'token-key-aaaaaaaaaaaa',
    };
    it('needs neither a ticket nor corps, and reads its secrets', () => {
      const { providers, storeKey } = resolveProviders(withCallback(), goodEnv);
      expect(providers).toEqual([
        {
          sourceId: 'isv',
          suiteId: 'wwsuite',
          suiteSecret: 's2',
          suiteTicket: undefined,
          callbackAuthorizations: true,
          callback: { token: 'Tok3n', aesKey: expect.any(Buffer), providerCorpId: undefined },
        },
      ]);
      expect(storeKey).toEqual(Buffer.alloc(32, 7));
      expect(resolveTokenApiKeys(withCallback(), goodEnv)).toEqual(['token-key-aaaaaaaaaaaa']);
    });
    it.each([
      [
        { CB_KEY: 'too-short' },
        'sources[1].auth.callback.encodingAesKeyEnv: environment variable CB_KEY is not an EncodingAESKey (43 letters and digits)',
      ],
      [
        { CB_TOKEN: 'has spaces in it' },
        'sources[1].auth.callback.tokenEnv: environment variable CB_TOKEN is not a WeCom callback Token (1 to 32 letters and digits)',
      ],
      [
        { STORE_KEY: Buffer.alloc(16).toString('base64') },
        'storeKeyEnv: environment variable STORE_KEY is not 32 bytes in base64 (make one with: openssl rand -base64 32)',
      ],
      [{ STORE_KEY: '' }, 'storeKeyEnv: environment variable STORE_KEY is empty'],
      [{ CB_TOKEN: undefined }, 'sources[1].auth.callback.tokenEnv: environment variable CB_TOKEN is not set'],
    ])('names an unusable secret by its path, never its value %#', (change, message) => {
      const env = { ...goodEnv, ...change };
      let thrown: unknown;
      try {
        resolveProviders(withCallback(), env);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toBe(message);
      for (const value of Object.values(change)) if (value) expect((thrown as Error).message).not.toContain(value);
    });
    it('reads no callback secret for collect, which answers no callback', () => {
      const { providers } = resolveProviders(
        withCallback(),
        { ISV_SECRET: 's2', STORE_KEY: goodEnv.STORE_KEY },
        { callbackSecrets: false },
      );
      expect(providers[0]).toMatchObject({ callbackAuthorizations: true, callback: undefined });
    });
    it('refuses short token keys', () => {
      expect(() => resolveTokenApiKeys(withCallback(), { TOKEN_KEYS: 'short' })).toThrow(
        'tokenApiKeysEnv: key 1 in TOKEN_KEYS is shorter than 16 characters',
      );
    });
  });
  it('needs apiKeysEnv to serve', () => {
    const config = valid() as Partial<Config>;
    delete config.apiKeysEnv;
    expect(() => resolveApiKeys(parseConfig(config), {})).toThrow('apiKeysEnv: required to serve the API');
  });
});

describe("a replica's egress IP group", () => {
  const withGroup = () =>
    parseConfig({
      apiKeysEnv: 'KEYS',
      pacing: { ipGroupEnv: 'KF_IP_GROUP' },
      sources: [{ id: 'a', collect: ['corp'], auth: { type: 'selfBuilt', corpId: 'ww1', corpSecretEnv: 'S' } }],
    });
  it('is the value of the variable pacing.ipGroupEnv names, or none when it names none', () => {
    expect(resolveIpGroup(withGroup(), { KF_IP_GROUP: '10.0.0.7' })).toBe('10.0.0.7');
    const none = parseConfig({ sources: [{ id: 'a', collect: ['corp'], auth: { type: 'selfBuilt', corpId: 'ww1', corpSecretEnv: 'S' } }] });
    expect(resolveIpGroup(none, {})).toBeUndefined();
  });
  it.each([
    [{}, 'pacing.ipGroupEnv: environment variable KF_IP_GROUP is not set'],
    [
      { KF_IP_GROUP: 'a b' },
      'pacing.ipGroupEnv: environment variable KF_IP_GROUP is not an IP group name (letters, digits, ".", "_", "-", ":", at most 64)',
    ],
  ])('refuses %j naming the field', (env, message) => {
    try {
      resolveIpGroup(withGroup(), env);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problem = (error as ConfigError).problems[0]!;
      expect(`${problem.path}: ${problem.message}`).toBe(message);
    }
  });
});
