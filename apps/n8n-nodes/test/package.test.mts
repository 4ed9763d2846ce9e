/**
 * What n8n and its community-package rules require of the published package, checked on the
 * built dist/ (the files `npm publish` would ship).
 */
import { OFFICIAL_FIELDS } from '@wecom-kf-stats/test-utils';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { builtCredentials, builtNode, NODE_TYPE, packageDir } from './n8n-harness.mjs';

const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown> & {
  name: string;
  keywords: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  n8n: { n8nNodesApiVersion: number; nodes: string[]; credentials: string[] };
  files: string[];
};

test('a community package: n8n-nodes-* name, the keyword, no runtime dependencies, n8n-workflow as peer', () => {
  expect(pkg.name).toMatch(/^n8n-nodes-/);
  expect(pkg.keywords).toContain('n8n-community-node-package');
  expect(pkg.dependencies ?? {}).toEqual({});
  expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
  expect(pkg.files).toContain('dist');
  for (const lifecycle of ['preinstall', 'install', 'postinstall', 'prepare'])
    expect((pkg.scripts as Record<string, string>)[lifecycle]).toBeUndefined();
});

test('every file the n8n field lists is built, with its icon beside it', () => {
  for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
    expect(file).toMatch(/^dist\/.+\.js$/);
    expect(existsSync(join(packageDir, file)), file).toBe(true);
  }
  const icons = [builtNode.description.icon, ...builtCredentials.map((c) => c.icon)] as { light: string; dark: string }[];
  const dirs = ['dist/nodes/WecomKfStats', ...builtCredentials.map(() => 'dist/credentials')];
  icons.forEach((icon, i) => {
    for (const file of [icon.light, icon.dark]) expect(existsSync(join(packageDir, dirs[i]!, file.replace(/^file:/, ''))), file).toBe(true);
    expect(icon.light).not.toBe(icon.dark);
  });
});

test('the bundles require nothing but n8n-workflow (core, zod and p-limit are inside)', () => {
  for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
    const code = readFileSync(join(packageDir, file), 'utf8');
    const required = new Set([...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]));
    required.delete('n8n-workflow');
    expect([...required], file).toEqual([]);
    expect(code).not.toMatch(/from ["']@wecom-kf-stats\/core["']|require\(["']undici["']\)/);
  }
});

test('the bundles use none of the globals n8n Cloud refuses (zod and core timers are swapped at build)', () => {
  for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
    const code = readFileSync(join(packageDir, file), 'utf8');
    expect(code.match(/\bglobalThis\b|\b(?:set|clear)(?:Timeout|Interval|Immediate)\s*\(/g), file).toBeNull();
    expect(code).not.toMatch(/\.helpers\.request\(/);
  }
});

test('package.json carries what the scan and the npm page need; LICENSE is packed', () => {
  expect(pkg.author).toEqual({ name: 'wecom-kf-stats maintainers', email: 'maintainers@wecom-kf-stats.dev' });
  expect(pkg.license).toBe('MIT');
  expect(pkg.repository).toEqual({
    type: 'git',
    url: 'git+https://github.com/wecom-kf-stats/wecom-kf-stats.git',
    directory: 'apps/n8n-nodes',
  });
  expect(pkg.bugs).toEqual({ url: 'https://github.com/wecom-kf-stats/wecom-kf-stats/issues' });
  expect(pkg.homepage).toBe('https://github.com/wecom-kf-stats/wecom-kf-stats/tree/main/apps/n8n-nodes#readme');
  expect(pkg.files).toContain('LICENSE');
  expect(readFileSync(join(packageDir, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 wecom-kf-stats maintainers\n/);
});

test('the codex file names the node type and sits beside the node', () => {
  const codex = JSON.parse(readFileSync(join(packageDir, 'dist/nodes/WecomKfStats/WecomKfStats.node.json'), 'utf8')) as { node: string };
  expect(codex.node).toBe(NODE_TYPE);
  expect(`${pkg.name}.${builtNode.description.name}`).toBe(NODE_TYPE);
});

test('every statistics operation has a metric picker built from the catalog', () => {
  const pickers = builtNode.description.properties.filter((p) => p.name === 'metrics');
  expect(pickers.map((p) => p.displayOptions?.show?.operation)).toEqual([
    ['getComponentStatistics'],
    ['getCorpStatistics'],
    ['getServicerStatistics'],
  ]);
  const corp = pickers[1]!.options!.map((o) => (o as { value: string }).value);
  expect(corp).toContain('ai_transfer_rate');
  expect(pickers[0]!.options!.map((o) => (o as { value: string }).value)).not.toContain('ai_transfer_rate');
});

test('each metric picker offers exactly its endpoint’s official fields: no reply rate for corp, no bot fields for servicers', () => {
  const pickers = builtNode.description.properties.filter((p) => p.name === 'metrics');
  const values = (i: number) => pickers[i]!.options!.map((o) => (o as { value: string }).value).sort();
  const [component, corp, servicer] = [values(0), values(1), values(2)];
  expect(corp).toEqual([...OFFICIAL_FIELDS.corp].sort());
  for (const key of ['reply_rate', 'first_reply_average_sec', 'servicer_session_cnt', 'satisfaction_investgate_cnt', 'satisfied_rate'])
    expect(corp).not.toContain(key);
  expect(servicer).toContain('reply_rate');
  expect(servicer).toContain('upgrade_service_groupchat_customer_cnt');
  expect(servicer.filter((key) => key.startsWith('ai_') || key === 'servicer_session_cnt')).toEqual([]);
  expect(component).toHaveLength(13);
  expect(pickers[1]!.description).toMatch(/no reply rate, first reply or satisfaction: get servicer statistics without a servicer/);
});
