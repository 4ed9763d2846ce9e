/**
 * Grafana's data source proxy, as far as this plugin meets it: a request to
 * `/api/datasources/proxy/uid/<uid>/<path>` is matched to a route of the real src/plugin.json
 * (method, then path prefix, first match wins), the route's Go templates are rendered from jsonData
 * and secureJsonData, urlParams and headers are added, and the request is forwarded over HTTP (to
 * the WeCom simulator in tests). An unreachable upstream answers 502 and an upstream 401 becomes 400
 * "Authentication to data source failed", as in Grafana. No @grafana import: the Chromium test
 * serves it from Node.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KfStatsOptions, KfStatsSecureJsonData } from '../src/types';

export interface Route {
  path: string;
  method?: string;
  url: string;
  urlParams?: Array<{ name: string; content: string }>;
  headers?: Array<{ name: string; content: string }>;
}

export const pluginJson = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../src/plugin.json'), 'utf8')) as {
  id: string;
  routes: Route[];
};

interface TemplateData {
  JsonData: Record<string, unknown>;
  SecureJsonData: Record<string, string>;
}

/** The subset of Go's text/template the routes use: fields and if/else/end on a field. */
export function renderGoTemplate(text: string, data: TemplateData): string {
  const lookup = (scope: string, key: string): { present: boolean; value: unknown } => {
    const map = scope === 'JsonData' ? data.JsonData : scope === 'SecureJsonData' ? data.SecureJsonData : undefined;
    if (!map) throw new Error(`unknown template scope .${scope}`);
    return { present: key in map && map[key] !== undefined && map[key] !== null, value: map[key] };
  };
  const withIfs = text.replace(
    /\{\{\s*if\s+\.(\w+)\.(\w+)\s*\}\}([\s\S]*?)(?:\{\{\s*else\s*\}\}([\s\S]*?))?\{\{\s*end\s*\}\}/g,
    (_, scope: string, key: string, then: string, otherwise = '') => {
      const { present, value } = lookup(scope, key);
      return present && value !== '' && value !== false && value !== 0 ? then : otherwise;
    },
  );
  return withIfs.replace(/\{\{\s*\.(\w+)\.(\w+)\s*\}\}/g, (_, scope: string, key: string) => {
    const { present, value } = lookup(scope, key);
    // Go renders a missing key of map[string]interface{} as "<no value>", of map[string]string as "".
    if (!present) return scope === 'JsonData' ? '<no value>' : '';
    return String(value);
  });
}

function cleanRelative(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

export interface BrowserRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface UpstreamRequest {
  route: string;
  url: string;
  headers: Record<string, string>;
}

export interface DataSourceSettingsForProxy {
  jsonData: KfStatsOptions;
  secureJsonData: KfStatsSecureJsonData;
  uid?: string;
}

function hopByHop(name: string): boolean {
  return ['host', 'connection', 'content-length'].includes(name.toLowerCase());
}

export interface ProxyAnswer {
  status: number;
  statusText: string;
  body: string;
}

/**
 * Grafana's data source proxy for one data source: `/api/datasources/proxy/uid/<uid>/<path>` is
 * matched to a plugin.json route and forwarded, with the route's secrets added.
 */
export function createDataProxyHandler(options: DataSourceSettingsForProxy & { prefix: string; upstreamRequests: UpstreamRequest[] }) {
  const data: TemplateData = {
    JsonData: { ...options.jsonData },
    SecureJsonData: { ...(options.secureJsonData as Record<string, string>) },
  };
  return async (request: BrowserRequest, signal?: AbortSignal): Promise<ProxyAnswer | undefined> => {
    const answer = (status: number, body: string, statusText = '') => ({ status, statusText, body });
    if (!request.url.startsWith(`${options.prefix}/`)) return answer(404, '{"message":"Not found"}', 'Not Found');
    const browserUrl = new URL(request.url.slice(options.prefix.length), 'http://grafana.local');
    const proxyPath = cleanRelative(decodeURIComponent(browserUrl.pathname));
    const route = pluginJson.routes.find(
      (r) => (!r.method || r.method === '*' || r.method === request.method) && proxyPath.startsWith(cleanRelative(r.path)),
    );
    // Without a matching route Grafana proxies to the data source URL, which this plugin leaves empty.
    if (!route) return answer(502, '{"message":"Bad Gateway"}', 'Bad Gateway');
    const routeUrl = new URL(renderGoTemplate(route.url, data));
    const rest = proxyPath.slice(cleanRelative(route.path).length);
    const target = new URL(`${routeUrl.protocol}//${routeUrl.host}`);
    target.pathname = `${routeUrl.pathname.replace(/\/+$/, '')}${rest ? `/${rest.replace(/^\/+/, '')}` : ''}`;
    browserUrl.searchParams.forEach((value, key) => target.searchParams.append(key, value));
    for (const p of route.urlParams ?? []) target.searchParams.append(renderGoTemplate(p.name, data), renderGoTemplate(p.content, data));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (!hopByHop(k)) headers[k] = String(v);
    for (const h of route.headers ?? []) headers[h.name] = renderGoTemplate(h.content, data);
    options.upstreamRequests.push({ route: route.path, url: target.toString(), headers });
    let upstream: Response;
    try {
      upstream = await globalThis.fetch(target, { method: request.method, headers, body: request.body, ...(signal ? { signal } : {}) });
    } catch {
      if (signal?.aborted) return undefined;
      return answer(502, '{"message":"Bad Gateway"}', 'Bad Gateway');
    }
    const text = await upstream.text();
    // Grafana turns an upstream 401 into 400 so that the viewer is not logged out of Grafana.
    if (upstream.status === 401) return answer(400, 'Authentication to data source failed', 'Bad Request');
    return answer(upstream.status, text, upstream.statusText);
  };
}
