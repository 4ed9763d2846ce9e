/**
 * Grafana's data source proxy, as far as this plugin meets it, following Grafana's own code step by
 * step (the Go functions named below are in grafana/grafana, pkg/services/datasourceproxy and
 * pkg/api/pluginproxy):
 *
 * 1. The proxy path is what follows `/api/datasources/proxy/uid/<uid>/` in the request's escaped
 *    path (getProxyPath / extractProxyPath): percent-escapes such as `%2e%2e` or `%2F` stay as sent.
 * 2. Routes are tried in plugin.json order (DataSourceProxy.validateRequest). A route's `method`,
 *    when set and not `*`, must equal the request's method. Both the proxy path and the route's
 *    `path` go through util.CleanRelativePath (lexical cleaning of `.`, `..`, `//` and a trailing
 *    slash, anchored at the root so `..` cannot climb out), and the route matches when the cleaned
 *    route path is a plain string prefix of the cleaned proxy path: `cgi-bin/kf` matches
 *    `cgi-bin/kfx/…` as well. The first match wins.
 * 3. A matched route is checked against the user (hasAccessToRoute): with role-based access
 *    control for routes on (the accessControlOnCall feature, on by default) a route with
 *    `reqAction` needs that action on this data source; otherwise a valid `reqRole` needs that org
 *    role or a higher one. A refusal is 403 "plugin proxy route access denied".
 * 4. No matching route: the request goes to the data source's own `url` with the proxy path
 *    appended and no route secrets. This plugin leaves that URL empty, and an empty URL has no host,
 *    so the forward fails and Grafana answers 502 Bad Gateway.
 * 5. The director first sets the raw path to the data source URL's path joined with the proxy path
 *    (util.JoinURLFragments) and unescapes it; an invalid escape ends the director early, so the
 *    request goes nowhere (502). Then ApplyRoute: the route's `url` template is rendered and
 *    parsed; the rest of the proxy path is the proxy path with the route's `path` (as written, not
 *    cleaned) trimmed from its front (strings.TrimPrefix: when the raw path does not start with it,
 *    nothing is trimmed and the whole proxy path is the rest); the upstream path is the route URL's
 *    path joined with that rest. The rest keeps its percent-escapes as literal text, so Go's
 *    URL.EscapedPath sends `%2F` as `%252F`: an escaped slash or dot never becomes a real one. Dot
 *    segments in the rest are sent as they are: the upstream server may resolve them.
 * 6. urlParams are added to the browser's query (addQueryString: parsed, appended, re-encoded with
 *    the keys sorted); route headers replace headers of the same name (addHeaders).
 * 7. An upstream 401 becomes 400 "Authentication to data source failed" (HandleRequest's
 *    modifyResponse), so the viewer is not logged out of Grafana.
 *
 * No @grafana import: the Chromium test serves it from Node.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KfStatsOptions, KfStatsSecureJsonData } from '../src/types';

export interface Route {
  path: string;
  method?: string;
  url: string;
  reqRole?: string;
  reqAction?: string;
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

/** Go's path.Clean on an absolute path: `.` and empty segments dropped, `..` pops (never above the root). */
function cleanAbsolute(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** util.CleanRelativePath: clean the path as if rooted, then make it relative to the root ("." for the root). */
export function cleanRelativePath(path: string): string {
  const cleaned = cleanAbsolute(`/${path}`);
  return cleaned === '/' ? '.' : cleaned.slice(1);
}

/** util.JoinURLFragments: exactly one slash between a and a non-empty b. */
export function joinUrlFragments(a: string, b: string): string {
  if (b.length === 0) return a;
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) return a + b.slice(1);
  if (!aSlash && !bSlash) return `${a}/${b}`;
  return a + b;
}

/** extractProxyPath: the escaped path after the data source's proxy prefix (and one slash). */
export function extractProxyPath(escapedPath: string): string {
  return escapedPath.replace(/^\/api\/datasources\/proxy\/(\d+|uid\/[\w-]+)\/?/, '');
}

