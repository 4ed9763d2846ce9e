import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { metricKeysFor, metricLabel } from '@wecom-kf-stats/core/internal';
import { runCli, runCliOnTerminal } from './run-cli.js';

// 10:00 China time today on the simulator: yesterday is computed whatever the real hour.
const kf = useSimulator();
let selfBuiltEnv: Record<string, string>;
let providerEnv: Record<string, string>;
let openKfid: string;
let corpId: string;

beforeAll(async () => {
  const { selfBuilt, suite } = kf.sim.fixtures;
  corpId = selfBuilt.corpId;
  openKfid = kf.sim.fixtures.accounts[0]!.open_kfid;
  selfBuiltEnv = { WECOM_BASE_URL: kf.sim.url, WECOM_CORP_ID: selfBuilt.corpId, WECOM_CORP_SECRET: selfBuilt.corpSecret };
  providerEnv = {
    WECOM_BASE_URL: kf.sim.url,
    WECOM_SUITE_ID: suite.suiteId,
    WECOM_SUITE_SECRET: suite.suiteSecret,
    WECOM_SUITE_TICKET: suite.suiteTicket,
    WECOM_AUTH_CORP_ID: suite.authCorpId,
    WECOM_PERMANENT_CODE: suite.permanentCode,
  };
});

interface JsonDay {
  date: string;
  stat_time: number;
  statistic: Record<string, number | null> | null;
}

function expectMatchesSimulator(
  days: JsonDay[],
  q: { endpoint: 'component' | 'corp' | 'servicer'; corpId: string; openKfid?: string; servicerUserid?: string },
  keys?: string[],
) {
  for (const day of days) {
    const expected = kf.sim.expectedStatistic({ ...q, date: day.date });
    if (expected === undefined) {
      expect(day.statistic, day.date).toBeNull();
      continue;
    }
    for (const key of keys ?? metricKeysFor(q.endpoint)) expect(day.statistic![key], `${day.date} ${key}`).toBe(expected[key] ?? null);
  }
}

