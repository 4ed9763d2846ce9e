#!/usr/bin/env node
// Totals the vitest JSON reports that `pnpm test` asks every package to write, and prints one
// closing line for the whole workspace. `--clean` removes reports left by an earlier run.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const REPORT = '.vitest-report.json';
const root = join(import.meta.dirname, '..');
const packages = ['packages', 'apps', '.'].flatMap((dir) =>
  dir === '.'
    ? ['bench']
    : readdirSync(join(root, dir), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(dir, d.name)),
);
const reports = packages.map((dir) => join(root, dir, REPORT)).filter((file) => existsSync(file));

if (process.argv.includes('--clean')) {
  for (const file of reports) rmSync(file);
  process.exit(0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  const name = file.slice(root.length + 1, -REPORT.length - 1);
  console.log(`  ${name.padEnd(28)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || reports.length === 0 ? 1 : 0);
