/**
 * `pnpm bench [word] [--runs N]`: every benchmark (or those whose name holds the word), each ratio
 * against a baseline measured in the same run. With `--runs N`, each runs N times in a row and
 * the table shows the median with every run's figure. Prints a table and writes
 * bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { benchColdWarm } from './cold-warm.js';
import { median, type Figure } from './figures.js';
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

/** The figures of consecutive runs of one suite as one: each the median, with every run's value in its note. */
function combine(runs: Figure[][]): Figure[] {
  if (runs.length === 1) return runs[0]!;
  return runs[0]!.map((first) => {
    const values = runs.map((figures) => figures.find((f) => f.name === first.name)?.value ?? Number.NaN);
    const each = `runs: ${values.map((v) => show(v, first.unit)).join(' · ')}`;
    return { ...first, value: median(values), note: first.note ? `${first.note}; ${each}` : each };
  });
}

function readArguments(): { only: string | undefined; runs: number } {
  try {
    const { values, positionals } = parseArgs({ options: { runs: { type: 'string' } }, allowPositionals: true });
    const runs = values.runs === undefined ? 1 : Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 10) {
      throw new Error(`--runs: got ${JSON.stringify(values.runs)}; allowed: a whole number from 1 to 10`);
    }
    if (positionals.length > 1) throw new Error(`one word to choose benchmarks by, got ${positionals.length}: ${positionals.join(' ')}`);
    return { only: positionals[0], runs };
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\nusage: pnpm bench [word] [--runs N]\n`);
    process.exit(2);
  }
}

const { only, runs } = readArguments();
const results: Record<string, Figure[][]> = {};
const table = new Table({
  head: ['Benchmark', 'Figure', 'Value', 'Note'],
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  style: { head: [], border: [] },
});
const benchStarted = performance.now();
try {
  for (const [name, run] of suites.filter(([n]) => only === undefined || n.includes(only))) {
    const each: Figure[][] = [];
    for (let i = 1; i <= runs; i += 1) {
      process.stderr.write(`running: ${name}${runs > 1 ? ` (run ${i} of ${runs})` : ''}…\n`);
      const started = performance.now();
      each.push(await run());
      process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
    results[name] = each;
    combine(each).forEach((f, i) => table.push([i === 0 ? name : '', f.name, show(f.value, f.unit), f.note ?? '']));
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