describe('fetch', () => {
  it('writes JSON with a days array of date, stat_time and statistic', async () => {
    const run = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '45', '--format', 'json'], selfBuiltEnv);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { days: JsonDay[]; endpoint: string; open_kfid: string; warnings: unknown[] };
    expect(out).toMatchObject({ endpoint: 'corp', open_kfid: openKfid, warnings: [] });
    expect(out.days).toHaveLength(45);
    expect(Object.keys(out.days[0]!)).toEqual(['date', 'stat_time', 'statistic']);
    expectMatchesSimulator(out.days, { endpoint: 'corp', corpId, openKfid });
    expect(out.days.some((d) => d.statistic === null)).toBe(true);
  });

  it('defaults to JSON when stdout is not a terminal', async () => {
    const run = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--yesterday'], selfBuiltEnv);
    expect(JSON.parse(run.stdout).days).toHaveLength(1);
  });

  it("picks the statistics the credentials fetch when --endpoint is not given: a suite's component statistics, a corp's account statistics", async () => {
    const provider = await runCli(['fetch', '--yesterday', '--format', 'json'], providerEnv);
    expect(provider.code).toBe(0);
    expect(JSON.parse(provider.stdout).endpoint).toBe('component');
    const corp = await runCli(['fetch', '--yesterday', '--format', 'json'], selfBuiltEnv);
    expect(corp.code).toBe(2);
    expect(corp.stderr).toMatch(
      /^wecom-kf-stats: Invalid --open-kfid: missing\. Allowed: an open_kfid \("wk\.\.\."\) for corp statistics \(`wecom-kf-stats accounts` lists them\); a service provider's component statistics need --endpoint component/,
    );
    const withAccount = await runCli(['fetch', '--open-kfid', openKfid, '--yesterday', '--format', 'json'], selfBuiltEnv);
    expect(JSON.parse(withAccount.stdout).endpoint).toBe('corp');
    const tokenService = await runCli(['fetch', '--yesterday'], {
      WECOM_BASE_URL: kf.sim.url,
      WECOM_TOKEN_SERVICE_URL: `${kf.sim.url}/nowhere`,
    });
    expect(tokenService.code).toBe(2);
    expect(tokenService.stderr).toMatch(/^wecom-kf-stats: Invalid --endpoint: missing\. Allowed: component, corp or servicer/);
  });

  it('fetches component statistics with service-provider credentials in 6 calls for 180 days', async () => {
    const run = await runCli(
      ['fetch', '--endpoint', 'component', '--last', '180', '--format', 'ndjson', '--concurrency', '6'],
      providerEnv,
    );
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JsonDay);
    expect(lines).toHaveLength(180);
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(6);
    expectMatchesSimulator(lines, { endpoint: 'component', corpId: kf.sim.fixtures.suite.authCorpId });
  });

  it('writes CSV with a header row, one row per day and empty cells for null', async () => {
    const run = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '60', '--format', 'csv'], selfBuiltEnv);
    expect(run.code).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(60);
    expect(Object.keys(rows[0]!)).toEqual(['date', 'stat_time', ...metricKeysFor('corp')]);
    for (const row of rows) {
      const expected = kf.sim.expectedStatistic({ endpoint: 'corp', corpId, openKfid, date: row.date! });
      for (const key of metricKeysFor('corp')) {
        const value = expected?.[key];
        expect(row[key], `${row.date} ${key}`).toBe(value === undefined ? '' : String(value));
      }
    }
  });

  it('keeps only the picked metrics', async () => {
    const servicer = kf.sim.fixtures.servicers[openKfid]![1]!;
    const picked = [
      'fetch',
      '--endpoint',
      'servicer',
      '--open-kfid',
      openKfid,
      '--servicer',
      servicer,
      '--last',
      '10',
      '--metrics',
      'session_cnt,reply_rate',
    ];
    const run = await runCli([...picked, '--format', 'csv'], selfBuiltEnv);
    expect(run.code).toBe(0);
    const [header] = parse(run.stdout) as string[][];
    expect(header).toEqual(['date', 'stat_time', 'session_cnt', 'reply_rate']);
    const json = await runCli([...picked, '--format', 'json'], selfBuiltEnv);
    const days = (JSON.parse(json.stdout) as { days: JsonDay[] }).days;
    for (const d of days) if (d.statistic) expect(Object.keys(d.statistic)).toEqual(['session_cnt', 'reply_rate']);
    expectMatchesSimulator(days, { endpoint: 'servicer', corpId, openKfid, servicerUserid: servicer }, ['session_cnt', 'reply_rate']);
  });

  it('adds range totals with --summary', async () => {
    const run = await runCli(
      [
        'fetch',
        '--endpoint',
        'corp',
        '--open-kfid',
        openKfid,
        '--from',
        '60 days ago',
        '--to',
        'yesterday',
        '--summary',
        '--format',
        'json',
      ],
      selfBuiltEnv,
    );
    const out = JSON.parse(run.stdout) as { days: JsonDay[]; summary: { metrics: Record<string, number>; dayCount: number } };
    expect(out.summary.dayCount).toBe(60);
    const total = out.days.reduce((s, d) => s + (d.statistic?.session_cnt ?? 0), 0);
    expect(out.summary.metrics.session_cnt).toBe(total);
  });

  it('keeps the day rows in CSV with --summary, and adds the summary as the last row', async () => {
    const run = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '7', '--summary', '--format', 'csv'],
      selfBuiltEnv,
    );
    const rows = parse(run.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(8);
    expect(rows.slice(0, 7).every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.date!))).toBe(true);
    expect(rows[7]!.date).toMatch(/^summary \d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/);
    const total = rows.slice(0, 7).reduce((n, r) => n + Number(r.session_cnt || 0), 0);
    expect(Number(rows[7]!.session_cnt)).toBe(total);
  });

  it('prints a table with labels, and a summary table', async () => {
    const run = await runCli(
      [
        'fetch',
        '--endpoint',
        'corp',
        '--open-kfid',
        openKfid,
        '--last',
        '3',
        '--format',
        'table',
        '--summary',
        '--metrics',
        'session_cnt,ai_transfer_rate',
      ],
      selfBuiltEnv,
    );
    expect(run.stdout).toContain('Date');
    expect(run.stdout).toContain(metricLabel('session_cnt'));
    expect(run.stdout).toContain(metricLabel('ai_transfer_rate', 'zh'));
    expect(run.stdout).toMatch(/of 3 days had data/);
    // The summary's notes are sentences, not objects.
    expect(run.stdout).not.toContain('[object Object]');
    expect(run.stdout).toMatch(/\n3 of 3 days had data\.\nai_knowledge_hit_rate: weighted by ai_session_reply_cnt/);
  });

  it('clamps with a warning on stderr and in JSON, or refuses with --strict', async () => {
    const clamped = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--from', '200 days ago', '--to', '170 days ago', '--format', 'json'],
      selfBuiltEnv,
    );
    expect(clamped.code).toBe(0);
    expect(clamped.stderr).toMatch(/^wecom-kf-stats: warning: Range .* was clamped to/);
    const out = JSON.parse(clamped.stdout) as { days: JsonDay[]; warnings: { code: string }[] };
    expect(out.days).toHaveLength(11);
    expect(out.warnings[0]!.code).toBe('RANGE_CLAMPED');
    const strict = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--from', '200 days ago', '--to', '170 days ago', '--strict'],
      selfBuiltEnv,
    );
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/^wecom-kf-stats: Invalid --from: "\d{4}-\d{2}-\d{2}"\. Allowed: days from/);
  });

  it('reads credentials from a dotenv file and a base URL from the flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-cli-'));
    const file = join(dir, 'wecom.env');
    writeFileSync(file, `WECOM_CORP_ID=${corpId}\nWECOM_CORP_SECRET="${kf.sim.fixtures.selfBuilt.corpSecret}"\n`);
    const run = await runCli(
      [
        'fetch',
        '--endpoint',
        'corp',
        '--open-kfid',
        openKfid,
        '--yesterday',
        '--dotenv',
        file,
        '--base-url',
        kf.sim.url,
        '--format',
        'json',
      ],
      {},
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).days).toHaveLength(1);
  });

  it('uses a token given as WECOM_ACCESS_TOKEN', async () => {
    const token = await fetch(`${kf.sim.url}/cgi-bin/gettoken?corpid=${corpId}&corpsecret=${kf.sim.fixtures.selfBuilt.corpSecret}`).then(
      (r) => r.json() as Promise<{ access_token: string }>,
    );
    const run = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '2', '--format', 'json'], {
      WECOM_BASE_URL: kf.sim.url,
      WECOM_ACCESS_TOKEN: token.access_token,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(token.access_token);
  });

  it('writes what was fetched when a later chunk fails, and says which days are missing', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic', skip: 1 });
    const run = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '62', '--concurrency', '1', '--format', 'json'],
      selfBuiltEnv,
    );
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { days: JsonDay[]; incomplete: { missingDays: string[] } };
    expect(out.days).toHaveLength(31);
    expect(out.incomplete.missingDays).toHaveLength(31);
    expect(run.stderr).toMatch(
      /^wecom-kf-stats: Fetched 31 of 62 days; missing \d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}\. Cause: WeCom \/cgi-bin\/kf\/get_corp_statistic answered errcode 48002/m,
    );
  });

  it('exits 1 with the hint when WeCom refuses', async () => {
    kf.sim.inject({
      kind: 'errcode',
      errcode: 60020,
      errmsg: 'not allow to access from your ip, from ip: 10.1.2.3',
      path: '/cgi-bin/kf/get_corp_statistic',
    });
    const run = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--yesterday'], selfBuiltEnv);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/errcode 60020 .*from ip: 10\.1\.2\.3.*trusted IP list/);
  });
});

