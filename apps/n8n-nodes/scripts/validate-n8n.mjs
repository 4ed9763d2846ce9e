// n8n's own checks for a community package, offline: the verification scan of
// @n8n/scan-community-package (both legs: the sources as the attested checkout, and the packed
// tarball's compiled .js and package.json) and `n8n-node lint` with this package's eslint.config.mjs.
// Run after `pnpm build`. Exits non-zero when any of them reports an error.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Module, { createRequire } from 'node:module';

// @n8n/scan-community-package 0.32.0 depends on typescript 7.0.2, the native port without a JS
// API, and its TypeScript parser then fails to load (`ts.Extension` is undefined). The parser
// supports TypeScript 5.x: hand it this package's own typescript.
const typescript = createRequire(import.meta.url).resolve('typescript');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'typescript' ? typescript : request, ...rest);
};
const { analyzePackage, SOURCE_FILE_PATTERNS } = await import('@n8n/scan-community-package/scanner/scanner.mjs');

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
let failed = false;

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function report(leg, result) {
  if (result.passed) console.log(`✅ ${leg}: passed${result.message ? ` (${result.message})` : ''}`);
  else {
    failed = true;
    console.log(`❌ ${leg}: ${result.message}`);
    if (result.details) console.log(result.details);
  }
}

try {
  report('scan, source leg', await analyzePackage(packageDir, SOURCE_FILE_PATTERNS));

  // npm pack is what `npm publish` uploads (files, README, LICENSE, package.json).
  run('npm', ['pack', '--silent', '--pack-destination', work], packageDir);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  const unpacked = join(work, 'package');
  mkdirSync(unpacked);
  run('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], work);
  report(`scan, tarball leg (${tarball})`, await analyzePackage(unpacked, ['**/*.js', 'package.json']));
} finally {
  rmSync(work, { recursive: true, force: true });
}

// n8n-node and the eslint it starts, from this package's devDependencies.
const bin = join(packageDir, 'node_modules', '.bin');
const lint = spawnSync(join(bin, 'n8n-node'), ['lint'], {
  cwd: packageDir,
  encoding: 'utf8',
  stdio: 'pipe',
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, FORCE_COLOR: '0' },
});
const lintOutput = `${lint.stdout ?? ''}${lint.stderr ?? ''}`.trim();
if (lint.status === 0) console.log(`✅ n8n-node lint: passed${lintOutput ? `\n${lintOutput}` : ''}`);
else {
  failed = true;
  console.log(`❌ n8n-node lint: exit ${lint.status ?? lint.error?.message}\n${lintOutput}`);
}

process.exit(failed ? 1 : 0);
