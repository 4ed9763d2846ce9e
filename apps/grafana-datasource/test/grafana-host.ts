/**
 * The parts of a Grafana server these tests cannot run, reduced to the edge the plugin touches:
 *
 * - `backendSrv.fetch`, answering like Grafana's data source proxy (./data-proxy.ts: the routes of
 *   the real src/plugin.json, forwarding over HTTP to the simulator).
 * - `templateSrv.replace`, with dashboard variables ($name, ${name}, ${name:format}, [[name]]).
 *
 * Everything else (DataSourceApi, data frames, the plugin's editors) is the real @grafana packages.
 */
import { Observable } from 'rxjs';
import type { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import {
  setBackendSrv,
  setTemplateSrv,
  type BackendSrv,
  type BackendSrvRequest,
  type FetchResponse,
  type TemplateSrv,
} from '@grafana/runtime';
import { DataSource } from '../src/datasource';
import type { KfStatsOptions } from '../src/types';
import {
  createDataProxyHandler,
  pluginJson,
  type BrowserRequest,
  type DataSourceSettingsForProxy,
  type GrafanaUser,
  type ProxyAnswer,
  type UpstreamRequest,
} from './data-proxy';

export { pluginJson, renderGoTemplate } from './data-proxy';
export type { BrowserRequest, GrafanaUser, ProxyAnswer, UpstreamRequest } from './data-proxy';
export type GrafanaHostOptions = DataSourceSettingsForProxy & { user?: GrafanaUser };

export interface GrafanaHost {
  datasource: DataSource;
  instanceSettings: DataSourceInstanceSettings<KfStatsOptions>;
  /** Every request the plugin made from the browser, as it left the browser. */
  browserRequests: BrowserRequest[];
  /** Every request the data proxy forwarded (with the secrets it added). */
  upstreamRequests: UpstreamRequest[];
  /** Every answer the browser received from Grafana, in order. */
  browserResponses: ProxyAnswer[];
  /** The signed-in user (change it between calls: a Viewer by default). */
  user: GrafanaUser;
  /** Send one request from the browser, as any script on the page could. */
  send(method: string, path: string, body?: string): Promise<ProxyAnswer>;
  variables: Record<string, string | string[]>;
}

function createBackendSrv(host: GrafanaHost, options: GrafanaHostOptions): BackendSrv {
  const handle = createDataProxyHandler({
    ...options,
    prefix: host.instanceSettings.url!,
    upstreamRequests: host.upstreamRequests,
    user: () => host.user,
  });
  host.send = async (method, path, body) => {
    const browserRequest = { method, url: `${host.instanceSettings.url}/${path.replace(/^\//, '')}`, headers: {}, body };
    host.browserRequests.push(browserRequest);
    const answer = (await handle(browserRequest))!;
    host.browserResponses.push(answer);
    return answer;
  };
  const notUsed = () => {
    throw new Error('not used by this plugin');
  };
  const fetch = <T>(request: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      const method = (request.method ?? 'GET').toUpperCase();
      const body = typeof request.data === 'string' ? request.data : request.data === undefined ? undefined : JSON.stringify(request.data);
      const browserRequest = { method, url: request.url, headers: { ...(request.headers ?? {}) }, body };
      host.browserRequests.push(browserRequest);
      handle(browserRequest, controller.signal)
        .then((answer) => {
          if (!answer) return;
          host.browserResponses.push(answer);
          if (answer.status >= 200 && answer.status < 300) {
            subscriber.next({
              status: answer.status,
              statusText: answer.statusText,
              ok: true,
              data: answer.body as unknown as T,
              headers: new Headers(),
              redirected: false,
              type: 'basic',
              url: request.url,
              config: request,
            } as FetchResponse<T>);
            subscriber.complete();
          } else {
            subscriber.error({ status: answer.status, statusText: answer.statusText, data: answer.body, config: request });
          }
        })
        .catch((error) => subscriber.error(error));
      return () => controller.abort();
    });
  return {
    get: notUsed,
    delete: notUsed,
    post: notUsed,
    patch: notUsed,
    put: notUsed,
    request: notUsed,
    datasourceRequest: notUsed,
    chunked: notUsed,
    fetch,
  } as unknown as BackendSrv;
}

function formatValue(value: string | string[], format: string | undefined): string {
  if (!Array.isArray(value)) return value;
  if (format === 'csv') return value.join(',');
  if (format === 'pipe') return value.join('|');
  return value.length === 1 ? value[0]! : `{${value.join(',')}}`;
}

function createTemplateSrv(host: GrafanaHost): TemplateSrv {
  return {
    getVariables: () =>
      Object.entries(host.variables).map(([name, value]) => ({ name, type: 'custom', current: { value } })) as unknown as ReturnType<
        TemplateSrv['getVariables']
      >,
    replace(target?: string, scopedVars?: ScopedVars, format?: string | ((...args: unknown[]) => unknown)) {
      if (!target) return target ?? '';
      return target.replace(/\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]/g, (whole, a, b, fmt, c) => {
        const name = a ?? b ?? c;
        const scoped = scopedVars?.[name]?.value;
        const value = scoped !== undefined ? (scoped as string | string[]) : host.variables[name];
        if (value === undefined) return whole;
        return formatValue(value, fmt ?? (typeof format === 'string' ? format : undefined));
      });
    },
    containsTemplate: (target?: string) => Boolean(target && /\$\w+|\$\{\w+|\[\[\w+\]\]/.test(target)),
    updateTimeRange: () => {},
  };
}

export function startGrafanaHost(options: GrafanaHostOptions): GrafanaHost {
  const uid = options.uid ?? 'kfstats-test';
  const instanceSettings = {
    id: 1,
    uid,
    type: pluginJson.id,
    name: 'WeCom KF',
    access: 'proxy',
    url: `/api/datasources/proxy/uid/${uid}`,
    jsonData: options.jsonData,
    meta: { id: pluginJson.id } as DataSourceInstanceSettings['meta'],
    readOnly: false,
  } as DataSourceInstanceSettings<KfStatsOptions>;
  const host = {
    instanceSettings,
    browserRequests: [],
    upstreamRequests: [],
    browserResponses: [],
    variables: {},
    user: options.user ?? { role: 'Viewer' },
  } as unknown as GrafanaHost;
  setBackendSrv(createBackendSrv(host, options));
  setTemplateSrv(createTemplateSrv(host));
  host.datasource = new DataSource(instanceSettings);
  return host;
}
