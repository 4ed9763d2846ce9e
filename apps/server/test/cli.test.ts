import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { pinnedClockEnv, useSimulator } from '@wecom-kf-stats/test-utils';
import { chinaMidnightEpochSeconds, chinaToday } from '../src/china-days.js';
import { openStore } from '../src/store/store.js';
import { CANARY_SECRET, simulatorConfigJson, simulatorEnv, simulatorSeriesCount, tempDir, writeConfig, type Json } from './helpers.js';
import { runServer, spawnServer } from './run-server.js';

const kf = useSimulator();
let sim: Simulator;
let env: Record<string, string>;
beforeAll(() => {
  sim = kf.sim;
  env = { ...simulatorEnv(sim), ...pinnedClockEnv(Math.round(kf.now())) };
});

const seriesCount = () => simulatorSeriesCount(sim);

describe('usage and config errors exit 2 with one line naming the problem', () => {
  it('prints help and exits 0', async () => {
    const run = await runServer(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: wecom-kf-stats-server <command> [--config FILE]');
  });
  it.each([
    [[], 'wecom-kf-stats-server: a command is required: serve, collect, check-config, keys, purge or notify'],
    [['start'], 'wecom-kf-stats-server: unknown command "start"; commands: serve, collect, check-config, keys, purge, notify'],
    [['collect', '--verbose'], 'wecom-kf-stats-server: unknown option --verbose'],
    [['collect', '--config'], 'wecom-kf-stats-server: --config needs a file path'],
    [['collect', 'now'], 'wecom-kf-stats-server: unexpected argument "now"'],
  ])('%j', async (args, line) => {
    const run = await runServer(args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(line);
  });
  it('names a missing config file', async () => {
    const run = await runServer(['check-config', '--config', '/nonexistent/kf.json']);
    expect(run).toMatchObject({
      code: 2,
      stderr: 'wecom-kf-stats-server: config: cannot read config file /nonexistent/kf.json: no such file\n',
    });
  });
  it('names a file that is not JSON', async () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, '{ "store": ');
    const run = await runServer(['check-config', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^wecom-kf-stats-server: config: config file .*bad\.json is not valid JSON: /);
  });
  it('names the path of a bad field', async () => {
    const json = simulatorConfigJson(sim, './data');
    (json.sources as Json[])[1].auth.corpSecretEnv = 'X';
    const run = await runServer(['check-config', '--config', writeConfig(tempDir(), json)], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('wecom-kf-stats-server: config: sources[1].auth.corpSecretEnv: unknown field; check the spelling\n');
  });
  it('names an unset secret variable by its path', async () => {
    const { ACME_CORP_SECRET: _, ...rest } = env;
    const run = await runServer(['collect', '--config', writeConfig(tempDir(), simulatorConfigJson(sim, './data'))], rest);
    expect(run).toMatchObject({
      code: 2,
      stderr: 'wecom-kf-stats-server: config: sources[0].auth.corpSecretEnv: environment variable ACME_CORP_SECRET is not set\n',
    });
  });
  it('check-config reports every problem in one pass: the schema, the unset variables, the short keys', async () => {
    const json = simulatorConfigJson(sim, './data');
    (json.sources as Json[])[1].auth.corpSecretEnv = 'X';
    json.concurrency = 0;
    const { ACME_CORP_SECRET: _secret, ...rest } = env;
    const refused = await runServer(['check-config', '--config', writeConfig(tempDir(), json)], rest);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n').filter(Boolean).sort()).toEqual(
      [
        'wecom-kf-stats-server: config: concurrency: series collected at once: a whole number of 1 or more',
        'wecom-kf-stats-server: config: sources[1].auth.corpSecretEnv: unknown field; check the spelling',
        'wecom-kf-stats-server: config: sources[0].auth.corpSecretEnv: environment variable ACME_CORP_SECRET is not set',
      ].sort(),
    );
    const valid = simulatorConfigJson(sim, './data');
    const both = await runServer(['check-config', '--config', writeConfig(tempDir(), valid)], { ...rest, KF_STATS_API_KEYS: 'short' });
    expect(both.stderr).toBe(
      'wecom-kf-stats-server: config: sources[0].auth.corpSecretEnv: environment variable ACME_CORP_SECRET is not set\n' +
        'wecom-kf-stats-server: config: apiKeysEnv: key 1 in KF_STATS_API_KEYS is shorter than 16 characters\n',
    );
  });

  it('check-config --probe asks WeCom for a token per source, and names the source whose credential is wrong', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const good = await runServer(['check-config', '--probe', '--config', config], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`probe: sources[0] "acme": WeCom gave a token for corp ${sim.fixtures.selfBuilt.corpId}\n`);
    expect(good.stdout).toContain(`probe: sources[1] "isv": WeCom gave a token for corp ${sim.fixtures.suite.authCorpId}\n`);
    const wrong = await runServer(['check-config', '--probe', '--config', config], { ...env, ACME_CORP_SECRET: CANARY_SECRET });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/probe: sources\[0\] "acme": no token for corp \S+: .*errcode 40001/);
    expect(wrong.stdout).toContain('probe: sources[1] "isv": WeCom gave a token');
    expect(wrong.stdout + wrong.stderr).not.toContain(CANARY_SECRET);
    expect((await runServer(['collect', '--probe', '--config', config], env)).stderr).toMatch(/--probe goes with check-config only/);
  });

  it('check-config says what it found', async () => {
    const run = await runServer(['check-config', '--config', writeConfig(tempDir(), simulatorConfigJson(sim, './data'))], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^config OK: 2 sources, 2 corps, store embedded \(.*\/data\), 2 API keys\n$/);
  });
  describe('a provider source with a callback', () => {
    const withCallback = () => {
      const json = simulatorConfigJson(sim, './data');
      const isv = (json.sources as Json[])[1];
      isv.auth = {
        type: 'serviceProvider',
        suiteId: sim.fixtures.suite.suiteId,
        suiteSecretEnv: 'ISV_SECRET',
        callback: { tokenEnv: 'CB_TOKEN', encodingAesKeyEnv: 'CB_KEY' },
      };
      isv.collect = ['component'];
      delete isv.accounts;
      return { ...json, storeKeyEnv: 'STORE_KEY', tokenApiKeysEnv: 'TOKEN_KEYS' };
    };
    const callbackEnv = {
      ISV_SECRET: 'suite-secret-canary-77',
      CB_TOKEN: 'Tok3n',
      CB_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      STORE_KEY: Buffer.alloc(32, 1).toString('base64'),
      TOKEN_KEYS: 'token-key-0123456789',
    };
    it('check-config counts the callbacks and the token keys', async () => {
      const run = await runServer(['check-config', '--config', writeConfig(tempDir(), withCallback())], { ...env, ...callbackEnv });
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(
        /^config OK: 2 sources, 1 corps, 1 provider callbacks, store embedded \(.*\/data\), 2 API keys, 1 token keys\n$/,
      );
    });
    it('collect needs no callback secret: it answers no callback', async () => {
      const { CB_TOKEN: _t, CB_KEY: _k, ...withoutCallbackSecrets } = callbackEnv;
      const run = await runServer(['collect', '--config', writeConfig(tempDir(), withCallback())], { ...env, ...withoutCallbackSecrets });
      expect(run.stderr).not.toMatch(/config:/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^collected: \d+ series/);
    });
    it('names every unusable callback secret by its path, never its value', async () => {
      const run = await runServer(['check-config', '--config', writeConfig(tempDir(), withCallback())], {
        ...env,
        ...callbackEnv,
        CB_KEY: 'not-an-encoding-aes-key',
        STORE_KEY: 'c2hvcnQ=',
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'wecom-kf-stats-server: config: sources[1].auth.callback.encodingAesKeyEnv: environment variable CB_KEY is not an EncodingAESKey (43 letters and digits)\n' +
          'wecom-kf-stats-server: config: storeKeyEnv: environment variable STORE_KEY is not 32 bytes in base64 (make one with: openssl rand -base64 32)\n',
      );
      expect(run.stderr).not.toContain('not-an-encoding-aes-key');
    });
  });
});

