/**
 * The command line never hurts its user: bad input that used to pass is refused (exit 2), long
 * waits are said, Ctrl+C keeps what arrived, unknown fields reach the output.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { pinnedClockEnv, useSimulator } from '@wecom-kf-stats/test-utils';
import { main, type CliIO } from '../src/program.js';
import { createProgress } from '../src/progress.js';
import { BIN, runCli } from './run-cli.js';

const kf = useSimulator();
let env: Record<string, string>;
let openKfid: string;

beforeAll(() => {
  const { selfBuilt, accounts } = kf.sim.fixtures;
  env = { WECOM_BASE_URL: kf.sim.url, WECOM_CORP_ID: selfBuilt.corpId, WECOM_CORP_SECRET: selfBuilt.corpSecret };
  openKfid = accounts[0]!.open_kfid;
});

const corp = () => ['fetch', '--endpoint', 'corp', '--open-kfid', openKfid];
/** A service provider's credentials of the simulator. */
const suiteEnv = () => {
  const { suite } = kf.sim.fixtures;
  return {
    WECOM_SUITE_ID: suite.suiteId,
    WECOM_SUITE_SECRET: suite.suiteSecret,
    WECOM_SUITE_TICKET: suite.suiteTicket,
    WECOM_AUTH_CORP_ID: suite.authCorpId,
    WECOM_PERMANENT_CODE: suite.permanentCode,
  };
};

