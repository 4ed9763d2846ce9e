/**
 * A series' days and their summary: the archive first, the in-window days it lacks fetched live
 * (series.ts). An answer made from settled archived days alone is kept in memory with its ETag
 * (answer-cache.ts) until the series is written again; `If-None-Match` with a current ETag is a 304.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createAnswerCache, etagMatches, type CachedAnswer } from '../answer-cache.js';
import { chinaToday } from '../china-days.js';
import { summarizeDays } from '../kf-core.js';
import { ROUTE_SCHEMAS } from '../openapi.js';
import { parseSeriesRequest, presentStatistic, statisticsFor, type SeriesRequest } from '../series.js';
import type { ApiRoutes, RouteContext } from './context.js';

/** The answer with its ETag, or 304 when the caller holds it already. */
function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer) {
  // Clients may keep it, and ask again with its ETag: nothing changes without a new ETag.
  reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
  if (etagMatches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  // Already serialized by the route's schema: sent as it is.
  return reply.type('application/json; charset=utf-8').send(answer.body);
}

export function registerStatisticsRoutes(api: ApiRoutes, context: RouteContext): void {
  const { config, providers, now, live, store } = context;
  const cache = createAnswerCache();
  const seriesAnswer = (request: SeriesRequest) => ({
    source: request.series.source,
    corpid: request.series.corpId,
    endpoint: request.series.endpoint,
    ...(request.series.openKfid ? { open_kfid: request.series.openKfid } : {}),
    ...(request.series.servicerUserid ? { servicer_userid: request.series.servicerUserid } : {}),
    from: request.from,
    to: request.to,
  });

  /**
   * One answer of `route` for the parsed request: from the cache when the series has not been
   * written since it was made (and the China day is the same), else made, serialized and, when
   * it took nothing live, kept.
   */
  async function answer(
    route: string,
    parsed: SeriesRequest,
    reply: FastifyReply,
    make: (result: Awaited<ReturnType<typeof statisticsFor>>) => unknown,
  ): Promise<CachedAnswer> {
    // Read before the archive is: a write meanwhile leaves the entry stale, never wrong.
    const version = store.daysVersion(parsed.series);
    const key = JSON.stringify([route, parsed.series, parsed.from, parsed.to, parsed.warnings, chinaToday(parsed.at)]);
    const hit = version === undefined ? undefined : cache.get(key, version);
    if (hit) return hit;
    const result = await statisticsFor(context, parsed, live);
    const serialized = reply.serialize(make(result));
    const text = typeof serialized === 'string' ? serialized : Buffer.from(serialized as ArrayBuffer).toString('utf8');
    if (result.fromArchiveOnly && version !== undefined) return cache.set(key, version, text);
    return cache.unkept(text);
  }

  api.get('/api/v1/statistics', { schema: ROUTE_SCHEMAS.statistics }, async (request, reply) => {
    const parsed = await parseSeriesRequest(config, providers, request.query, now(), context.accessOf(request));
    const endpoint = parsed.series.endpoint;
    const made = await answer('statistics', parsed, reply, ({ days, warnings }) => ({
      ...seriesAnswer(parsed),
      days: days.map((d) => ({ date: d.date, stat_time: d.stat_time, statistic: presentStatistic(endpoint, d.statistic) })),
      warnings,
    }));
    return sendAnswer(request, reply, made);
  });

  api.get('/api/v1/summary', { schema: ROUTE_SCHEMAS.summary }, async (request, reply) => {
    const parsed = await parseSeriesRequest(config, providers, request.query, now(), context.accessOf(request));
    const made = await answer('summary', parsed, reply, ({ days, warnings }) => ({
      ...seriesAnswer(parsed),
      summary: summarizeDays(parsed.series.endpoint, days),
      warnings,
    }));
    return sendAnswer(request, reply, made);
  });
}
