/**
 * Every publishable package as a user gets it: packed (workspace versions replaced by real ones),
 * installed with npm into an empty folder outside the workspace, and run.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedClockEnv, useSimulator } from '@wecom-kf-stats/test-utils';

const run = promisify(execFile);
const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kf = useSimulator();

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string> | string;
  n8n?: { nodes: string[]; credentials: string[] };
  'node-red'?: { nodes: Record<string, string> };
}

interface Packed {
  dir: string;
  manifest: Manifest;
  tarball: string;
}

let folder: string;
let packed: Packed[] = [];
/** Where each package ended up installed. */
const installedAt = new Map<string, string>();

/** Host plugins are installed where their host looks for them, not beside the libraries. */
const isHostPlugin = (m: Manifest) => m.n8n !== undefined || m['node-red'] !== undefined;

async function publishable(): Promise<{ dir: string; manifest: Manifest }[]> {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const name of await readdir(join(workspace, group))) {
      const dir = join(workspace, group, name);
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8').catch(() => '{"private":true}')) as Manifest;
      if (!manifest.private) found.push({ dir, manifest });
    }
  }
  return found;
}

const byName = (name: string | RegExp) => {
  const hit = packed.find((p) => (typeof name === 'string' ? p.manifest.name === name : name.test(p.manifest.name)));
  if (!hit) throw new Error(`no publishable package named ${String(name)}`);
  return hit;
};
/** What a user's shell holds to reach the simulator with the self-built app, on the pinned clock. */
const simulatorUserEnv = () => ({
  PATH: process.env.PATH,
  ...pinnedClockEnv(),
  WECOM_BASE_URL: kf.sim.url,
  WECOM_CORP_ID: kf.sim.fixtures.selfBuilt.corpId,
  WECOM_CORP_SECRET: kf.sim.fixtures.selfBuilt.corpSecret,
});
const installed = (name: string) => installedAt.get(name) ?? join(folder, 'node_modules', name);

/**
 * npm waits up to 5 minutes on a registry request that stalls, by default; a short timeout with
 * more retries turns one stalled download into a retry instead of a hook timeout.
 */
