/** A series' days and their summary: the archive first, the in-window days it lacks fetched live (series.ts). */
import { summarizeDays } from '../kf-core.js';
import { ROUTE_SCHEMAS } from '../openapi.js';
import { parseSeriesRequest, presentStatistic, statisticsFor, type SeriesRequest } from '../series.js';
import type { ApiRoutes, RouteContext } from './context.js';

export function registerStatisticsRoutes(api: ApiRoutes, context: RouteContext): void {
  const { config, providers, now, live } = context;
  const seriesAnswer = (request: SeriesRequest) => ({
    source: request.series.source,
    corpid: request.series.corpId,
    endpoint: request.series.endpoint,
    ...(request.series.openKfid ? { open_kfid: request.series.openKfid } : {}),
    ...(request.series.servicerUserid ? { servicer_userid: request.series.servicerUserid } : {}),
    from: request.from,
    to: request.to,
  });

  api.get('/api/v1/statistics', { schema: ROUTE_SCHEMAS.statistics }, async (request) => {
    const parsed = await parseSeriesRequest(config, providers, request.query, now());
    const { days, warnings } = await statisticsFor(context, parsed, live);
    const endpoint = parsed.series.endpoint;
    return {
      ...seriesAnswer(parsed),
      days: days.map((d) => ({ date: d.date, stat_time: d.stat_time, statistic: presentStatistic(endpoint, d.statistic) })),
      warnings,
    };
  });

  api.get('/api/v1/summary', { schema: ROUTE_SCHEMAS.summary }, async (request) => {
    const parsed = await parseSeriesRequest(config, providers, request.query, now());
    const { days, warnings } = await statisticsFor(context, parsed, live);
    return { ...seriesAnswer(parsed), summary: summarizeDays(parsed.series.endpoint, days), warnings };
  });
}