describe('collect', () => {
  it('prints one summary line; after a restart the next run makes 0 statistics calls', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const first = await runServer(['collect', '--config', config], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const n = seriesCount();
    expect(first.stdout).toBe(`collected: ${n} series, ${n * 180} days stored, ${n * 6} statistics calls, 0 failures\n`);
    sim.resetCalls();
    const second = await runServer(['collect', '--config', config], env);
    expect(second.stdout).toBe(`collected: ${n} series, 0 days stored, 0 statistics calls, 0 failures\n`);
    expect(sim.callCount(/statistic/)).toBe(0);
  });

  it('exits 1 with one line when the store cannot be opened', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, 'postgres://nobody:pw@127.0.0.1:9/none'));
    const run = await runServer(['collect', '--config', config], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^wecom-kf-stats-server: cannot open the store: .*ECONNREFUSED.*\n$/);
    expect(run.stderr).not.toContain('pw@');
  });

  it('exits 1 when a series failed, and logs why', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const run = await runServer(['collect', '--config', config], { ...env, ACME_CORP_SECRET: 'a-wrong-secret-value' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('collected: 1 series, 180 days stored, 6 statistics calls, 1 failures\n');
    expect(run.stderr).toContain('discovery failed for acme/wwsimcorp0000001');
    expect(run.stderr).toContain('40001');
    expect(run.stderr).not.toContain('a-wrong-secret-value');
  });

  it('stops on SIGTERM, releasing its leases, and the next run finishes the work', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, simulatorConfigJson(sim, './data', { concurrency: 2 }));
    sim.setLatency(40);
    try {
      const proc = spawnServer(['collect', '--config', config], env);
      while (sim.callCount(/get_(corp|servicer)_statistic/) < 6) await new Promise((r) => setTimeout(r, 20));
      proc.child.kill('SIGTERM');
      const run = await proc.exited;
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^interrupted: \d+ series, \d+ days stored, \d+ statistics calls, 0 failures\n$/);
    } finally {
      sim.setLatency(0);
    }
    const store = await openStore(join(dir, 'data'));
    expect(await store.query(`SELECT id FROM kf_series WHERE lease_owner IS NOT NULL`)).toEqual([]);
    await store.close();
    const next = await runServer(['collect', '--config', config], env);
    expect(next.code).toBe(0);
    const store2 = await openStore(join(dir, 'data'));
    const [row] = await store2.query<{ n: number }>('SELECT count(*)::int AS n FROM kf_days');
    await store2.close();
    expect(row!.n).toBe(seriesCount() * 180);
  });
});