/** Go's url.PathUnescape; undefined for an invalid escape (the director then stops). */
function goPathUnescape(text: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    // A valid escape that is not UTF-8: Go keeps the bytes; no route of this plugin can tell.
    return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** Go's shouldEscape for a path: unreserved characters, `/` and `$&+,:;=@` stay; everything else (`%` too) is escaped. */
function goEscapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~/$&+,:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's URL.EscapedPath after ApplyRoute changed Path: the director's raw path when it still spells Path, else Path escaped. */
function escapedPathOf(path: string, rawPath: string): string {
  const validRaw = !/[^A-Za-z0-9\-_.~/!$&'()*+,;=:@[\]%]/.test(rawPath);
  return validRaw && goPathUnescape(rawPath) === path ? rawPath : goEscapePath(path);
}

/** addQueryString: the browser's query parsed, the route's urlParams appended, re-encoded with sorted keys. */
function encodeQuery(search: string, extra: Array<[string, string]>): string {
  const pairs: Array<[string, string]> = [];
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (!part || part.includes(';')) continue; // Go's ParseQuery drops pairs with a semicolon.
    const eq = part.indexOf('=');
    const decode = (s: string) => goPathUnescape(s.replace(/\+/g, ' '));
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (key !== undefined && value !== undefined) pairs.push([key, value]);
  }
  pairs.push(...extra);
  const keys = [...new Set(pairs.map(([k]) => k))].sort();
  return keys
    .flatMap((k) =>
      pairs
        .filter(([key]) => key === k)
        .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value).replace(/%20/g, '+')}`),
    )
    .join('&');
}

export type OrgRole = 'None' | 'Viewer' | 'Editor' | 'Admin';

export interface GrafanaUser {
  role: OrgRole;
  /** RBAC actions the user has on this data source; by default those of the role's basic role. */
  actions?: string[];
}

const ROLE_RANK: Record<OrgRole, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };
/** The data source actions Grafana's basic roles grant (datasources:write and :read are the admin's). */
const BASIC_ROLE_ACTIONS: Record<OrgRole, string[]> = {
  None: [],
  Viewer: ['datasources:query'],
  Editor: ['datasources:query'],
  Admin: ['datasources:query', 'datasources:read', 'datasources:write', 'datasources:delete'],
};

/** hasAccessToRoute: reqAction when route RBAC is on and the route names one, else reqRole. */
export function hasAccessToRoute(route: Route, user: GrafanaUser, accessControlOnCall = true): boolean {
  if (accessControlOnCall && route.reqAction) return (user.actions ?? BASIC_ROLE_ACTIONS[user.role]).includes(route.reqAction);
  const required = route.reqRole as OrgRole | undefined;
  if (required && required in ROLE_RANK) return ROLE_RANK[user.role] >= ROLE_RANK[required];
  return true;
}

export interface BrowserRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface UpstreamRequest {
  /** The matched route's path; undefined when no route matched (the data source URL was used). */
  route: string | undefined;
  method: string;
  /** The URL as sent: the path exactly as Grafana's client writes it on the wire. */
  url: string;
  /** The path the upstream server acts on after resolving dot segments (as WeCom's front end or a URL parser would). */
  resolvedPath: string;
  headers: Record<string, string>;
}

export interface DataSourceSettingsForProxy {
  jsonData: KfStatsOptions;
  secureJsonData: KfStatsSecureJsonData;
  uid?: string;
  /** The data source's own URL (Grafana's `url` field); this plugin leaves it empty. */
  url?: string;
}

const DROPPED_HEADERS = ['host', 'connection', 'content-length', 'cookie', 'origin', 'referer', 'transfer-encoding'];

export interface ProxyAnswer {
  status: number;
  statusText: string;
  body: string;
}

async function forward(
  target: { origin: string; path: string; query: string },
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal?: AbortSignal,
): Promise<{ status: number; statusText: string; body: string }> {
  const url = new URL(target.origin);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveAnswer, reject) => {
    const req = send(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        method,
        path: target.query ? `${target.path}?${target.query}` : target.path,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveAnswer({
            status: res.statusCode ?? 502,
            statusText: res.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Grafana's data source proxy for one data source: `/api/datasources/proxy/uid/<uid>/<path>` is
 * matched to a plugin.json route and forwarded, with the route's secrets added.
 */
export function createDataProxyHandler(
  options: DataSourceSettingsForProxy & {
    prefix: string;
    upstreamRequests: UpstreamRequest[];
    /** The signed-in user (read at each request); a Viewer by default. */
    user?: () => GrafanaUser;
    accessControlOnCall?: boolean;
    routes?: Route[];
  },
) {
  const data: TemplateData = {
    JsonData: { ...options.jsonData },
    SecureJsonData: { ...(options.secureJsonData as Record<string, string>) },
  };
  const routes = options.routes ?? pluginJson.routes;
  return async (request: BrowserRequest, signal?: AbortSignal): Promise<ProxyAnswer | undefined> => {
    const answer = (status: number, body: string, statusText = '') => ({ status, statusText, body });
    const badGateway = () => answer(502, '{"message":"Bad Gateway"}', 'Bad Gateway');
    if (!request.url.startsWith(`${options.prefix}/`) && request.url !== options.prefix) {
      return answer(404, '{"message":"Not found"}', 'Not Found');
    }
    const queryAt = request.url.indexOf('?');
    const escapedPath = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
    const search = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
    const proxyPath = extractProxyPath(escapedPath);
    const cleanedPath = cleanRelativePath(proxyPath);
    const route = routes.find(
      (r) => (!r.method || r.method === '*' || r.method === request.method) && cleanedPath.startsWith(cleanRelativePath(r.path)),
    );
    const user = options.user?.() ?? { role: 'Viewer' };
    if (route && !hasAccessToRoute(route, user, options.accessControlOnCall ?? true)) {
      return answer(403, '{"message":"plugin proxy route access denied"}', 'Forbidden');
    }

    // The director: the data source URL (empty here) joined with the proxy path.
    const dsUrl = options.url ? new URL(options.url) : undefined;
    const rawPath = joinUrlFragments(dsUrl?.pathname.replace(/^\/$/, '') ?? '', proxyPath);
    const unescaped = goPathUnescape(rawPath);
    if (unescaped === undefined || !route) {
      // No route (or the director gave up): the request goes to the data source URL, without secrets.
      if (!dsUrl || unescaped === undefined) return badGateway();
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers))
      if (!DROPPED_HEADERS.includes(k.toLowerCase())) headers[k.toLowerCase()] = String(v);
    if (headers['x-ds-authorization']) {
      headers.authorization = headers['x-ds-authorization'];
      delete headers['x-ds-authorization'];
    }
    headers['user-agent'] = 'Grafana';

    let origin: string;
    let path: string;
    let query = search;
    if (route) {
      const rendered = renderGoTemplate(route.url, data);
      let routeUrl: URL;
      try {
        routeUrl = new URL(rendered);
      } catch {
        return badGateway(); // No scheme or host: the forward fails.
      }
      if (!routeUrl.host) return badGateway();
      const rest = proxyPath.startsWith(route.path) ? proxyPath.slice(route.path.length) : proxyPath;
      origin = routeUrl.origin;
      path = escapedPathOf(joinUrlFragments(routeUrl.pathname, rest), rawPath);
      query = encodeQuery(
        search,
        (route.urlParams ?? []).map((p) => [renderGoTemplate(p.name, data), renderGoTemplate(p.content, data)]),
      );
      for (const h of route.headers ?? []) headers[h.name.toLowerCase()] = renderGoTemplate(h.content, data);
    } else {
      origin = dsUrl!.origin;
      path = rawPath;
    }
    const resolvedPath = new URL(path, 'http://upstream.invalid').pathname;
    options.upstreamRequests.push({
      route: route?.path,
      method: request.method,
      url: `${origin}${path}${query ? `?${query}` : ''}`,
      resolvedPath,
      headers,
    });
    let upstream: { status: number; statusText: string; body: string };
    // No test touches the internet: an upstream off this machine is treated as unreachable.
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(origin).hostname)) return badGateway();
    try {
      upstream = await forward({ origin, path, query }, request.method, headers, request.body, signal);
    } catch {
      if (signal?.aborted) return undefined;
      return badGateway();
    }
    // Grafana turns an upstream 401 into 400 so that the viewer is not logged out of Grafana.
    if (upstream.status === 401) return answer(400, 'Authentication to data source failed', 'Bad Request');
    return answer(upstream.status, upstream.body, upstream.statusText);
  };
}
