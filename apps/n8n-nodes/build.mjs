// Builds what the package ships: one CommonJS file per node and credential, with core, zod and
// p-limit bundled in (n8n loads community nodes with require() and forbids runtime dependencies;
// n8n-workflow is provided by n8n itself), plus the icons and the codex file next to them.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const entryPoints = [
  'nodes/WecomKfStats/WecomKfStats.node.ts',
  ...readdirSync(join(root, 'credentials'))
    .filter((f) => f.endsWith('.credentials.ts'))
    .map((f) => `credentials/${f}`),
];

// n8n loads only what package.json's n8n field lists: a node or credential built but not listed
// there would be shipped and never seen (and a listed one that is not built breaks the install).
const listed = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).n8n;
const expected = entryPoints.map((entry) => `dist/${entry.replace(/\.ts$/, '.js')}`).sort();
const declared = [...listed.nodes, ...listed.credentials].sort();
if (JSON.stringify(expected) !== JSON.stringify(declared)) {
  throw new Error(`build.mjs: package.json's n8n field lists ${JSON.stringify(declared)}, the sources build ${JSON.stringify(expected)}`);
}

// n8n Cloud refuses community nodes that touch `globalThis` or the timer globals (the
// `no-restricted-globals` rule of n8n's verification scan, which also lints the bundle). Two
// bundled dependencies do:
// - zod keeps its global config and schema registry on `globalThis`, to share them between zod
//   copies. Here each bundle holds one zod, so one object per bundle serves.
// - core's default wait between retries is a `setTimeout` timer; in n8n it is n8n-workflow's
//   `sleep` (the same timer, run by n8n), still rejecting with core's AbortedError when cancelled.
const ZOD_GLOBALS = 'wecom-kf-stats:zod-globals';
const TIMER_SLEEP = /export const timerSleep = \(ms, signal\) => new Promise\([\s\S]*?\n\}\);\n/;
const replaced = { zod: 0, timerSleep: 0 };
const n8nGlobalsPlugin = {
  name: 'n8n-cloud-globals',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${ZOD_GLOBALS}$`) }, (args) => ({ path: args.path, namespace: 'zod-globals' }));
    b.onLoad({ filter: /.*/, namespace: 'zod-globals' }, () => ({ contents: 'export const zodGlobals = {};', loader: 'js' }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!/\bglobalThis\b/.test(source)) return undefined;
      replaced.zod += 1;
      const contents = `import { zodGlobals as __zodGlobals } from '${ZOD_GLOBALS}';\n${source.replace(/\bglobalThis\b/g, '__zodGlobals')}`;
      return { contents, loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]core[\\/]dist[\\/]transport\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!TIMER_SLEEP.test(source)) throw new Error(`${args.path}: core's timerSleep changed shape; update build.mjs`);
      replaced.timerSleep += 1;
      const n8nSleep = [
        "import { sleep as n8nSleep } from 'n8n-workflow';",
        'export const timerSleep = (ms, signal) =>',
        '  n8nSleep(ms, signal).catch((error) => Promise.reject(signal?.aborted ? new AbortedError(signal.reason) : error));',
        '',
      ].join('\n');
      return { contents: source.replace(TIMER_SLEEP, n8nSleep), loader: 'js' };
    });
  },
};

await build({
  plugins: [n8nGlobalsPlugin],
  absWorkingDir: root,
  entryPoints,
  outdir: dist,
  outbase: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['n8n-workflow'],
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

if (replaced.zod === 0 || replaced.timerSleep === 0) {
  throw new Error(`build.mjs: expected to replace zod's globalThis and core's timerSleep, replaced ${JSON.stringify(replaced)}`);
}

// Static files n8n reads from beside the built files: icons (file:…svg) and the codex (.node.json).
for (const dir of ['nodes/WecomKfStats', 'credentials']) {
  mkdirSync(join(dist, dir), { recursive: true });
  for (const file of readdirSync(join(root, dir))) {
    if (file.endsWith('.svg') || file.endsWith('.node.json')) cpSync(join(root, dir, file), join(dist, dir, file));
  }
}
