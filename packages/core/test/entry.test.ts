import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const specifiers = (source: string): string[] =>
  [...source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2])!);

/** Every module the main entry loads, following relative imports through dist/. */
function importGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const source = readFileSync(file, 'utf8');
    seen.set(file, source);
    for (const spec of specifiers(source)) if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
  };
  visit(join(dist, entry));
  return seen;
}

describe('the runtime-neutral main entry', () => {
  const graph = importGraph('index.js');

  it('imports no Node built-ins and no undici', () => {
    for (const [file, source] of graph) {
      const bare = specifiers(source).filter((spec) => !spec.startsWith('.'));
      expect(bare.filter((spec) => spec !== 'zod' && spec !== 'p-limit'), file).toEqual([]);
    }
  });

  it('uses no timers and no process', () => {
    for (const [file, source] of graph) {
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\b(setTimeout|setInterval|setImmediate|process\.|require\()/);
    }
  });

  it('leaves undici to the Node entry', () => {
    expect(readFileSync(join(dist, 'node.js'), 'utf8')).toMatch(/from 'undici'/);
  });
});
