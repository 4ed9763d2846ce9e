/**
 * Installing core alone is enough for Node: its packed tarball, installed with npm into an empty
 * folder outside the workspace, runs the README's Node snippet against the simulator.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useSimulator } from '@wecom-kf-stats/test-utils';

const coreDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const kf = useSimulator();
const folder = mkdtempSync(join(tmpdir(), 'kf-core-install-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the packed core', () => {
  it('installs with npm alone and runs the Node entry, undici included', { timeout: 180_000 }, async () => {
    execFileSync('npm', ['pack', '--pack-destination', folder], { cwd: coreDir, stdio: 'pipe' });
    const tarball = readdirSync(folder).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'reader', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`], { cwd: folder, stdio: 'pipe' });
    writeFileSync(
      join(folder, 'snippet.mjs'),
      `import { createNodeClient, summarizeDays } from '@wecom-kf-stats/core/node';
const client = createNodeClient({
  auth: { type: 'selfBuilt', corpId: process.env.WECOM_CORP_ID, corpSecret: process.env.WECOM_CORP_SECRET },
  baseUrl: process.env.WECOM_BASE_URL,
});
const result = await client.getStatistics({ endpoint: 'corp', openKfid: process.env.OPEN_KFID, last: 180 });
console.log(JSON.stringify({ days: result.days.length, sessions: summarizeDays('corp', result.days).metrics.session_cnt }));
await client.close();
`,
    );
    const { selfBuilt, accounts } = kf.sim.fixtures;
    // Asynchronous: the simulator answers from this process's event loop.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['snippet.mjs'], {
      cwd: folder,
      env: {
        PATH: process.env.PATH,
        WECOM_BASE_URL: kf.sim.url,
        WECOM_CORP_ID: selfBuilt.corpId,
        WECOM_CORP_SECRET: selfBuilt.corpSecret,
        OPEN_KFID: accounts[0]!.open_kfid,
      },
      encoding: 'utf8',
    });
    const answer = JSON.parse(out) as { days: number; sessions: number };
    expect(answer.days).toBe(180);
    expect(answer.sessions).toBeGreaterThan(0);
  });
});
