// Builds what the package ships: one CommonJS file per node and credential, with core, zod and
// p-limit bundled in (n8n loads community nodes with require() and forbids runtime dependencies;
// n8n-workflow is provided by n8n itself), plus the icons and the codex file next to them.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
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

await build({
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

// Static files n8n reads from beside the built files: icons (file:…svg) and the codex (.node.json).
for (const dir of ['nodes/WecomKfStats', 'credentials']) {
  mkdirSync(join(dist, dir), { recursive: true });
  for (const file of readdirSync(join(root, dir))) {
    if (file.endsWith('.svg') || file.endsWith('.node.json')) cpSync(join(root, dir, file), join(dist, dir, file));
  }
}
