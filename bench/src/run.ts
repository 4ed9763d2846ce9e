/**
 * `pnpm bench`: every benchmark, each ratio against a baseline measured in the same run.
 * Prints a table and writes bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { benchColdWarm } from './cold-warm.js';
import type { Figure } from './figures.js';
import { benchManyCorps } from './many-corps.js';
import { benchProcessing } from './processing.js';
import { benchServerApi } from './server-api.js';
import { benchServerBackfill } from './server-backfill.js';
import { stopSharedPostgres } from './server-common.js';
import { benchServerDaily } from './server-daily.js';
import { benchServerReplicas } from './server-replicas.js';

const suites: [string, () => Promise<Figure[]>][] = [
  ['cold / warm 180-day fetch (100 ms per call)', benchColdWarm],
  ['many corps under a per-minute limit', benchManyCorps],
  ['per-response processing', benchProcessing],
  ['server: backfill of 1,000 corps × 180 days under a per-IP limit', benchServerBackfill],
  ['server: daily run of 10,000 corps vs the limit', benchServerDaily],
  ['server: statistics API, 180 days from the archive', benchServerApi],
  ['server: replicas on PostgreSQL sharing the per-IP limit', benchServerReplicas],
];

function show(value: number, unit: Figure['unit']): string {
  if (unit === 'ratio') return `${value.toFixed(2)}×`;
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  if (unit === 'req/s') return `${value.toFixed(0)} req/s`;
  if (unit === 'µs') return `${value.toFixed(1)} µs`;
  if (unit === 'calls/min') return `${value.toFixed(0)} calls/min`;
  return `${value} ${unit}`;
}

const results: Record<string, Figure[]> = {};
const table = new Table({
  head: ['Benchmark', 'Figure', 'Value', 'Note'],
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  style: { head: [], border: [] },
});
const benchStarted = performance.now();
try {
  // `pnpm bench [word]`: only the suites whose name holds the word.
  const only = process.argv[2];
  for (const [name, run] of suites.filter(([n]) => only === undefined || n.includes(only))) {
    process.stderr.write(`running: ${name}…\n`);
    const started = performance.now();
    const figures = await run();
    results[name] = figures;
    figures.forEach((f, i) => table.push([i === 0 ? name : '', f.name, show(f.value, f.unit), f.note ?? '']));
    process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
} finally {
  await stopSharedPostgres();
}
process.stderr.write(`all benchmarks: ${((performance.now() - benchStarted) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${table.toString()}\n`);
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'latest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
process.stdout.write(`Figures written to ${out}\n`);
