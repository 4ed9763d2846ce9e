/**
 * A service provider fetching 180 days of component statistics for 200 authorized corps through
 * core alone, every corp's client sharing one pacer, under a per-IP minute limit (45009 when
 * exceeded). The limit is low enough for the run to span seven windows, and the simulated clock
 * runs 12× faster: one simulated minute (the limit's window) lasts 5 real seconds, and the
 * pacer's margin of 1 simulated second is 83 real ms of delay between the pacer's count and the
 * simulator's, far more than a busy 2-core machine adds. The client waits one simulated minute
 * after 45009, as it would wait 60 s against WeCom.
 */
import pLimit from 'p-limit';
import { createMemoryTokenStore, createPacer } from '@wecom-kf-stats/core';
import { createNodeClient } from '@wecom-kf-stats/core/node';
import { startSimulator } from '@wecom-kf-stats/simulator';
import type { Figure } from './figures.js';

const CORPS = 200;
const DAYS = 180;
const SPEEDUP = 12;
const LIMIT_PER_MINUTE = 200;
const MARGIN_MS = 1000;
const CORPS_IN_PARALLEL = 20;

export async function benchManyCorps(): Promise<Figure[]> {
  const realStart = Date.now();
  const now = () => realStart + (Date.now() - realStart) * SPEEDUP;
  const sim = await startSimulator({ port: 0, now, extraCorpCount: CORPS, ipRateLimitPerMinute: LIMIT_PER_MINUTE });
  const { suite } = sim.fixtures;
  const corps = sim.fixtures.extraCorps.suiteAuth.slice(0, CORPS);
  if (corps.length < CORPS) throw new Error(`the simulator has ${corps.length} authorized corps, ${CORPS} needed`);
  // One store: the suite token is fetched once and shared by every corp's client.
  const tokenStore = createMemoryTokenStore();
  // One pacer: every corp's calls count against the one IP.
  const pacer = createPacer({
    limits: { perIpPerMinute: LIMIT_PER_MINUTE, marginMs: MARGIN_MS },
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.ceil(ms / SPEEDUP))),
  });
  const limit = pLimit(CORPS_IN_PARALLEL);
  let fetchedDays = 0;
  let failedCorps = 0;
  const started = performance.now();
  const simStarted = now();
  try {
    await Promise.all(
      corps.map((corp) =>
        limit(async () => {
          const client = createNodeClient({
            baseUrl: sim.url,
            now,
            tokenStore,
            pacer,
            concurrency: 6,
            // 45009 blocks last one (simulated) minute; retry generously: no day may be lost.
            retry: { rateLimitDelayMs: 60_000 / SPEEDUP, baseDelayMs: 20, maxDelayMs: 200, maxRetries: 8 },
            auth: {
              type: 'serviceProvider',
              suiteId: suite.suiteId,
              suiteSecret: suite.suiteSecret,
              suiteTicket: suite.suiteTicket,
              authCorpId: corp.authCorpId,
              permanentCode: corp.permanentCode,
            },
          });
          try {
            const result = await client.getStatistics({ endpoint: 'component', last: DAYS });
            fetchedDays += result.days.length;
          } catch {
            failedCorps += 1;
          } finally {
            await client.close();
          }
        }),
      ),
    );
  } finally {
    await sim.close();
  }
  const wallMs = performance.now() - started;
  const simMinutes = (now() - simStarted) / 60_000;
  const accepted = sim.calls.filter((c) => c.errcode === undefined || c.errcode === 0).length;
  const limited = sim.calls.filter((c) => c.errcode === 45009).length;
  const lostDays = CORPS * DAYS - fetchedDays;
  const throughput = accepted / simMinutes;
  return [
    { name: `${CORPS} corps × ${DAYS} days, wall time`, value: wallMs, unit: 'ms', note: `${simMinutes.toFixed(2)} simulated minutes` },
    { name: 'days fetched', value: fetchedDays, unit: 'days', note: `of ${CORPS * DAYS}; ${failedCorps} corps failed` },
    { name: 'lost days', value: lostDays, unit: 'days', note: 'target 0' },
    { name: 'calls answered', value: accepted, unit: 'calls', note: `${limited} answered 45009 and were retried` },
    { name: 'throughput', value: throughput, unit: 'calls/min', note: `limit ${LIMIT_PER_MINUTE}/min` },
    { name: 'throughput / limit', value: throughput / LIMIT_PER_MINUTE, unit: 'ratio', note: 'target ≥ 0.95, with 0 answers of 45009' },
  ];
}
