/**
 * The demo: start the bundled WeCom simulator on a free port, fetch the last 180 days of component
 * statistics through the real client (service-provider token flow, 31-day chunks in parallel),
 * print a table and a summary, write a CSV, then show that a repeat costs no calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { metricsFor, summarizeDays, type FetchProgress } from '@wecom-kf-stats/core';
import { createNodeClient } from '@wecom-kf-stats/core/node';
import { chinaClock, startSimulator } from '@wecom-kf-stats/simulator';
import { columnsFor, renderStatistics, renderSummaryTable } from './format.js';
import type { CliIO } from './program.js';
import { createProgress } from './progress.js';
import { UsageError } from './usage-error.js';

const TABLE_METRICS = ['session_cnt', 'customer_cnt', 'servicer_session_cnt', 'reply_rate', 'first_reply_average_sec', 'satisfied_rate'];

function wholeNumber(value: unknown, flag: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`Invalid ${flag}: ${JSON.stringify(value)}. Allowed: a whole number from ${min} to ${max}.`);
  }
  return n;
}

export async function runDemo(flags: Record<string, unknown>, io: CliIO): Promise<void> {
  const latencyMs = wholeNumber(flags.latency, '--latency', 0, 10_000);
  const tableDays = wholeNumber(flags.days, '--days', 0, 180);
  const out = resolve(String(flags.out));
  const say = (line = '') => io.stdout.write(`${line}\n`);

  // The simulated day starts at 10:00 China time, so yesterday is always computed (WeCom publishes
  // a day by 06:00 the next morning) and the demo reads the same whatever the real hour.
  const now = chinaClock({ hour: 10 });
  const simulator = await startSimulator({ port: 0, latencyMs, now });
  const { suite } = simulator.fixtures;
  const client = createNodeClient({
    baseUrl: simulator.url,
    now,
    auth: {
      type: 'serviceProvider',
      suiteId: suite.suiteId,
      suiteSecret: suite.suiteSecret,
      suiteTicket: suite.suiteTicket,
      authCorpId: suite.authCorpId,
      permanentCode: suite.permanentCode,
    },
    concurrency: 6,
  });
  try {
    say(`WeCom simulator listening on ${simulator.url} (${latencyMs} ms latency per call)`);
    say('Fetching the last 180 days of component statistics (kf/get_statistic) through the real client…');
    const bar = createProgress(io.stderr, true);
    const onProgress = (p: FetchProgress) => {
      bar.update(p);
      if (!io.stderr.isTTY && p.completedChunks > 0)
        io.stderr.write(`  chunk ${p.completedChunks}/${p.totalChunks} (${p.completedDays}/${p.totalDays} days)\n`);
    };
    const started = performance.now();
    const result = await client.getStatistics({ endpoint: 'component', last: 180, onProgress });
    bar.stop();
    const coldMs = performance.now() - started;
    const coldCalls = simulator.calls.length;

    const shown = result.days.slice(-tableDays);
    if (shown.length) {
      say();
      say(`Last ${shown.length} of ${result.days.length} days (${result.from} .. ${result.to}, China time):`);
      io.stdout.write(renderStatistics({ result, days: shown, columns: TABLE_METRICS, warnings: [] }, 'table'));
    }
    say();
    say('Summary of all 180 days (counts summed, rates weighted by their denominators):');
    say(renderSummaryTable(summarizeDays('component', result.days), TABLE_METRICS));

    const columns = columnsFor(
      result.days,
      metricsFor('component').map((m) => m.key),
      false,
    );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderStatistics({ result, days: result.days, columns, warnings: [] }, 'csv'));

    simulator.resetCalls();
    const warmStarted = performance.now();
    await client.getStatistics({ endpoint: 'component', last: 180 });
    const warmMs = performance.now() - warmStarted;

    say();
    say(`Cold fetch: ${coldCalls} calls (${result.stats.chunks} statistics chunks of ≤31 days + token calls) in ${coldMs.toFixed(0)} ms.`);
    say(`Repeat:     ${simulator.calls.length} calls in ${warmMs.toFixed(1)} ms (finished days come from the day cache).`);
    say(`Wrote ${result.days.length} days to ${out}`);
    for (const w of result.warnings) say(`warning: ${w.message}`);
  } finally {
    await client.close();
    await simulator.close();
  }
}
