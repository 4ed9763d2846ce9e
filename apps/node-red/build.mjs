// Builds what Node-RED loads: CommonJS node files in dist/ (Node-RED require()s them, and core is
// ESM-only), one shared dist/lib/index.js holding core with zod, p-limit and undici bundled in (so
// the published package has no runtime dependencies), and beside them the editor .html files,
// locales/ and icons/.
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = `${root}dist`;
const NODES = ['wecom-kf-config', 'wecom-kf-stats', 'wecom-kf-accounts'];

await rm(dist, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { 'lib/index': `${root}src/lib/index.ts` },
  outdir: dist,
});

// The node files share the one lib bundle instead of each carrying a copy of core.
const sharedLib = {
  name: 'shared-lib',
  setup(b) {
    b.onResolve({ filter: /\/lib\/index\.js$/ }, () => ({ path: './lib/index.js', external: true }));
  },
};
await build({
  ...common,
  entryPoints: Object.fromEntries(NODES.map((name) => [name, `${root}src/${name}.ts`])),
  outdir: dist,
  plugins: [sharedLib],
});

// The editor's defaults and bounds are core's (DEFAULTS, LIMITS), written in at build time.
const core = await import('@wecom-kf-stats/core');
const EDITOR_VALUES = {
  __KF_DEFAULT_ENDPOINT__: core.DEFAULTS.endpoint,
  __KF_DEFAULT_LAST_DAYS__: String(core.DEFAULTS.lastDays),
  __KF_MAX_LAST_DAYS__: String(core.LIMITS.maxLastDays),
  __KF_DEFAULT_WINDOW_POLICY__: core.DEFAULTS.windowPolicy,
  __KF_DEFAULT_FILL_POLICY__: core.DEFAULTS.fillPolicy,
  __KF_STATISTICS_ENDPOINTS__: JSON.stringify(core.STATISTICS_ENDPOINTS),
};
for (const file of await readdir(`${root}editor`)) {
  let html = await readFile(`${root}editor/${file}`, 'utf8');
  for (const [placeholder, value] of Object.entries(EDITOR_VALUES)) html = html.replaceAll(placeholder, value);
  if (/__KF_[A-Z_]+__/.test(html)) throw new Error(`build: editor/${file} has a placeholder with no value`);
  await writeFile(`${dist}/${file}`, html);
}
await mkdir(`${dist}/locales`, { recursive: true });
await cp(`${root}locales`, `${dist}/locales`, { recursive: true });
await cp(`${root}icons`, `${dist}/icons`, { recursive: true });

const built = await readdir(dist);
for (const name of NODES) {
  for (const ext of ['.js', '.html']) {
    if (!built.includes(name + ext)) throw new Error(`build: dist/${name}${ext} is missing`);
  }
}