const registryPatience = ['--fetch-timeout=30000', '--fetch-retries=6', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=20000'];

async function npmInstall(cwd: string, tarballs: string[], extra: string[] = []): Promise<void> {
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...registryPatience, ...extra, ...tarballs],
    {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

/** The pnpm that runs this test (pnpm sets npm_execpath for its scripts), else the pinned one through npx. */
const pnpmCommand = (): [string, string[]] => {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm/.test(execPath) ? [process.execPath, [execPath]] : ['npx', ['--yes', 'pnpm@10.34.9']];
};

/** Each preparation step's duration, printed, so a slow registry shows where the time went. */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`release-check: ${what} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'kf-stats-install-'));
  const tarballs = join(folder, 'tarballs');
  await mkdir(tarballs);
  const [pnpm, pnpmArgs] = pnpmCommand();
  for (const { dir, manifest } of await publishable()) {
    const { stdout } = await step(`packing ${manifest.name}`, () =>
      run(pnpm, [...pnpmArgs, 'pack', '--pack-destination', tarballs], { cwd: dir }),
    );
    const tarball = stdout.trim().split('\n').at(-1)!.trim();
    packed.push({ dir, manifest, tarball: tarball.startsWith('/') ? tarball : join(tarballs, tarball) });
  }
  packed = packed.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'kf-stats-user', private: true, type: 'module' }));
  // The libraries and commands in one install: those that depend on each other resolve to these copies.
  await step('installing the libraries and commands', () =>
    npmInstall(
      folder,
      packed.filter((p) => !isHostPlugin(p.manifest)).map((p) => p.tarball),
    ),
  );
  // n8n installs a community package under ~/.n8n/nodes without its peers (n8n itself provides
  // n8n-workflow); Node-RED installs into its userDir.
  const n8n = byName(/^n8n-nodes-/);
  const n8nNodes = join(folder, 'n8n-nodes');
  await mkdir(n8nNodes);
  await writeFile(join(n8nNodes, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }));
  await step('installing the n8n package', () => npmInstall(n8nNodes, [n8n.tarball], ['--legacy-peer-deps']));
  installedAt.set(n8n.manifest.name, join(n8nNodes, 'node_modules', n8n.manifest.name));
  const nodeRed = byName(/node-red/);
  const userDir = join(folder, 'node-red-user');
  await mkdir(userDir);
  await writeFile(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
  await step('installing the Node-RED package', () => npmInstall(userDir, [nodeRed.tarball]));
  installedAt.set(nodeRed.manifest.name, join(userDir, 'node_modules', nodeRed.manifest.name));
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('include core, the CLI, the simulator, the Node-RED and the n8n packages', () => {
    const names = packed.map((p) => p.manifest.name);
    for (const expected of ['@wecom-kf-stats/core', '@wecom-kf-stats/cli', '@wecom-kf-stats/simulator']) expect(names).toContain(expected);
    expect(names.some((n) => /node-red/.test(n))).toBe(true);
    expect(names.some((n) => /^n8n-nodes-/.test(n))).toBe(true);
  });

  it('carry no workspace: versions and a LICENSE', async () => {
    for (const p of packed) {
      const manifest = await readFile(join(installed(p.manifest.name), 'package.json'), 'utf8');
      expect(manifest, p.manifest.name).not.toContain('workspace:');
      const files = await readdir(installed(p.manifest.name));
      expect(files, p.manifest.name).toContain('LICENSE');
    }
  });

  it("answer every published command's --help", async () => {
    for (const p of packed) {
      const bins = typeof p.manifest.bin === 'string' ? { [p.manifest.name]: p.manifest.bin } : (p.manifest.bin ?? {});
      for (const bin of Object.keys(bins)) {
        const { stdout } = await run(join(folder, 'node_modules', '.bin', bin), ['--help'], { cwd: folder });
        expect(stdout, bin).toMatch(/Usage|usage/);
      }
    }
  });
});

describe('the CLI, installed', () => {
  it('fetches statistics from the simulator', async () => {
    const { accounts } = kf.sim.fixtures;
    const { stdout } = await run(
      join(folder, 'node_modules', '.bin', 'wecom-kf-stats'),
      ['fetch', '--open-kfid', accounts[0]!.open_kfid, '--last', '40', '--format', 'json'],
      {
        cwd: folder,
        env: simulatorUserEnv(),
      },
    );
    const out = JSON.parse(stdout) as { days: { date: string }[] };
    expect(out.days).toHaveLength(40);
  });
});

describe('core, installed', () => {
  it("runs the README's Node snippet", async () => {
    await writeFile(
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
    const { accounts } = kf.sim.fixtures;
    const { stdout } = await run(process.execPath, ['snippet.mjs'], {
      cwd: folder,
      env: {
        ...simulatorUserEnv(),
        OPEN_KFID: accounts[0]!.open_kfid,
      },
    });
    const answer = JSON.parse(stdout) as { days: number; sessions: number };
    expect(answer.days).toBe(180);
    expect(answer.sessions).toBeGreaterThan(0);
  });
});

describe('the Node-RED package, installed', () => {
  it('loads its nodes in a real Node-RED with a fresh userDir', async () => {
    const p = byName(/node-red/);
    // The userDir holds the packages Node-RED loads, installed there as its palette manager does.
    const userDir = join(folder, 'node-red-user');
    await writeFile(
      join(userDir, 'settings.js'),
      `module.exports = { uiHost: '127.0.0.1', uiPort: 0, flowFile: 'flows.json', credentialSecret: false, editorTheme: { tours: false } };\n`,
    );
    const redJs = join(dirname(createRequire(join(p.dir, 'package.json')).resolve('node-red/package.json')), 'red.js');
    const red = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    try {
      const base = await new Promise<string>((resolveBase, reject) => {
        const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${log}`)), 30_000);
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          const match = /Server now running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
          if (match) {
            clearTimeout(timer);
            resolveBase(match[1]!);
          }
        };
        red.stdout.on('data', onData);
        red.stderr.on('data', onData);
        red.on('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${log}`)));
      });
      const nodes = (await (await fetch(`${base}/nodes`, { headers: { accept: 'application/json' } })).json()) as {
        module: string;
        types: string[];
        enabled: boolean;
        err?: string;
      }[];
      const ours = nodes.filter((n) => n.module === p.manifest.name);
      expect(ours.map((n) => n.err ?? null)).toEqual(ours.map(() => null));
      expect(ours.flatMap((n) => n.types).sort()).toEqual(Object.keys(p.manifest['node-red']!.nodes).sort());
    } finally {
      red.kill('SIGINT');
      await new Promise((r) => red.once('exit', r));
    }
  });
});

describe('the n8n package, installed', () => {
  it("loads through n8n's own community-package loader", async () => {
    const p = byName(/^n8n-nodes-/);
    // n8n installs community packages under ~/.n8n/nodes/node_modules and loads each with its
    // PackageDirectoryLoader; n8n-core is taken from the package's own dev dependencies.
    const n8nCore = createRequire(join(p.dir, 'package.json'))('n8n-core') as {
      PackageDirectoryLoader: new (dir: string) => {
        loadAll(): Promise<void>;
        nodeTypes: Record<string, unknown>;
        credentialTypes: Record<string, unknown>;
      };
    };
    const loader = new n8nCore.PackageDirectoryLoader(installed(p.manifest.name));
    await loader.loadAll();
    expect(Object.keys(loader.nodeTypes).length).toBe(p.manifest.n8n!.nodes.length);
    expect(Object.keys(loader.credentialTypes).length).toBe(p.manifest.n8n!.credentials.length);
  });
});

describe('the libraries, as their linters see them', () => {
  const bin = (name: string) => join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', name);

  it('pass publint --strict', async () => {
    for (const p of packed.filter((q) => !isHostPlugin(q.manifest))) {
      const { stdout } = await run(bin('publint'), ['--strict', '--pack', 'npm'], { cwd: p.dir });
      expect(stdout, p.manifest.name).toMatch(/All good!/);
    }
  });

  it('resolve their types under every module resolution an ESM-only package serves (attw)', async () => {
    // ESM only on purpose (one copy of each error class; see packages/core/README.md): CommonJS
    // callers use import(), or require() on Node 20.19+.
    const { stdout } = await run(bin('attw'), ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped'], {
      cwd: byName('@wecom-kf-stats/core').dir,
    });
    expect(stdout).not.toMatch(/💀|❌/);
  });
});
