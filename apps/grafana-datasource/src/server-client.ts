/**
 * Server mode: the wecom-kf-stats server's read-only API, through Grafana's data proxy. The
 * plugin.json routes under `kf-server/api/v1/` add the server's API key on the Grafana server; the
 * browser sends and receives statistics only, never a WeCom token or secret. The server answers
 * from its archive (any age) and fetches days of WeCom's window it lacks; the days it cannot give
 * are named in its warnings, which become frame notices here.
 */
import { getBackendSrv, type FetchResponse } from '@grafana/runtime';
import {
  redactText,
  type ChinaDay,
  type KfAccount,
  type Servicer,
  type StatisticsEndpoint,
  type StatisticsResult,
} from '@wecom-kf-stats/core';
import {
  answers,
  parseAnswer,
  type AnswerOf,
  type AnswerSchema,
  type SourceAnswer,
  type ServerWarning,
} from '@wecom-kf-stats/core/server-api';
import { bodyText, isFetchError } from './proxy-transport';
import type { KfStatsOptions } from './types';

/** The data proxy path under which the server routes of plugin.json live. */
export const SERVER_ROUTE_PREFIX = 'kf-server/api/v1';

/** A failed call to the server (or to Grafana's proxy on the way), with what to do about it. */
export class ServerApiError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ServerApiError';
  }
}

export type ServerSource = SourceAnswer;

/** A warning of the server's statistics answer (RANGE_CLAMPED, NOT_ARCHIVED, LIVE_FETCH_FAILED…), as the API's contract has it. */
export type { ServerWarning };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What the status of a failed call means for the person looking at the panel or the settings page. */
function advice(status: number, code: string | undefined, text: string): string {
  if (status === 400 && code === undefined && text.includes('Authentication to data source failed'))
    return "The server refused the API key (Grafana's data proxy reports the server's 401 as 400): enter the server API key again in this data source's settings.";
  if (status === 403)
    return "Grafana refused this route for your role: listing the server's sources is for those who may edit this data source.";
  if (status === 502 && code === undefined)
    return "Grafana's data proxy could not reach the server: check the server URL in this data source's settings and that the Grafana server can reach it.";
  if (status === 404 && code === undefined)
    return 'The data proxy found no route: restart Grafana after installing or upgrading the plugin.';
  if (code === 'UPSTREAM_WECOM_API' || (code ?? '').startsWith('UPSTREAM_'))
    return 'The server could not get this from WeCom; its log says more.';
  return '';
}

export interface ServerClient {
  listSources(): Promise<ServerSource[]>;
  listAccounts(): Promise<KfAccount[]>;
  listServicers(openKfid: string): Promise<Servicer[]>;
  /** Days from `from` to `to` (China days, inclusive) as the server has them, with its warnings. */
  getStatistics(query: {
    endpoint: StatisticsEndpoint;
    openKfid?: string;
    servicerUserid?: string;
    from: ChinaDay;
    to: ChinaDay;
  }): Promise<{ result: StatisticsResult; warnings: ServerWarning[] }>;
}

/** `proxyUrl` is the data source's `instanceSettings.url` (`/api/datasources/proxy/uid/<uid>`). */
export function createServerClient(proxyUrl: string, jsonData: KfStatsOptions): ServerClient {
  const base = `${proxyUrl.replace(/\/+$/, '')}/${SERVER_ROUTE_PREFIX}`;
  const scope = (): Record<string, string> => ({
    source: jsonData.source ?? '',
    ...(jsonData.serverCorpId ? { corpid: jsonData.serverCorpId } : {}),
  });

  /** GET a route and parse its answer with the route's schema from the API's contract (core's `server-api`). */
  async function get<S extends AnswerSchema>(
    path: string,
    schema: S,
    params: Record<string, string | undefined> = {},
  ): Promise<AnswerOf<S>> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, value);
    const search = query.toString();
    const url = `${base}/${path}${search ? `?${search}` : ''}`;
    let response: FetchResponse<string>;
    try {
      // The last answer of the observable (rxjs stays out of the bundle: Grafana's packages are its only externals).
      response = await new Promise<FetchResponse<string>>((resolve, reject) => {
        let last: FetchResponse<string> | undefined;
        getBackendSrv()
          .fetch<string>({ url, method: 'GET', responseType: 'text', showErrorAlert: false, showSuccessAlert: false })
          .subscribe({
            next: (value) => (last = value),
            error: reject,
            complete: () => (last ? resolve(last) : reject(new Error('no answer'))),
          });
      });
    } catch (error) {
      if (!isFetchError(error) || !(error.status > 0)) {
        throw new ServerApiError(
          path,
          0,
          undefined,
          `The request to Grafana failed: ${redactText((error as Error)?.message ?? String(error))}`,
        );
      }
      const text = bodyText(error.data);
      const json = parseJson(text) as { error?: { code?: string; message?: string }; message?: string } | undefined;
      const code = json?.error?.code;
      const said = json?.error?.message ?? json?.message ?? (text.trim() || error.statusText || '');
      const hint = advice(error.status, code, text);
      const message = `The server API (/api/v1/${path}) answered HTTP ${error.status}${code ? ` ${code}` : ''}: ${redactText(said)}.${hint ? ` ${hint}` : ''}`;
      throw new ServerApiError(path, error.status, code, message.replace(/\.\.(\s|$)/g, '.$1'));
    }
    const json = parseJson(bodyText(response.data));
    if (json === undefined)
      throw new ServerApiError(path, response.status, undefined, `The server API (/api/v1/${path}) did not answer JSON.`);
    const parsed = parseAnswer(schema, json);
    if ('problem' in parsed) {
      throw new ServerApiError(
        path,
        response.status,
        undefined,
        `The server API (/api/v1/${path}) answered in a shape this plugin does not know (${parsed.problem}): upgrade the plugin or the server so that both speak the same API.`,
      );
    }
    return parsed.value;
  }

  return {
    async listSources() {
      return (await get('sources', answers.sources)).sources;
    },
    async listAccounts() {
      const answer = await get('accounts', answers.accounts, scope());
      return answer.accounts.map((a) => ({ open_kfid: a.open_kfid, name: a.name ?? '' }) as KfAccount);
    },
    async listServicers(openKfid) {
      const answer = await get('servicers', answers.servicers, {
        ...scope(),
        open_kfid: openKfid,
      });
      return answer.servicers.map((s) => ({ userid: s.servicer_userid, ...(s.status === null ? {} : { status: s.status }) }) as Servicer);
    },
    async getStatistics(query) {
      const answer = await get('statistics', answers.statistics, {
        ...scope(),
        endpoint: query.endpoint,
        open_kfid: query.openKfid,
        servicer_userid: query.servicerUserid,
        from: query.from,
        to: query.to,
      });
      const result: StatisticsResult = {
        endpoint: answer.endpoint,
        ...(query.openKfid ? { openKfid: query.openKfid } : {}),
        ...(query.servicerUserid ? { servicerUserid: query.servicerUserid } : {}),
        from: answer.from,
        to: answer.to,
        requested: { from: query.from, to: query.to },
        days: answer.days,
        warnings: [],
        stats: { chunks: 0, cachedDays: 0, fetchedDays: answer.days.length, sharedDays: 0 },
      };
      return { result, warnings: answer.warnings };
    },
  };
}