describe('bad input that used to pass exits 2 with one line', () => {
  it.each<[string, () => string[], RegExp, () => Record<string, string>]>([
    [
      'a last of 700000 days',
      () => [...corp(), '--last', '700000'],
      /^wecom-kf-stats: Invalid --last: "700000"\. Allowed: a whole number of days from 1 to 3660/,
      () => env,
    ],
    [
      'a last of 700000 days with --strict',
      () => [...corp(), '--last', '700000', '--strict'],
      /^wecom-kf-stats: Invalid --last: "700000"\. Allowed: a whole number of days from 1 to 3660/,
      () => env,
    ],
    ['a last of 375000 days', () => [...corp(), '--last', '375000'], /^wecom-kf-stats: Invalid --last: "375000"\./, () => env],
    [
      'a date without dashes',
      () => [...corp(), '--from', '20261101'],
      /^wecom-kf-stats: Invalid --from: "20261101" \(a date without dashes is ambiguous with epoch seconds: write 2026-11-01\)/,
      () => env,
    ],
    [
      'a date without dashes for --to',
      () => [...corp(), '--from', '2026-11-01', '--to', '20261105'],
      /^wecom-kf-stats: Invalid --to: "20261105" \(a date without dashes/,
      () => env,
    ],
    [
      'an empty --metrics',
      () => [...corp(), '--last', '1', '--metrics', ''],
      /^wecom-kf-stats: Invalid --metrics: ""\. Allowed: comma-separated metric keys/,
      () => env,
    ],
    [
      'a --metrics of commas',
      () => [...corp(), '--last', '1', '--metrics', ' , ,'],
      /^wecom-kf-stats: Invalid --metrics: " , ,"\. Allowed: comma-separated metric keys/,
      () => env,
    ],
    [
      'a metric key that is not a field name',
      () => [...corp(), '--last', '1', '--metrics', 'session count'],
      /^wecom-kf-stats: Invalid --metrics: "session count" \(not a field name\)\. Allowed: comma-separated metric keys of corp statistics/,
      () => env,
    ],
    [
      'an access token beside corp credentials',
      () => [...corp(), '--last', '1'],
      /^wecom-kf-stats: Invalid credentials: more than one set is given: WECOM_ACCESS_TOKEN \(an access token\) and WECOM_CORP_ID \+ WECOM_CORP_SECRET \(a self-built app\)\. Allowed: exactly one set; unset the others\./,
      () => ({ ...env, WECOM_ACCESS_TOKEN: 'some-token-value' }),
    ],
    [
      "a provider's suite beside a corp's app, without --endpoint",
      () => ['fetch', '--last', '1'],
      /^wecom-kf-stats: Invalid --endpoint: missing\. Allowed: component \(with WECOM_SUITE_ID \+ WECOM_SUITE_SECRET \+ WECOM_SUITE_TICKET \+ WECOM_AUTH_CORP_ID \+ WECOM_PERMANENT_CODE \(a service provider\)\) or corp \/ servicer \(with WECOM_CORP_ID \+ WECOM_CORP_SECRET \(a self-built app\)\); both kinds of credentials are set/,
      () => ({ ...env, ...suiteEnv() }),
    ],
    [
      'a token service beside a suite ticket',
      () => ['fetch', '--endpoint', 'component', '--last', '1'],
      /^wecom-kf-stats: Invalid credentials: more than one set is given: WECOM_SUITE_TICKET \(a service provider\) and WECOM_TOKEN_SERVICE_URL \(a token service\)/,
      () => ({ WECOM_BASE_URL: kf.sim.url, WECOM_SUITE_TICKET: 'ticket-abcdef', WECOM_TOKEN_SERVICE_URL: 'http://127.0.0.1:1/token' }),
    ],
  ])('%s', async (_name, args, message, envOf) => {
    const run = await runCli(args(), envOf());
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(kf.sim.calls.filter((c) => c.path.startsWith('/cgi-bin/kf/'))).toHaveLength(0);
  });

  it("fetches with the set --endpoint names when a provider's suite and a corp's app are both set", async () => {
    const both = { ...env, ...suiteEnv() };
    const corpRun = await runCli([...corp(), '--last', '2', '--format', 'json'], both);
    expect(corpRun.code, corpRun.stderr).toBe(0);
    expect(JSON.parse(corpRun.stdout)).toMatchObject({ endpoint: 'corp' });
    const componentRun = await runCli(['fetch', '--endpoint', 'component', '--last', '2', '--format', 'json'], both);
    expect(componentRun.code, componentRun.stderr).toBe(0);
    expect(JSON.parse(componentRun.stdout)).toMatchObject({ endpoint: 'component' });
    // The accounts command takes no --endpoint: two sets are one too many there.
    const accounts = await runCli(['accounts'], both);
    expect(accounts.code).toBe(2);
    expect(accounts.stderr).toMatch(/Invalid credentials: more than one set is given/);
  });

  it('never echoes the access token it refuses', async () => {
    const run = await runCli([...corp(), '--last', '1'], { ...env, WECOM_ACCESS_TOKEN: 'CANARY-token-9f8e7d' });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('CANARY-token-9f8e7d');
  });
});

/** Run the command in this process, with stdout and stderr collected and an instant sleep. */
async function runInProcess(args: string[], sleeps: number[]) {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        write(chunk.toString());
        done();
      },
    });
  const io: CliIO = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const code = await main(args, io, { demo: async () => {} });
  return { code, stdout, stderr };
}

describe('waits are said', () => {
  it('announces each minute-long wait after 45009 on stderr, without --verbose', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 45009, path: '/cgi-bin/kf/get_corp_statistic', times: 3 });
    const sleeps: number[] = [];
    const run = await runInProcess([...corp(), '--last', '3', '--format', 'json'], sleeps);
    expect(run.code).toBe(0);
    expect(sleeps.every((ms) => ms >= 60_000)).toBe(true);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(
        new RegExp(
          `^wecom-kf-stats: waiting 1 min( \\d+ s)? before retry ${i + 1}/3 of /cgi-bin/kf/get_corp_statistic: WeCom's call-frequency limit \\(errcode 45009; a minute block lasts 60 s, page 90454\\)$`,
        ),
      ),
    );
    expect(JSON.parse(run.stdout).days).toHaveLength(3);
  });

  it('keeps short waits quiet', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: -1, path: '/cgi-bin/kf/get_corp_statistic' });
    const run = await runInProcess([...corp(), '--last', '3', '--format', 'json'], []);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('shows the wait in the progress bar on a terminal', () => {
    let text = '';
    const tty = Object.assign(new Writable({ write: (chunk: Buffer, _e, done) => ((text += chunk.toString()), done()) }), {
      isTTY: true,
      columns: 200,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    const progress = createProgress(tty, true);
    progress.update({ completedChunks: 1, totalChunks: 6, completedDays: 31, totalDays: 180, cachedDays: 0 });
    expect(progress.active()).toBe(true);
    progress.say('waiting 1 min before retry 1/3: errcode 45009');
    progress.stop();
    expect(text).toMatch(/Fetching .* 1\/6 chunks \| 31\/180 days \| waiting 1 min before retry 1\/3: errcode 45009/);
  });
});

