/**
 * Packs the built plugin (dist/) the way Grafana's plugin catalog expects a submission:
 * artifacts/<plugin id>-<version>.zip with one top-level folder named after the plugin id, plus its
 * SHA-1 (artifacts/<plugin id>-<version>.zip.sha1) for the submission form.
 *
 * Usage: node scripts/zip-plugin.mjs [distDir] [outDir]   (run `pnpm build` first; `pnpm package` does both)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Writes the archive and returns its path, plugin id, version and SHA-1. */
export function zipPlugin({ distDir = join(root, 'dist'), outDir = join(root, 'artifacts') } = {}) {
  const pluginJsonPath = join(distDir, 'plugin.json');
  if (!existsSync(pluginJsonPath)) throw new Error(`${pluginJsonPath} is missing: build the plugin first (pnpm build)`);
  const plugin = JSON.parse(readFileSync(pluginJsonPath, 'utf8'));
  const { id } = plugin;
  const version = plugin.info?.version;
  if (!id || !version || /%[A-Z_]+%/.test(version)) throw new Error(`dist/plugin.json has no built id and version (${id}, ${version})`);

  const entries = {};
  // Fixed timestamps keep the archive (and its SHA-1) the same for the same build.
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const file of listFiles(distDir).sort()) {
    const name = `${id}/${relative(distDir, file).split(sep).join('/')}`;
    entries[name] = [new Uint8Array(readFileSync(file)), { mtime }];
  }
  const zip = zipSync(entries, { level: 9 });
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `${id}-${version}.zip`);
  writeFileSync(zipPath, zip);
  const sha1 = createHash('sha1').update(zip).digest('hex');
  writeFileSync(`${zipPath}.sha1`, `${sha1}\n`);
  return { zipPath, id, version, sha1, files: Object.keys(entries) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [distDir, outDir] = process.argv.slice(2);
  const { zipPath, sha1, files } = zipPlugin({
    distDir: distDir ? resolve(distDir) : undefined,
    outDir: outDir ? resolve(outDir) : undefined,
  });
  console.log(`${relative(process.cwd(), zipPath)} (${files.length} files, sha1 ${sha1})`);
}
