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
      expect(
        bare.filter((spec) => spec !== 'zod' && spec !== 'p-limit'),
        file,
      ).toEqual([]);
    }
  });

  it('uses no process, no require and no Node-only timers', () => {
    // Timers every runtime has (setTimeout for the default sleep, AbortSignal.timeout) are fine.
    for (const [file, source] of graph) {
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\b(setImmediate|process\.|require\()/);
    }
  });

  it('leaves undici to the Node entry', () => {
    expect(readFileSync(join(dist, 'node.js'), 'utf8')).toMatch(/from 'undici'/);
  });
});

describe('the public surface', () => {
  it('is the curated list of runtime names, and no more', async () => {
    const index = await import(join(dist, 'index.js'));
    expect(Object.keys(index).sort()).toEqual(
      [
        'AbortedError',
        'DEFAULTS',
        'DEFAULT_PACING',
        'FILL_POLICIES',
        'HttpStatusError',
        'IncompleteFetchError',
        'LIMITS',
        'METRICS',
        'ResponseFormatError',
        'STATISTICS_ENDPOINTS',
        'TimeoutError',
        'TransportError',
        'ValidationError',
        'WINDOW_POLICIES',
        'WecomApiError',
        'WecomStatsError',
        'chinaDayOfEpochMs',
        'chinaMidnightEpochSeconds',
        'classifyTransportFailure',
        'createFetchTransport',
        'createKfStatsClient',
        'createMemoryDayCache',
        'createMemoryTokenStore',
        'createPacer',
        'defaultEndpointFor',
        'formatDuration',
        'getMetric',
        'isWecomStatsError',
        'metricLabel',
        'metricsFor',
        'parseChoice',
        'parseMetricSelection',
        'redactText',
        'servicerIdOf',
        'shapeDays',
        'statisticsWindow',
        'summarizeDays',
        'validateBaseUrl',
      ].sort(),
    );
    expect(Object.keys(index).length).toBeLessThanOrEqual(38);
  });

  it('adds only the Node client and transport in the Node entry', async () => {
    const index = await import(join(dist, 'index.js'));
    const node = await import(join(dist, 'node.js'));
    expect(
      Object.keys(node)
        .filter((name) => !(name in index))
        .sort(),
    ).toEqual(['createNodeClient', 'createUndiciTransport']);
  });

  it('exposes no zod schema', async () => {
    const index = await import(join(dist, 'index.js'));
    for (const [name, value] of Object.entries(index))
      expect(typeof (value as { safeParse?: unknown })?.safeParse, name).not.toBe('function');
  });
});
