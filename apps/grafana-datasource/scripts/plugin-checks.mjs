/**
 * The checks of Grafana's plugin validator (github.com/grafana/plugin-validator) that need no network
 * and no external scanner, run on the distributable zip against this source tree. Each check is named
 * after the validator's analyzer it follows.
 *
 * Usage: node scripts/plugin-checks.mjs [zip]   (default: artifacts/<id>-<version>.zip from `pnpm package`)
 * Exits 1 when a check fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Checks the validator runs that cannot run here, and why. */
export const NOT_RUN_OFFLINE = [
  'brokenlinks (fetches every link), safelinks (Google Web Risk API)',
  'org, published, version, metadataschema, legacyplatform (read grafana.com)',
  'signature, manifest (the plugin is signed by grafana.com after review)',
  'osvscanner, coderules, virusscan, trackingscripts, llmreview, provenance (external scanners and services)',
  'backendbinary, binarypermissions, gomanifest, gosec, govulncheck, sdkusage (no backend in this plugin)',
];

const IMAGE_TYPES = {
  '.png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  '.jpg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  '.jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  '.gif': (b) => b.subarray(0, 4).toString('latin1') === 'GIF8',
  '.webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  '.svg': (b) => /<svg[\s>]/.test(b.subarray(0, 2048).toString('utf8')),
};

/** Reads a zip into { 'dir/file': Buffer }. */
export function readZip(zipPath) {
  const files = {};
  for (const [name, data] of Object.entries(unzipSync(new Uint8Array(readFileSync(zipPath))))) {
    if (!name.endsWith('/')) files[name] = Buffer.from(data);
  }
  return files;
}

/**
 * Runs the offline checks on an archive (a zip path, or the { path: Buffer } map readZip returns)
 * against the plugin's source folder. Returns [{ check, ok, message }].
 */