describe('serve', () => {
  it('serves the API, collects on start, and shuts down cleanly on SIGTERM', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const proc = spawnServer(['serve', '--config', config], env);
    const [, url] = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', store: 'embedded' });
    const unauthorized = await fetch(`${url}/api/v1/sources`);
    expect(unauthorized.status).toBe(401);
    // The run on start fills the archive.
    const auth = { authorization: 'Bearer test-key-0123456789abcdef' };
    for (let i = 0; i < 600; i += 1) {
      const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      if (/kf_last_successful_run_timestamp_seconds\{source="acme"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    sim.resetCalls();
    const stats = (await (await fetch(`${url}/api/v1/statistics?source=isv&endpoint=component&last=180`, { headers: auth })).json()) as {
      days: unknown[];
    };
    expect(stats.days).toHaveLength(180);
    expect(sim.callCount(/statistic/)).toBe(0);
    proc.child.kill('SIGTERM');
    const run = await proc.exited;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('wecom-kf-stats-server: stopped');
  });
});

describe('the embedded store', () => {
  it('refuses a second process, naming the one that holds it', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data', { schedule: { runOnStart: false } }));
    const proc = spawnServer(['serve', '--config', config], env);
    try {
      await proc.waitFor(/listening on/);
      const run = await runServer(['collect', '--config', config], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^wecom-kf-stats-server: cannot open the store: the embedded store .*/data is in use by process ${proc.child.pid}; several processes need PostgreSQL \\(a postgres:// URL as "store"\\)\n$`,
        ),
      );
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});

describe('the daily schedule', () => {
  it('collects at schedule.dailyAt China time', async () => {
    // The server's clock starts twelve seconds before 10:00 China time today (starting takes a few).
    const dir = tempDir();
    const config = writeConfig(
      dir,
      simulatorConfigJson(sim, './data', { schedule: { dailyAt: '10:00', runOnStart: false }, logLevel: 'info' }),
    );
    const startMs = (chinaMidnightEpochSeconds(chinaToday(kf.now())) + 10 * 3600) * 1000 - 12_000;
    const proc = spawnServer(['serve', '--config', config], { ...env, ...pinnedClockEnv(startMs) });
    try {
      await proc.waitFor(/listening on/);
      expect(sim.callCount(/statistic/)).toBe(0);
      for (let i = 0; i < 800 && sim.callCount(/statistic/) < simulatorSeriesCount(sim) * 6; i += 1)
        await new Promise((r) => setTimeout(r, 50));
      expect(sim.callCount(/statistic/)).toBe(simulatorSeriesCount(sim) * 6);
      expect(proc.stderr).toContain('"next collection at ' + new Date(startMs + 12_000).toISOString() + ' (10:00 China time)"');
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});

describe('secrets', () => {
  it('a canary secret never appears in API answers, logs, metrics or the store', async () => {
    sim.addSuiteTicket(CANARY_SECRET);
    const dir = tempDir();
    const config = writeConfig(dir, simulatorConfigJson(sim, './data', { logLevel: 'debug' }));
    const canaryEnv = { ...env, ISV_SUITE_TICKET: CANARY_SECRET };
    const secrets = [
      CANARY_SECRET,
      sim.fixtures.selfBuilt.corpSecret,
      sim.fixtures.suite.suiteSecret,
      sim.fixtures.suite.permanentCode,
      'test-key-0123456789abcdef',
    ];
    // A failure path too: WeCom rejects a call, and the error is logged.
    sim.inject({ kind: 'errcode', errcode: 40014, path: '/cgi-bin/kf/get_statistic' });
    const proc = spawnServer(['serve', '--config', config], canaryEnv);
    const [, url] = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const auth = { authorization: 'Bearer test-key-0123456789abcdef' };
    let metrics = '';
    for (let i = 0; i < 600; i += 1) {
      metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      if (/kf_last_successful_run_timestamp_seconds\{source="isv"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const answers: string[] = [metrics];
    for (const path of [
      '/api/v1/sources',
      '/api/v1/accounts?source=acme',
      '/api/v1/statistics?source=isv&endpoint=component&last=30',
      '/api/v1/summary?source=isv&endpoint=component&last=30',
      '/api/v1/statistics?source=isv',
      '/healthz',
    ]) {
      answers.push(await (await fetch(`${url}${path}`, { headers: auth })).text());
    }
    proc.child.kill('SIGTERM');
    const run = await proc.exited;
    const store = await openStore(join(dir, 'data'));
    const dump = await store.dump();
    await store.close();
    expect(dump).toContain('-- kf_tokens');
    expect(run.stderr.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const [what, text] of [
        ['answers', answers.join('\n')],
        ['logs', run.stderr + run.stdout],
        ['store', dump],
        ['config', readFileSync(config, 'utf8')],
      ] as const) {
        expect(text.includes(secret), `${secret} in ${what}`).toBe(false);
      }
    }
  });
});

describe('keys and purge from the command line', () => {
  it('makes a key (printed once, as the last line), lists it without the key, serves with it, and revokes it', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, simulatorConfigJson(sim, './data', { adminKeysEnv: 'KF_STATS_ADMIN_KEYS' }));
    const made = await runServer(
      ['keys', 'create', '--config', config, '--name', 'acme-board', '--source', 'acme', '--expires-days', '30'],
      env,
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const lines = made.stdout.trimEnd().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(/^kfs_[A-Za-z0-9_-]{43}$/);
    expect(lines[0]).toMatch(/^key "acme-board" made: sources acme; corps all; tokens no; expires \d{4}-\d\d-\d\dT/);

    const listed = await runServer(['keys', 'list', '--config', config], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^acme-board\tsources acme\tcorps all\ttokens no\texpires \S+\tlast used never\n$/);
    expect(listed.stdout).not.toContain(key);

    const server = spawnServer(['serve', '--config', config], {
      ...env,
      KF_STATS_API_KEYS: 'operator-key-0123456789',
      KF_STATS_ADMIN_KEYS: 'admin-key-0123456789abc',
    });
    try {
      const [, base] = (await server.waitFor(/listening on (http:\/\/\S+)/)) as [string, string];
      const answer = await fetch(`${base}/api/v1/accounts?source=acme`, { headers: { authorization: `Bearer ${key}` } });
      expect(answer.status).toBe(200);
      const other = await fetch(`${base}/api/v1/accounts?source=isv`, { headers: { authorization: `Bearer ${key}` } });
      expect(other.status).toBe(403);
      // While serve holds the embedded store, keys are managed through the API.
      const busy = await runServer(['keys', 'list', '--config', config], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/cannot open the store: the embedded store .* is in use by process \d+/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const revoked = await runServer(['keys', 'revoke', '--config', config, '--name', 'acme-board'], env);
    expect(revoked).toMatchObject({ code: 0, stdout: 'key "acme-board" revoked: every server refuses it within 2 s\n' });
    const again = await runServer(['keys', 'revoke', '--config', config, '--name', 'acme-board'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('wecom-kf-stats-server: --name: no key is named "acme-board" (keys list shows them)\n');
  }, 60_000);

  it.each([
    [['keys'], 'keys needs a subcommand: create, list or revoke'],
    [['keys', 'make'], 'unknown keys subcommand "make"; subcommands: create, list, revoke'],
    [['keys', 'create'], 'keys create needs --name'],
    [['keys', 'list', '--name', 'x'], '--name goes with keys create or keys revoke only'],
    [['purge', '--source', 'acme'], 'purge needs one --source and one --corp'],
    [['collect', '--token'], '--token goes with keys create only'],
    [['notify'], 'notify needs --dry-run (print what would go out) or --test (send a test message)'],
    [['notify', '--dry-run', '--test'], 'notify takes --dry-run or --test, not both'],
    [['collect', '--dry-run'], '--dry-run goes with notify only'],
  ])('%j exits 2 naming the problem', async (args, message) => {
    const run = await runServer(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`wecom-kf-stats-server: ${message}`);
  });

  it.each([
    [['--name', 'a/b'], '--name: letters, digits, ".", "_" and "-", 1 to 64, starting with a letter or digit'],
    [['--name', 'k', '--source', 'nope'], '--source 1: "nope" is not a source of the config; sources: acme, isv'],
    [['--name', 'k', '--expires-days', 'soon'], '--expires-days: "soon" is not a whole number of days from 1 to 3650'],
    [['--name', 'k', '--expires-days', '0'], '--expires-days: a whole number of days from 1 to 3650'],
    [['--name', 'k', '--corp', ''], '--corp 1: expected corp id, not an empty text'],
  ])('keys create %j exits 2 naming the flag', async (args, message) => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const run = await runServer(['keys', 'create', '--config', config, ...args], env);
    expect(run.stderr).toBe(`wecom-kf-stats-server: ${message}\n`);
    expect(run.code).toBe(2);
  });

  it("purges a corp's data and archived days", async () => {
    const dir = tempDir();
    const config = writeConfig(dir, simulatorConfigJson(sim, './data'));
    expect((await runServer(['collect', '--config', config], env)).code).toBe(0);
    const corp = sim.fixtures.selfBuilt.corpId;
    const run = await runServer(['purge', '--config', config, '--source', 'acme', '--corp', corp], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      new RegExp(
        `^corp ${corp} of source acme: its data and \\d+ archived days are deleted; it is still in the config, so the next run collects it again unless you remove it there\\n$`,
      ),
    );
    const store = await openStore(join(dir, 'data'));
    try {
      expect(await store.query(`SELECT 1 FROM kf_days WHERE source = 'acme' LIMIT 1`)).toEqual([]);
      expect(await store.query(`SELECT 1 FROM kf_accounts WHERE source = 'acme' LIMIT 1`)).toEqual([]);
    } finally {
      await store.close();
    }
    const unknown = await runServer(['purge', '--config', config, '--source', 'acme', '--corp', 'wwnobody'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('wecom-kf-stats-server: --corp: "wwnobody" is not a corp of source "acme" (nothing is kept of it)\n');
  }, 60_000);
});

describe('notify from the command line', () => {
  it('collect from cron sends the reports due; --dry-run prints what would go out, --test checks a webhook; the key shows nowhere', async () => {
    const robot = sim.robots.add(`${CANARY_SECRET}-robot`);
    const dir = tempDir();
    const config = writeConfig(
      dir,
      simulatorConfigJson(sim, './data', {
        notify: [
          { id: 'ops', webhookEnv: 'OPS_WEBHOOK', language: 'en', report: { daily: '00:00' }, rules: [{ metric: 'reply_rate', below: 2 }] },
          { id: 'board', webhookEnv: 'OPS_WEBHOOK', sources: ['isv'] },
        ],
      }),
    );
    const withRobot = { ...env, OPS_WEBHOOK: robot.url };
    const collected = await runServer(['collect', '--config', config], withRobot);
    expect(collected.code).toBe(0);
    const yesterday = chinaToday(kf.now() - 86_400_000);
    const sent = sim.robots.messages(robot.key);
    expect(sent[0]!.content.split('\n')[0]).toMatch(new RegExp(`^## WeChat customer service, ${yesterday} \\(\\w{3}\\)$`));
    // A reply rate below 200% fires for each of the 3 accounts that has one.
    expect(sent.slice(1).every((m) => m.content.includes('Reply rate below 200.0%'))).toBe(true);
    const count = sent.length;

    const preview = await runServer(['notify', '--config', config, '--dry-run', '--destination', 'ops'], withRobot);
    expect(preview.stderr).toBe('');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(
      /^=== destination ops: 1 messages would go out now\n--- daily: daily report of \S+ \(\d+ bytes\)\n## WeChat customer service/,
    );
    expect(sim.robots.messages(robot.key)).toHaveLength(count);

    const tested = await runServer(['notify', '--config', config, '--test'], withRobot);
    expect(tested).toMatchObject({ code: 0, stdout: 'destination ops: test message sent\ndestination board: test message sent\n' });
    expect(
      sim.robots
        .messages(robot.key)
        .slice(count)
        .map((m) => m.msgtype),
    ).toEqual(['text', 'text']);

    sim.robots.remove(robot.key);
    const refused = await runServer(['notify', '--config', config, '--test', '--destination', 'board'], withRobot);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^destination board: test message the robot refused the webhook key \(errcode 93000/);
    for (const run of [collected, preview, tested, refused]) expect(run.stdout + run.stderr).not.toContain(CANARY_SECRET);
  }, 60_000);

  it('names an unknown destination and a config without any', async () => {
    const config = writeConfig(tempDir(), simulatorConfigJson(sim, './data'));
    const none = await runServer(['notify', '--config', config, '--dry-run'], env);
    expect(none).toMatchObject({
      code: 1,
      stderr: 'wecom-kf-stats-server: no destinations: add a "notify" list to the config (or POST /api/v1/destinations)\n',
    });
    const unknown = await runServer(['notify', '--config', config, '--dry-run', '--destination', 'ops'], env);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'wecom-kf-stats-server: --destination: no destination is named "ops"; destinations: none\n',
    });
  });
});