describe.skipIf(!existsSync('/usr/bin/script'))('on a terminal', () => {
  it('draws a progress bar on stderr for multi-chunk work and prints a table by default', async () => {
    kf.sim.setLatency(120);
    try {
      const run = await runCliOnTerminal(
        ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '180', '--concurrency', '1'],
        selfBuiltEnv,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Fetching .* [1-5]\/6 chunks \| \d+\/180 days/);
      expect(run.stdout).toMatch(/│ Date +│ Sessions/);
      const quiet = await runCliOnTerminal(
        ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '180', '--no-progress'],
        selfBuiltEnv,
      );
      expect(quiet.stdout).not.toMatch(/Fetching/);
    } finally {
      kf.sim.setLatency(0);
    }
  });
});

describe('accounts and servicers', () => {
  it.each(['json', 'ndjson', 'csv', 'table'] as const)('lists every account as %s', async (format) => {
    const run = await runCli(['accounts', '--format', format], selfBuiltEnv);
    expect(run.code).toBe(0);
    const ids = kf.sim.fixtures.accounts.map((a) => a.open_kfid);
    if (format === 'json')
      expect((JSON.parse(run.stdout) as { accounts: { open_kfid: string }[] }).accounts.map((a) => a.open_kfid)).toEqual(ids);
    if (format === 'ndjson')
      expect(
        run.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { open_kfid: string }).open_kfid),
      ).toEqual(ids);
    if (format === 'csv') expect((parse(run.stdout, { columns: true }) as { open_kfid: string }[]).map((r) => r.open_kfid)).toEqual(ids);
    if (format === 'table') for (const a of kf.sim.fixtures.accounts) expect(run.stdout).toContain(a.name);
  });

  it('lists the servicers of an account', async () => {
    const run = await runCli(['servicers', '--open-kfid', openKfid, '--format', 'json'], selfBuiltEnv);
    expect((JSON.parse(run.stdout) as { servicers: { userid: string }[] }).servicers.map((s) => s.userid)).toEqual(
      kf.sim.fixtures.servicers[openKfid],
    );
  });
});

