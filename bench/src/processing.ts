/**
 * Core's cost per statistics response (errcode check, schema validation, China-day decoding,
 * null-filling, unknown-field keeping) against a bare JSON.parse of the same body.
 */
import { chinaMidnightEpochSeconds, parseStatisticsBody, planRangeChunks, statisticsWindow } from '@wecom-kf-stats/core/internal';
import { chinaClock, startSimulator } from '@wecom-kf-stats/simulator';
import { median, type Figure } from './figures.js';

const ITERATIONS = 3000;
const ROUNDS = 5;

function timePerCall(fn: () => unknown): number {
  const samples = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS; i += 1) fn();
    samples.push(((performance.now() - start) * 1000) / ITERATIONS);
  }
  return median(samples);
}

export async function benchProcessing(): Promise<Figure[]> {
  const now = chinaClock({ hour: 10 });
  const sim = await startSimulator({ port: 0, now });
  try {
    const { selfBuilt, accounts } = sim.fixtures;
    const { access_token } = (await (
      await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${selfBuilt.corpId}&corpsecret=${selfBuilt.corpSecret}`)
    ).json()) as { access_token: string };
    const window = statisticsWindow(now());
    const chunk = planRangeChunks(window.oldest, window.newest)[0]!;
    const response = await fetch(`${sim.url}/cgi-bin/kf/get_corp_statistic?access_token=${access_token}`, {
      method: 'POST',
      body: JSON.stringify({
        open_kfid: accounts[0]!.open_kfid,
        start_time: chinaMidnightEpochSeconds(chunk.from),
        end_time: chinaMidnightEpochSeconds(chunk.to),
      }),
    });
    const body = await response.text();
    const { days } = parseStatisticsBody('corp', chunk, body);
    if (days.length !== 31) throw new Error(`expected 31 days, decoded ${days.length}`);
    // Warm up the JIT for both.
    for (let i = 0; i < 500; i += 1) {
      JSON.parse(body);
      parseStatisticsBody('corp', chunk, body);
    }
    const bare = timePerCall(() => JSON.parse(body));
    const core = timePerCall(() => parseStatisticsBody('corp', chunk, body));
    return [
      { name: 'JSON.parse of a 31-day body', value: bare, unit: 'µs', note: `${body.length} bytes` },
      { name: 'core decode of the same body', value: core, unit: 'µs', note: 'errcode, schema, China days, nulls' },
      { name: 'core / JSON.parse', value: core / bare, unit: 'ratio', note: 'target ≤ 2' },
    ];
  } finally {
    await sim.close();
  }
}
