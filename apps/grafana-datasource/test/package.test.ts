// @vitest-environment node
/**
 * The distributable zip (scripts/zip-plugin.mjs, run after the build) and the offline checks of
 * Grafana's plugin validator (scripts/plugin-checks.mjs) on it: what the zip holds, that every check
 * passes on it, and that each check catches the fault it is about.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkPluginArchive, readZip } from '../scripts/plugin-checks.mjs';
import { zipPlugin } from '../scripts/zip-plugin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const ID = 'wecomkfstats-kfstats-datasource';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

let out: string;
let zip: ReturnType<typeof zipPlugin>;
let files: Record<string, Buffer>;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'kf-grafana-zip-'));
  zip = zipPlugin({ distDir: dist, outDir: out });
  files = readZip(zip.zipPath);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const failures = (archive: Record<string, Buffer>, sourceDir = root) =>
  checkPluginArchive(archive, sourceDir)
    .filter((r) => !r.ok)
    .map((r) => r.check);

describe('the plugin zip', () => {
  test('is named <id>-<version>.zip and holds dist/ under one folder named after the plugin id', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    expect(relative(out, zip.zipPath)).toBe(`${ID}-${version}.zip`);
    const expected = listFiles(dist).map((f) => `${ID}/${relative(dist, f).split(sep).join('/')}`);
    expect(Object.keys(files).sort()).toEqual(expected.sort());
    for (const name of expected) expect(files[name]!.equals(readFileSync(join(dist, name.slice(ID.length + 1))))).toBe(true);
    expect(readFileSync(`${zip.zipPath}.sha1`, 'utf8').trim()).toBe(createHash('sha1').update(readFileSync(zip.zipPath)).digest('hex'));
  });

  test('carries the module and its source map, plugin.json, logo, screenshot, dashboard, README, CHANGELOG and LICENSE', () => {
    for (const name of [
      'module.js',
      'module.js.map',
      'plugin.json',
      'img/logo.svg',
      'img/screenshot-editors.png',
      'dashboards/kf-overview.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
    ]) {
      expect(files[`${ID}/${name}`], name).toBeDefined();
    }
    expect(files[`${ID}/LICENSE`]!.toString('utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(files[`${ID}/LICENSE`]!.toString('utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 wecom-kf-stats maintainers\n/);
  });

  test('passes every offline check of the plugin validator', () => {
    const results = checkPluginArchive(zip.zipPath, root);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.check)).toEqual(
      expect.arrayContaining([
        'archive',
        'license',
        'brokenlinks (relative links)',
        'jssourcemap',
        'buildtools',
        'changelog',
        'screenshots',
      ]),
    );
    // The bundled core is mapped to its TypeScript sources in this repository.
    const map = JSON.parse(files[`${ID}/module.js.map`]!.toString('utf8')) as { sources: string[] };
    expect(map.sources).toContain(`webpack://${ID}/../../../packages/core/src/client.ts`);
  });
});

describe('the offline checks catch', () => {
  const without = (name: string) => Object.fromEntries(Object.entries(files).filter(([k]) => k !== `${ID}/${name}`));
  const replacing = (name: string, text: string) => ({ ...files, [`${ID}/${name}`]: Buffer.from(text) });
  const pluginJson = () => JSON.parse(files[`${ID}/plugin.json`]!.toString('utf8'));

  test('a missing LICENSE, or a license template', () => {
    expect(failures(without('LICENSE'))).toEqual(['license']);
    expect(failures(replacing('LICENSE', 'Copyright {yyyy} {name of copyright owner}\n\nApache License\nVersion 2.0'))).toEqual([
      'license',
    ]);
  });

  test('a relative link in the README', () => {
    const readme = files[`${ID}/README.md`]!.toString('utf8');
    expect(failures(replacing('README.md', `${readme}\nSee [the docs](docs/setup.md).\n`))).toEqual(['brokenlinks (relative links)']);
  });

  test('source maps naming files that are not in the repository, or whose text differs', () => {
    const map = JSON.parse(files[`${ID}/module.js.map`]!.toString('utf8')) as { sources: string[]; sourcesContent: string[] };
    const core = map.sources.indexOf(`webpack://${ID}/../../../packages/core/src/client.ts`);
    const moved = { ...map, sources: map.sources.map((s, i) => (i === core ? `webpack://${ID}/../src/client.ts` : s)) };
    expect(failures(replacing('module.js.map', JSON.stringify(moved)))).toEqual(['jssourcemap']);
    const edited = { ...map, sourcesContent: map.sourcesContent.map((c, i) => (i === core ? `${c}\n// edited` : c)) };
    expect(failures(replacing('module.js.map', JSON.stringify(edited)))).toEqual(['jssourcemap']);
    expect(failures(without('module.js.map'))).toEqual(['jssourcemap']);
  });

  test('a build without create-plugin standard .config/', () => {
    const bare = mkdtempSync(join(tmpdir(), 'kf-grafana-src-'));
    try {
      expect(failures(files, bare)).toEqual(['packagejson', 'buildtools', 'jssourcemap']);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test('a missing CHANGELOG, and no screenshots in plugin.json', () => {
    expect(failures(without('CHANGELOG.md'))).toEqual(['changelog']);
    const noShots = pluginJson();
    noShots.info.screenshots = [];
    expect(failures(replacing('plugin.json', JSON.stringify(noShots)))).toEqual(['screenshots']);
    expect(failures(replacing('img/screenshot-editors.png', '<svg></svg>'))).toEqual(['screenshots']);
  });

  test('an archive that is not one folder named after the plugin id', () => {
    expect(failures({ ...files, 'stray.txt': Buffer.from('x') })).toEqual(['archive']);
    const renamed = Object.fromEntries(Object.entries(files).map(([k, v]) => [k.replace(`${ID}/`, 'dist/'), v]));
    expect(failures(renamed)).toEqual(['archivename']);
  });
});