describe('version', () => {
  it('reports the installed package version', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(manifest.version);
  });
});

describe('help', () => {
  it.each(['fetch', 'accounts', 'servicers', 'demo'])('explains %s with examples or options', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: wecom-kf-stats/);
    if (command !== 'demo') expect(run.stdout).toMatch(/Examples:\n {2}\$ wecom-kf-stats/);
  });
});

describe('bad invocations exit 2 with one line on stderr', () => {
  const corp = () => ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid];
  it.each<[string, () => string[], RegExp, 'creds' | 'none']>([
    ['unknown command', () => ['fecth'], /^wecom-kf-stats: unknown command 'fecth'/, 'none'],
    ['unknown option', () => ['fetch', '--lats', '7'], /^wecom-kf-stats: unknown option '--lats'/, 'creds'],
    [
      'bad format',
      () => ['fetch', '--endpoint', 'component', '--last', '1', '--format', 'xml'],
      /^wecom-kf-stats: option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json, ndjson, csv\./,
      'creds',
    ],
    [
      'bad endpoint',
      () => ['fetch', '--endpoint', 'component', '--last', '1', '--endpoint', 'kf'],
      /argument 'kf' is invalid\. Allowed choices are component, corp, servicer/,
      'creds',
    ],
    ['missing range', () => ['fetch'], /^wecom-kf-stats: Invalid range: none given\. Allowed: --from YYYY-MM-DD/, 'creds'],
    [
      'reversed range',
      () => ['fetch', '--endpoint', 'component', '--from', '3 days ago', '--to', '9 days ago'],
      /^wecom-kf-stats: Invalid --to: "\d{4}-\d{2}-\d{2}" \(the range is reversed\)/,
      'creds',
    ],
    [
      'not a date',
      () => ['fetch', '--endpoint', 'component', '--from', '2026-02-30'],
      /^wecom-kf-stats: Invalid --from: "2026-02-30" \(no such calendar date\)/,
      'creds',
    ],
    [
      'words for a date',
      () => ['fetch', '--endpoint', 'component', '--from', 'last monday'],
      /^wecom-kf-stats: Invalid --from: "last monday"\. Allowed: YYYY-MM-DD/,
      'creds',
    ],
    [
      'future only',
      () => ['fetch', '--endpoint', 'component', '--from', 'today'],
      /^wecom-kf-stats: Invalid --from: "\d{4}-\d{2}-\d{2}" \(the range lies wholly after yesterday/,
      'creds',
    ],
    [
      'too old only',
      () => ['fetch', '--endpoint', 'component', '--from', '400 days ago', '--to', '300 days ago'],
      /^wecom-kf-stats: Invalid --to: .*wholly more than 180 days ago/,
      'creds',
    ],
    [
      'last zero',
      () => ['fetch', '--endpoint', 'component', '--last', '0'],
      /^wecom-kf-stats: Invalid --last: "0"\. Allowed: a whole number of days from 1 to 3660/,
      'creds',
    ],
    ['last words', () => ['fetch', '--endpoint', 'component', '--last', 'week'], /^wecom-kf-stats: Invalid --last: "week"/, 'creds'],
    [
      'last with from',
      () => ['fetch', '--endpoint', 'component', '--last', '3', '--from', 'yesterday'],
      /^wecom-kf-stats: Invalid --last: "3"\. Allowed: either last or from\/to, not both/,
      'creds',
    ],
    [
      'yesterday with last',
      () => ['fetch', '--endpoint', 'component', '--yesterday', '--last', '3'],
      /^wecom-kf-stats: Invalid --yesterday: it cannot be combined with --last/,
      'creds',
    ],
    [
      'strict beyond the window',
      () => ['fetch', '--endpoint', 'component', '--last', '181', '--strict'],
      /^wecom-kf-stats: Invalid --last: "181"\. Allowed: at most 180 days under the strict window policy \(days from/,
      'creds',
    ],
    [
      'corp without account',
      () => ['fetch', '--endpoint', 'corp', '--last', '1'],
      /^wecom-kf-stats: Invalid --open-kfid: missing\. Allowed: an open_kfid/,
      'creds',
    ],
    [
      'component with account',
      () => ['fetch', '--endpoint', 'component', '--open-kfid', 'wk1', '--last', '1'],
      /^wecom-kf-stats: Invalid --open-kfid: "wk1"\. Allowed: no open_kfid for component statistics/,
      'creds',
    ],
    [
      'servicer on corp',
      () => [...corp(), '--servicer', 'u1', '--last', '1'],
      /^wecom-kf-stats: Invalid --servicer: "u1"\. Allowed: a servicer only with endpoint "servicer"/,
      'creds',
    ],
    [
      'metric that is not a field name',
      () => [...corp(), '--last', '1', '--metrics', 'session_cnt,session-cnt'],
      /^wecom-kf-stats: Invalid --metrics: "session-cnt" \(not a field name\)\. Allowed: comma-separated metric keys of corp statistics \(session_cnt/,
      'creds',
    ],
    [
      'servicer-only metric on component',
      () => ['fetch', '--endpoint', 'component', '--last', '1', '--metrics', 'upgrade_service_member_invite_cnt'],
      /^wecom-kf-stats: Invalid --metrics: "upgrade_service_member_invite_cnt" \(a field of servicer statistics only\)\. Allowed: metrics of component statistics/,
      'creds',
    ],
    [
      'concurrency zero',
      () => [...corp(), '--last', '1', '--concurrency', '0'],
      /^wecom-kf-stats: Invalid --concurrency: 0\. Allowed: concurrency: a whole number from 1 to 32/,
      'creds',
    ],
    [
      'concurrency words',
      () => [...corp(), '--last', '1', '--concurrency', 'many'],
      /^wecom-kf-stats: Invalid --concurrency: "many"\./,
      'creds',
    ],
    [
      'timeout too small',
      () => [...corp(), '--last', '1', '--timeout', '1'],
      /^wecom-kf-stats: Invalid --timeout: 1\. Allowed: timeout in ms: a whole number from 100/,
      'creds',
    ],
    [
      'bad base URL',
      () => [...corp(), '--last', '1', '--base-url', 'localhost:8080'],
      /^wecom-kf-stats: Invalid --base-url \(or WECOM_BASE_URL\): "localhost:8080"\. Allowed: an http\(s\) URL/,
      'creds',
    ],
    [
      'missing env file',
      () => [...corp(), '--last', '1', '--dotenv', '/nonexistent/wecom.env'],
      /^wecom-kf-stats: Invalid --dotenv: "\/nonexistent\/wecom\.env" cannot be read \(ENOENT\)/,
      'creds',
    ],
    [
      'no credentials',
      () => [...corp(), '--last', '1'],
      /^wecom-kf-stats: No credentials: set WECOM_ACCESS_TOKEN, or WECOM_CORP_ID \+ WECOM_CORP_SECRET/,
      'none',
    ],
    [
      'half the self-built pair',
      () => [...corp(), '--last', '1'],
      /^wecom-kf-stats: Invalid credentials: WECOM_CORP_SECRET missing/,
      'none',
    ],
    ['servicers without account', () => ['servicers'], /^wecom-kf-stats: required option '--open-kfid <id>' not specified/, 'creds'],
    [
      'demo latency words',
      () => ['demo', '--latency', 'fast'],
      /^wecom-kf-stats: Invalid --latency: "fast"\. Allowed: a whole number from 0 to 10000/,
      'none',
    ],
    ['missing option value', () => ['fetch', '--from'], /^wecom-kf-stats: option '--from <day>' argument missing/, 'creds'],
  ])('%s', async (name, args, message, creds) => {
    const env = creds === 'creds' ? selfBuiltEnv : name === 'half the self-built pair' ? { WECOM_CORP_ID: 'ww1' } : {};
    const run = await runCli(args(), env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(kf.sim.calls.filter((c) => c.path.startsWith('/cgi-bin/kf/'))).toHaveLength(0);
  });
});

describe('secrets', () => {
  const CANARY_SECRET = 'CANARY-cli-secret-4d1e9b';
  it('never prints the secret, even with --verbose and on failure', async () => {
    const env = { WECOM_BASE_URL: kf.sim.url, WECOM_CORP_ID: kf.sim.fixtures.selfBuilt.corpId, WECOM_CORP_SECRET: CANARY_SECRET };
    const failing = await runCli(['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '3', '--verbose'], env);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/40001/);
    const badUrl = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '3', '--verbose', '--base-url', 'http://127.0.0.1:9'],
      env,
    );
    expect(badUrl.code).toBe(1);
    for (const run of [failing, badUrl]) expect(`${run.stdout}${run.stderr}`).not.toContain(CANARY_SECRET);
  });

  it('never prints tokens it fetched', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: -1, path: '/cgi-bin/kf/get_corp_statistic' });
    const run = await runCli(
      ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid, '--last', '3', '--verbose', '--format', 'json'],
      selfBuiltEnv,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/retry 1\/3/);
    const token = await fetch(`${kf.sim.url}/cgi-bin/gettoken?corpid=${corpId}&corpsecret=${kf.sim.fixtures.selfBuilt.corpSecret}`).then(
      (r) => r.json() as Promise<{ access_token: string }>,
    );
    expect(token.access_token.length).toBeGreaterThan(10);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/access_token=(?!\[redacted\])/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(kf.sim.fixtures.selfBuilt.corpSecret);
  });
});

describe('demo', () => {
  it('fetches 180 days from the bundled simulator, prints a table and a summary and writes a CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-demo-'));
    const run = await runCli(['demo', '--latency', '0', '--out', 'out/stats.csv'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Last 14 of 180 days/);
    expect(run.stdout).toMatch(/Summary of all 180 days/);
    expect(run.stdout).toMatch(/Cold fetch: 8 calls \(6 statistics chunks/);
    expect(run.stdout).toMatch(/Repeat: {5}0 calls/);
    const rows = parse(readFileSync(join(dir, 'out', 'stats.csv'), 'utf8'), { columns: true }) as unknown[];
    expect(rows).toHaveLength(180);
  });
});
