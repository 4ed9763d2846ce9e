/**
 * n8n's own checks on the built package: the verification scan (sources and packed tarball) and
 * `n8n-node lint` with the package's default eslint.config.mjs, through `pnpm run validate:n8n`'s
 * script.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { packageDir } from './n8n-harness.mjs';

// eslint-plugin-n8n-nodes-base switches to its own test fixtures' file names when NODE_ENV is
// "test" (vitest sets it): the checks run as they do from a shell.
const { NODE_ENV: _nodeEnv, ...env } = process.env;

test('the n8n verification scan (both legs) and n8n-node lint pass', () => {
  const run = spawnSync(process.execPath, [join(packageDir, 'scripts', 'validate-n8n.mjs')], {
    cwd: packageDir,
    encoding: 'utf8',
    env,
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(output).toContain('✅ scan, source leg: passed');
  expect(output).toMatch(/✅ scan, tarball leg \(n8n-nodes-wecom-kf-stats-[\d.]+\.tgz\): passed/);
  expect(output).toContain('✅ n8n-node lint: passed');
  expect(run.status, output).toBe(0);
}, 180_000);