describe('Ctrl+C', () => {
  it('writes the days that arrived, marked incomplete, and exits 130', async () => {
    kf.sim.setLatency(300);
    try {
      const child = spawn(process.execPath, [BIN, ...corp(), '--last', '180', '--concurrency', '1', '--format', 'json', '--no-progress'], {
        env: { PATH: process.env.PATH ?? '', ...pinnedClockEnv(), ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Interrupt once two chunks have been asked for, well before the six are done.
      while (kf.sim.callCount('/cgi-bin/kf/get_corp_statistic') < 2) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const code = await exited;
      expect(code).toBe(130);
      const out = JSON.parse(stdout) as { days: { date: string }[]; incomplete: { missingDays: string[] } };
      expect(out.days.length).toBeGreaterThanOrEqual(31);
      expect(out.days.length).toBeLessThan(180);
      expect(out.days.length + out.incomplete.missingDays.length).toBe(180);
      expect(stderr).toMatch(
        new RegExp(
          `^wecom-kf-stats: interrupted; wrote the ${out.days.length} days fetched, marked incomplete \\(missing ${180 - out.days.length}\\)\\n$`,
        ),
      );
    } finally {
      kf.sim.setLatency(0);
    }
  });
});

describe('fields WeCom added that the catalog does not know yet', () => {
  it.each(['json', 'ndjson', 'csv'])('are kept by default in %s', async (format) => {
    kf.sim.setExtraFields({ brand_new_cnt: 7 });
    const run = await runCli([...corp(), '--last', '2', '--format', format], env);
    expect(run.code).toBe(0);
    if (format === 'csv') {
      const rows = parse(run.stdout, { columns: true }) as Record<string, string>[];
      expect(rows.filter((r) => r.session_cnt !== '').every((r) => r.brand_new_cnt === '7')).toBe(true);
    } else {
      const days =
        format === 'json'
          ? (JSON.parse(run.stdout) as { days: { statistic: Record<string, unknown> | null }[] }).days
          : run.stdout
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l));
      const withData = days.filter((d: { statistic: unknown }) => d.statistic !== null);
      expect(withData.length).toBeGreaterThan(0);
      for (const day of withData) expect(day.statistic.brand_new_cnt).toBe(7);
    }
  });

  it('are accepted in --metrics and labelled by their key', async () => {
    kf.sim.setExtraFields({ brand_new_cnt: 7 });
    const json = await runCli([...corp(), '--last', '2', '--format', 'json', '--metrics', 'session_cnt,brand_new_cnt'], env);
    expect(json.code).toBe(0);
    const days = (JSON.parse(json.stdout) as { days: { statistic: Record<string, unknown> | null }[] }).days.filter((d) => d.statistic);
    for (const day of days) expect(Object.keys(day.statistic!)).toEqual(['session_cnt', 'brand_new_cnt']);
    const table = await runCli([...corp(), '--last', '2', '--format', 'table', '--metrics', 'session_cnt,brand_new_cnt'], env);
    expect(table.stdout).toMatch(/Sessions\s+│\s+brand_new_cnt/);
  });
});