export function checkPluginArchive(archive, sourceDir = root) {
  const files = typeof archive === 'string' ? readZip(archive) : archive;
  const results = [];
  const report = (check, ok, message) => results.push({ check, ok, message });

  const tops = [...new Set(Object.keys(files).map((name) => name.split('/')[0]))];
  if (tops.length !== 1 || Object.keys(files).some((name) => !name.includes('/'))) {
    report('archive', false, `the archive must hold exactly one top-level folder, found: ${tops.join(', ') || 'nothing'}`);
    return results;
  }
  const top = tops[0];
  const file = (path) => files[`${top}/${path}`];
  report(
    'archive',
    !file('dist/plugin.json'),
    `one top-level folder ${top}/${file('dist/plugin.json') ? ' (with a legacy dist/ inside)' : ''}`,
  );

  const pluginJsonText = file('plugin.json')?.toString('utf8');
  if (!pluginJsonText) {
    report('metadata', false, 'plugin.json is missing at the top of the plugin folder');
    return results;
  }
  let plugin;
  try {
    plugin = JSON.parse(pluginJsonText);
  } catch (error) {
    report('metadata', false, `plugin.json is not JSON: ${error.message}`);
    return results;
  }
  const info = plugin.info ?? {};
  const missing = ['id', 'name', 'type'].filter((k) => !plugin[k]);
  for (const k of ['version', 'updated']) if (!info[k] || /%[A-Z_]+%/.test(info[k])) missing.push(`info.${k}`);
  if (!info.author?.name) missing.push('info.author.name');
  if (!plugin.dependencies?.grafanaDependency) missing.push('dependencies.grafanaDependency');
  report(
    'metadata',
    missing.length === 0,
    missing.length ? `plugin.json lacks ${missing.join(', ')}` : 'plugin.json has the required fields',
  );

  report('archivename', top === plugin.id, `top-level folder ${top} ${top === plugin.id ? 'is' : 'is not'} the plugin id ${plugin.id}`);
  const idParts = String(plugin.id).split('-');
  report('typesuffix', idParts.at(-1) === plugin.type, `plugin id ends with its type (${plugin.type})`);
  report(
    'pluginname',
    plugin.id !== plugin.name && idParts.length >= 3,
    `human-friendly name "${plugin.name}", id of the form <org>-<name>-<type>`,
  );
  report(
    'discoverability',
    Boolean(info.description) && (info.keywords ?? []).length > 0,
    `description and ${(info.keywords ?? []).length} keywords`,
  );
  const dep = plugin.dependencies?.grafanaDependency ?? '';
  const depValid = /^(>=|>|\^|~)?\s*\d+\.\d+\.\d+(\s*(<|<=)\s*\d+\.\d+\.\d+)?$/.test(dep);
  report('grafanadependency', depValid, `grafanaDependency ${dep}`);
  report(
    'restrictivedep',
    !/^\d+\.\d+\.x$/.test(dep) && !/^\d+\.\d+\.\d+$/.test(dep),
    `grafanaDependency ${dep} admits later Grafana versions`,
  );

  report('modulejs', Boolean(file('module.js')), 'module.js');

  const logos = [info.logos?.small, info.logos?.large];
  const screenshots = (info.screenshots ?? []).map((s) => s.path);
  const includes = (plugin.includes ?? []).filter((i) => i.path).map((i) => i.path);
  const badPaths = [];
  for (const path of [...logos, ...screenshots, ...includes]) {
    if (!path || !path.trim()) badPaths.push('(empty path)');
    else if (/^[a-z]+:\/\//i.test(path) || path.startsWith('.') || path.startsWith('/'))
      badPaths.push(`${path} (must be relative to plugin.json, without ./ or /)`);
    else if (!file(path)) badPaths.push(`${path} (not in the archive)`);
  }
  report(
    'metadatapaths',
    badPaths.length === 0,
    badPaths.length
      ? badPaths.join('; ')
      : `${logos.length + screenshots.length + includes.length} paths in plugin.json resolve inside the archive`,
  );
  report(
    'logos',
    logos.every((l) => l && l.trim()),
    'small and large logos',
  );

  const badImages = screenshots.filter((path) => {
    const data = file(path);
    const matches = IMAGE_TYPES[extname(path).toLowerCase()];
    return !data || !matches || !matches(data);
  });
  report(
    'screenshots',
    screenshots.length > 0 && badImages.length === 0,
    screenshots.length === 0
      ? 'plugin.json lists no screenshots'
      : badImages.length
        ? `not an image of its extension's type: ${badImages.join(', ')}`
        : `${screenshots.length} screenshot(s): ${screenshots.join(', ')}`,
  );

  const unsafeSvgs = Object.keys(files)
    .filter((name) => name.toLowerCase().endsWith('.svg'))
    .filter((name) =>
      /<script|\son[a-z]+\s*=|javascript:|<foreignObject|(?:xlink:)?href\s*=\s*["']https?:/i.test(files[name].toString('utf8')),
    );
  report(
    'unsafesvg',
    unsafeSvgs.length === 0,
    unsafeSvgs.length
      ? `scripts, event handlers or external references in ${unsafeSvgs.join(', ')}`
      : 'no scripts, event handlers or external references in SVGs',
  );

  const license = file('LICENSE')?.toString('utf8');
  const known =
    license &&
    ((/Permission is hereby granted, free of charge/.test(license) &&
      /MIT License|THE SOFTWARE IS PROVIDED "AS IS"/.test(license) &&
      'MIT') ||
      (/Apache License/.test(license) && /Version 2\.0/.test(license) && 'Apache-2.0') ||
      (/GNU (AFFERO |LESSER )?GENERAL PUBLIC LICENSE/.test(license) && /Version 3/.test(license) && 'GPL-3.0 family'));
  const template = license && /\{name of copyright owner\}|\{yyyy\}|\[yyyy\]|\[fullname\]|<year>|<copyright holders>/i.test(license);
  report(
    'license',
    Boolean(known) && !template,
    !license
      ? 'LICENSE is missing from the archive'
      : template
        ? 'LICENSE still has template placeholders'
        : known
          ? `LICENSE (${known})`
          : 'LICENSE is not a license the catalog accepts',
  );

  const readme = file('README.md')?.toString('utf8');
  report('readme', Boolean(readme && readme.trim()), readme ? 'README.md' : 'README.md is missing from the archive');
  if (readme) {
    report(
      'templatereadme',
      !/Grafana (Panel|Data Source|Datasource|App|Data Source Backend) Plugin Template/i.test(readme),
      'README.md is not the template README',
    );
    const jargon = ['yarn', 'nodejs'].filter((word) => readme.includes(word));
    report(
      'jargon',
      jargon.length === 0,
      jargon.length ? `README.md contains developer jargon: ${jargon.join(', ')}` : 'no developer jargon in README.md',
    );
    const relativeLinks = [...readme.matchAll(/\[.+?\]\((.+?)\)/g)]
      .map((m) => m[1].trim().split(/\s+/)[0])
      .filter((link) => !link.startsWith('#') && !link.startsWith('mailto:') && !/^https?:\/\//.test(link));
    report(
      'brokenlinks (relative links)',
      relativeLinks.length === 0,
      relativeLinks.length
        ? `README.md: convert relative links to absolute: ${relativeLinks.join(', ')}`
        : 'every README.md link is absolute',
    );
  }

  const changelog = file('CHANGELOG.md')?.toString('utf8');
  report('changelog', Boolean(changelog && changelog.trim()), changelog ? 'CHANGELOG.md' : 'CHANGELOG.md is missing from the archive');

  const packageJsonPath = join(sourceDir, 'package.json');
  const packageJson = existsSync(packageJsonPath) ? JSON.parse(readFileSync(packageJsonPath, 'utf8')) : undefined;
  report(
    'packagejson',
    packageJson?.version === info.version,
    packageJson
      ? `package.json version ${packageJson.version}, plugin.json version ${info.version}`
      : 'package.json is missing from the source folder',
  );
  const toolkit = Object.entries(packageJson?.scripts ?? {}).filter(([, cmd]) => String(cmd).includes('grafana-toolkit '));
  report(
    'legacybuilder',
    toolkit.length === 0,
    toolkit.length ? `scripts use grafana-toolkit: ${toolkit.map(([n]) => n).join(', ')}` : 'no grafana-toolkit scripts',
  );

  const webpackConfig = join(sourceDir, '.config', 'webpack', 'webpack.config.ts');
  report(
    'buildtools',
    existsSync(webpackConfig) && readFileSync(webpackConfig, 'utf8').includes('@grafana/create-plugin'),
    existsSync(webpackConfig)
      ? `${relative(sourceDir, webpackConfig)} from @grafana/create-plugin`
      : `${relative(sourceDir, webpackConfig)} is missing: not create-plugin's standard build`,
  );

  const moduleFiles = Object.keys(files).filter((name) => name.endsWith('/module.js'));
  for (const moduleFile of moduleFiles) {
    const mapName = `${moduleFile}.map`;
    if (!files[mapName]) {
      report('jssourcemap', false, `${mapName} is missing from the archive`);
      continue;
    }
    report('jssourcemap', ...checkSourceMap(files[mapName].toString('utf8'), plugin.id, join(sourceDir, 'src'), mapName));
  }
  return results;
}

const IGNORED_PREFIXES = ['external ', 'webpack/', '../node_modules', './node_modules/'];
const IGNORED_EXTENSIONS = ['.css', '.scss', '.sass', '.less', '.svg', '.json'];

/** The validator's source-map comparison: every source outside node_modules is a file of src/ (resolved from it) with the same text. */
function checkSourceMap(text, pluginId, srcDir, mapName) {
  let map;
  try {
    map = JSON.parse(text);
  } catch {
    return [false, `${mapName} is not JSON`];
  }
  const sources = map.sources ?? [];
  const contents = map.sourcesContent ?? [];
  if (sources.length === 0 || contents.length === 0 || sources.length !== contents.length) {
    return [false, `${mapName} must list its sources with their sourcesContent`];
  }
  const prefix = new RegExp(`^webpack://${pluginId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/*|^webpack:/*`);
  const differ = [];
  let compared = 0;
  sources.forEach((source, i) => {
    const name = source.replace(prefix, '');
    const bare = name.split('?')[0];
    if (IGNORED_PREFIXES.some((p) => name.startsWith(p)) || bare.includes('/node_modules/.pnpm/')) return;
    if (IGNORED_EXTENSIONS.some((ext) => bare.endsWith(ext))) return;
    compared++;
    const path = join(srcDir, name);
    if (!existsSync(path)) differ.push(`${name} (no such file)`);
    else if (readFileSync(path, 'utf8').replace(/\r\n/g, '\n') !== String(contents[i]).replace(/\r\n/g, '\n'))
      differ.push(`${name} (differs)`);
  });
  return differ.length
    ? [false, `${mapName}: ${differ.length} source(s) do not match the source tree: ${differ.join(', ')}`]
    : [true, `${mapName}: all ${compared} sources resolve to files of the repository with the same text`];
}

function defaultZip() {
  const plugin = JSON.parse(readFileSync(join(root, 'dist', 'plugin.json'), 'utf8'));
  return join(root, 'artifacts', `${plugin.id}-${plugin.info.version}.zip`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const zipPath = resolve(process.argv[2] ?? defaultZip());
  if (!existsSync(zipPath)) {
    console.error(`${zipPath} is missing: run pnpm package first`);
    process.exit(1);
  }
  const results = checkPluginArchive(zipPath);
  console.log(`Grafana plugin-validator checks (offline) on ${relative(process.cwd(), zipPath)}:`);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.check}: ${r.message}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed.`);
  console.log(`Not run (need the network or services): ${NOT_RUN_OFFLINE.join('; ')}.`);
  process.exit(failed ? 1 : 0);
}
