import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricKeysFor, STATISTICS_ENDPOINTS } from '@wecom-kf-stats/core/internal';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const NODES = ['wecom-kf-config', 'wecom-kf-stats', 'wecom-kf-accounts'];
const LOCALES = ['en-US', 'zh-CN'];
const dist = (...parts: string[]) => path.join(root, 'dist', ...parts);

function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => keysOf(inner, prefix ? `${prefix}.${key}` : key));
}

describe('the published package', () => {
  it('is a Node-RED package whose node files exist in dist, with no runtime dependencies', () => {
    expect(pkg.keywords).toContain('node-red');
    expect(Object.keys(pkg['node-red'].nodes).sort()).toEqual([...NODES].sort());
    for (const file of Object.values<string>(pkg['node-red'].nodes)) {
      expect(existsSync(path.join(root, file)), file).toBe(true);
      expect(existsSync(path.join(root, file.replace(/\.js$/, '.html'))), file).toBe(true);
    }
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(readFileSync(dist('lib', 'index.js'), 'utf8')).not.toMatch(/require\("(zod|p-limit|undici|@wecom-kf-stats\/core[^"]*)"\)/);
  });

  it('passes the Flow Library scorecard’s package checks: scoped name, license, repository, bugs, versions', () => {
    expect(pkg.name).toBe('@wecom-kf-stats/node-red-wecom-kf-stats');
    expect(pkg.name).toMatch(/^@[a-z\d][\w-.]+\/[a-z\d][\w-.]*$/);
    expect(pkg.license).toBe('MIT');
    expect(pkg.author).toEqual({ name: 'wecom-kf-stats maintainers', email: 'maintainers@wecom-kf-stats.dev' });
    expect(pkg.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/wecom-kf-stats/wecom-kf-stats.git',
      directory: 'apps/node-red',
    });
    expect(pkg.bugs).toEqual({ url: 'https://github.com/wecom-kf-stats/wecom-kf-stats/issues' });
    expect(pkg.homepage).toBe('https://github.com/wecom-kf-stats/wecom-kf-stats/tree/main/apps/node-red#readme');
    expect(pkg['node-red'].version).toBe('>=4.0.0');
    expect(pkg.engines.node).toBe('>=20.18');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'examples', 'README.md', 'LICENSE']));
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 wecom-kf-stats maintainers\n/);
  });

  it.each(NODES)('%s has help and labels in en-US and zh-CN with the same keys', (name) => {
    const catalogs = LOCALES.map((lang) => JSON.parse(readFileSync(dist('locales', lang, `${name}.json`), 'utf8')));
    expect(keysOf(catalogs[1]).sort()).toEqual(keysOf(catalogs[0]).sort());
    for (const lang of LOCALES) {
      const help = readFileSync(dist('locales', lang, `${name}.html`), 'utf8');
      expect(help).toContain(`data-help-name="${name}"`);
    }
  });

  it.each(LOCALES)('the %s help lists exactly each endpoint’s own metrics, and how to get an account’s human service', (lang) => {
    const help = readFileSync(dist('locales', lang, 'wecom-kf-stats.html'), 'utf8');
    for (const endpoint of STATISTICS_ENDPOINTS) {
      const entry = new RegExp(`<dt><code>${endpoint}</code>[^<]*</dt>\\s*<dd>([\\s\\S]*?)</dd>`).exec(help);
      expect(entry, `${lang} ${endpoint}`).not.toBeNull();
      expect(
        [...entry![1]!.matchAll(/<code>(\w+)<\/code>/g)].map((m) => m[1]),
        `${lang} ${endpoint}`,
      ).toEqual(metricKeysFor(endpoint));
    }
    expect(help).toMatch(
      lang === 'en-US' ? /Corp statistics have no reply rate, first reply or satisfaction/ : /客服账号统计没有人工回复率/,
    );
    expect(help).not.toContain('"session_cnt,reply_rate"');
    expect(readFileSync(dist('wecom-kf-stats.html'), 'utf8')).not.toContain('placeholder="session_cnt,reply_rate"');
  });

  it.each(NODES)('%s uses only message keys its catalog defines', (name) => {
    const catalog = new Set(keysOf(JSON.parse(readFileSync(dist('locales', 'en-US', `${name}.json`), 'utf8'))));
    const editor = readFileSync(dist(`${name}.html`), 'utf8');
    const runtime = readFileSync(path.join(root, 'src', `${name}.ts`), 'utf8');
    const used = [
      ...[...editor.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]!),
      ...[...editor.matchAll(/_\('([\w-]+\.[\w.]+)'\)/g)].map((m) => m[1]!),
      ...[...runtime.matchAll(/RED\._\('([^']+)'/g)].map((m) => m[1]!),
    ];
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect(catalog, key).toContain(key);
  });
});
