/**
 * The gateway API under /api/v1: read-only JSON, every route but /healthz and WeCom's callbacks
 * (authenticated by their signature) behind `Authorization: Bearer <key>`. Statistics come from the archive whatever their age; days of
 * WeCom's window that it lacks are fetched live (paced like the collector) and stored. Answers
 * never hold a token or a secret, and errors never a stack.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_PARAMETER_LENGTH } from '@wecom-kf-stats/core/server-api';
import { createStoreHealth, type StoreHealth } from './health.js';
import { NOT_TEXT } from './input-text.js';
import { openApiOptions, ROUTE_SCHEMAS } from './openapi.js';
import { PUBLIC_ROUTE_LIMIT } from './public-limit.js';
import { readFileSync } from 'node:fs';
import { isWecomStatsError, redactText, type TokenStore } from './kf-core.js';
import type { ServerMetrics } from './metrics.js';
import { isStoreError } from './store/store.js';
import { registerCallbackRoutes } from './callback/routes.js';
import { registerCatalogRoutes } from './routes/catalog.js';
import { sendError, type RouteContext } from './routes/context.js';
import { registerStatisticsRoutes } from './routes/statistics.js';
import { registerTokenRoute } from './routes/token.js';
import { registerAdminRoutes } from './routes/admin.js';
import { createKeyRing, ForbiddenError, OPERATOR, type Access } from './access.js';
import type { AuthEvents } from './callback/auth-events.js';
import type { Notifier } from './notify/notifier.js';
import { createRefusalCache, isUnknownAccount, NotFoundError, ParameterError, type LiveFetches, type SeriesContext } from './series.js';

export interface ApiOptions extends SeriesContext {
  metrics: ServerMetrics;
  apiKeys: readonly string[];
  /** Keys that may also take access tokens (`tokenApiKeysEnv`). */
  tokenApiKeys?: readonly string[];
  /** Keys that manage keys and delete corps' data (`adminKeysEnv`). */
  adminKeys?: readonly string[];
  /** Authorization events of the callbacks (wireServer's). */
  authEvents: AuthEvents;
  /** The tokens the process's clients share (wireServer's); the token service drops a rejected one there. @default the store's */
  tokens?: TokenStore;
  /** The store's health for /healthz. @default one made here, probing the store in the background */
  health?: StoreHealth;
  /** Who writes the health probe's row: one per process. @default a random id */
  owner?: string;
  /** Reports and notices to group robots (wireServer's): its destinations are managed through admin routes. */
  notifier?: Notifier;
}

/** The routes that answer GET only (HEAD too, as Fastify adds it); other methods get 405 with `Allow`. */
const GET_ONLY_ROUTES = [
  '/healthz',
  '/metrics',
  '/api/v1/openapi.json',
  '/api/v1/sources',
  '/api/v1/accounts',
  '/api/v1/servicers',
  '/api/v1/statistics',
  '/api/v1/summary',
  '/api/v1/sources/:source/token',
] as const;
const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export { TOKEN_RENEWAL_MIN_INTERVAL_MS } from './routes/token.js';

/** The request's path, without its query (which may hold a misplaced key): what the log shows. */
export const pathOf = (url: string) => url.split('?', 1)[0]!;

/** Errors Node's HTTP parser raises before Fastify sees a request, as the API's JSON errors. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request headers are too large'],
};

export { MAX_PARAMETER_LENGTH };

/** A parameter name as a message may show it (a name made of odd bytes is cut and escaped). */
const shownName = (name: string) => (NOT_TEXT.test(name) || name.length > 40 ? JSON.stringify(name.slice(0, 40)) : name);

/**
 * The one message of a request the route's zod schema refused: the first problem, named by its
 * parameter (an unknown parameter names the allowed ones).
 */
function parameterErrorOf(
  error: { validation: { keyword?: string; instancePath?: string; message?: string; params?: unknown }[] },
  allowed: readonly string[],
  context: string,
): ParameterError {
  // An unknown parameter first: it is usually a misspelt one, whose absence the other problems are.
  const first = error.validation.find((v) => v.keyword === 'unrecognized_keys') ?? error.validation[0]!;
  const keys = (first.params as { keys?: string[] } | undefined)?.keys;
  if (first.keyword === 'unrecognized_keys' && keys?.length)
    return new ParameterError(shownName(keys[0]!), `unknown ${context === 'body' ? 'field' : 'parameter'}; allowed: ${allowed.join(', ')}`);
  // A body field by its path (`sources[2]`); a body that is not an object is "body".
  const [head, ...rest] = (first.instancePath ?? '').split('/').slice(1);
  const name = head
    ? shownName(head) + rest.map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${shownName(part)}`)).join('')
    : context === 'body'
      ? 'body'
      : 'request';
  return new ParameterError(name, first.message ?? 'not valid');
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const { config, store, now } = options;
  const { providers } = options;
  // The configured keys and those made at run time (read from the store now, then every few seconds).
  const keyRing = createKeyRing({
    apiKeys: options.apiKeys,
    tokenApiKeys: options.tokenApiKeys ?? [],
    adminKeys: options.adminKeys ?? [],
    store,
    now,
    log: options.logger.child({ component: 'keys' }),
  });
  // A store that cannot be read now leaves the configured keys working; the stored ones come with the next read.
  await keyRing
    .refresh()
    .catch((error: Error) => options.logger.warn({ component: 'keys' }, `reading the API keys failed: ${redactText(error.message)}`));
  keyRing.start();
  /** What each authenticated request's key may do. */
  const accessOf = new WeakMap<FastifyRequest, Access>();
  const limits = config.http;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    return503OnClosing: true,
    // A silent or trickling client cannot hold a socket: the whole request within
    // requestTimeoutMs, its headers within headersTimeoutMs (checked every second), a kept-alive
    // connection closed after idleTimeoutMs without a request.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    // Long values reach the handlers, which name the parameter (find-my-way's default cuts at 100
    // characters with a bare 414); Node's header size still bounds the URL.
    routerOptions: { maxParamLength: 16 * 1024 },
    // A path that is not valid percent-encoded UTF-8 never reaches a route: say which part is wrong.
    frameworkErrors(error, request, reply) {
      const parameter = /^\/(api\/v1\/sources|callback)\//.test(request.url) ? 'source' : 'path';
      return sendError(reply, 400, 'INVALID_PARAMETER', `${parameter}: not valid percent-encoded UTF-8 text (${error.code ?? 'bad URL'})`);
    },
    clientErrorHandler(error, socket) {
      if ((error as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
      const [status, code, message] = CLIENT_ERRORS[(error as { code?: string }).code ?? ''] ?? [
        400,
        'BAD_REQUEST',
        'the request is not valid HTTP',
      ];
      const body = JSON.stringify({ error: { code, message } });
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy();
    },
  });
  app.server.maxConnections = limits.maxConnections;
  // What needs no key is limited per address (routes opt in with PUBLIC_ROUTE_LIMIT): over the
  // limit, a 429 in the request hook, before any body is read, and the connection is closed.
  await app.register(rateLimit, {
    global: false,
    max: limits.publicPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests from this address: at most ${context.max} a minute; try again in ${context.after}`), {
        statusCode: 429,
      }),
  });
  // A connection that sends nothing is not a request yet, so no request timeout covers it: it
  // gets headersTimeoutMs to start one.
  app.server.on('connection', (socket: Socket) => {
    socket.setTimeout(limits.headersTimeoutMs);
    socket.once('timeout', () => socket.destroy());
  });
  const owner = options.owner ?? `api:${randomUUID()}`;
  const health = options.health ?? createStoreHealth({ store, owner, logger: options.logger });
  if (!options.health) app.addHook('onClose', async () => health.stop());

  // A request began: from here the request and keep-alive timeouts apply.
  // (A request injected in process has a socket without timers.)
  app.addHook('onRequest', async (request) => {
    (request.raw.socket as Partial<Socket> | undefined)?.setTimeout?.(0);
  });
  // Each answer timed by its route's pattern (an unknown path counts as one "unmatched" route, so
  // a scan cannot grow the label set).
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.onApiRequest({
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      durationSeconds: reply.elapsedTime / 1000,
    });
  });
  // Requests are checked and answers written by the routes' zod schemas (the API's contract in
  // core); @fastify/swagger makes the OpenAPI document from the same schemas.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  await app.register(swagger, openApiOptions(version));

  /** The key a request presents, checked: every route of the authenticated scope runs this first. */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const access = match ? keyRing.check(match[1]!) : undefined;
    if (access === undefined || access === 'expired') {
      reply.header('www-authenticate', 'Bearer');
      return sendError(
        reply,
        401,
        'UNAUTHORIZED',
        access === 'expired'
          ? 'the API key has expired'
          : match
            ? 'the API key is not valid'
            : 'send the header "Authorization: Bearer <API key>"',
      );
    }
    accessOf.set(request, access);
  };
  /** Routes for the operator's and admin keys only (403 for scoped keys), or for admin keys only. */
  const only = (kinds: readonly Access['kind'][], what: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const access = accessOf.get(request);
    if (!access || !kinds.includes(access.kind)) return sendError(reply, 403, 'FORBIDDEN', `${what}`);
  };

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = (error as { validationContext?: string }).validationContext ?? 'querystring';
      const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context];
      const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      return sendError(reply, 400, 'INVALID_PARAMETER', parameterErrorOf(error, allowed, context).message);
    }
    if (error instanceof ParameterError) return sendError(reply, 400, 'INVALID_PARAMETER', error.message);
    if (error instanceof NotFoundError) return sendError(reply, 404, 'NOT_FOUND', error.message);
    if (error instanceof ForbiddenError) return sendError(reply, 403, 'FORBIDDEN', error.message);
    if (isUnknownAccount(error)) {
      // WeCom says the account (or servicer) does not exist: the same answer as any unknown id.
      return sendError(reply, 404, 'NOT_FOUND', redactText(error.message));
    }
    if (isWecomStatsError(error)) {
      // WeCom (or the way to it) failed: say how, in core's words (secrets already redacted).
      request.log.warn({ code: error.code }, `WeCom call failed: ${error.message}`);
      return sendError(reply, 502, `UPSTREAM_${error.code}`, redactText(error.message));
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) return sendError(reply, 413, 'BODY_TOO_LARGE', 'the request body is too large');
    if (status === 429) {
      // Not worth reading the rest of: the connection goes with the answer.
      reply.header('connection', 'close');
      return sendError(reply, 429, 'TOO_MANY_REQUESTS', (error as Error).message);
    }
    if (status && status >= 400 && status < 500) return sendError(reply, status, 'BAD_REQUEST', (error as Error).message);
    if (isStoreError(error)) {
      // The database failed: say so without its internals (they are in the log).
      request.log.error({ err: error }, 'the store failed');
      health.writeFailed(error);
      return sendError(reply, 503, 'STORE_UNAVAILABLE', 'the archive cannot be read or written right now; try again later');
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'INTERNAL', 'the server failed to answer; see its log');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${pathOf(request.url)}`));

  const live: LiveFetches = { inflight: new Map(), refusals: createRefusalCache(), health, owner };
  const routeContext: RouteContext = { ...options, live, accessOf: (request) => accessOf.get(request) ?? OPERATOR };

  // Without a key: WeCom's callbacks (authenticated by their signature) and the health check.
  registerCallbackRoutes(app, { providers, authEvents: options.authEvents, now, metrics: options.metrics, logger: options.logger });
  const publicRoutes = app.withTypeProvider<ZodTypeProvider>();
  // The state the background probe last saw, so a flood costs a map read each.
  publicRoutes.get('/healthz', { config: PUBLIC_ROUTE_LIMIT, schema: ROUTE_SCHEMAS.health }, async (_request, reply) => {
    const state = await health.current();
    if (!state.ok) return reply.code(503).send({ status: 'unavailable', store: store.kind, problem: 'the archive cannot be written' });
    return { status: 'ok' as const, store: store.kind };
  });
  answerGetOnly(app, '/healthz');

  // Everything else needs a key: one scope whose every route runs `authenticate` first.
  await app.register(async (scope) => {
    scope.addHook('onRequest', authenticate);
    const api = scope.withTypeProvider<ZodTypeProvider>();

    api.get(
      '/metrics',
      { schema: ROUTE_SCHEMAS.metrics, preHandler: only(['operator', 'admin'], "/metrics is for the operator's and admin keys") },
      async (_request, reply) => {
        reply.type(options.metrics.registry.contentType);
        return options.metrics.registry.metrics();
      },
    );

    api.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    registerCatalogRoutes(api, routeContext);
    registerStatisticsRoutes(api, routeContext);
    registerTokenRoute(api, { ...routeContext, tokens: options.tokens ?? store.tokens });
    registerAdminRoutes(api, {
      ...routeContext,
      adminOnly: only(['admin'], 'only admin keys (adminKeysEnv) manage keys and destinations and delete data'),
      keyRing,
      ...(options.notifier ? { notifier: options.notifier } : {}),
    });

    for (const url of GET_ONLY_ROUTES) if (url !== '/healthz') answerGetOnly(scope, url);
  });

  app.addHook('onClose', async () => keyRing.stop());
  return app;
}

/** Other methods on a GET route: 405 with `Allow` (kept out of the OpenAPI document). */
function answerGetOnly(app: FastifyInstance, url: string): void {
  app.route({
    method: [...OTHER_METHODS],
    url,
    schema: { hide: true },
    handler: (_request, reply) => {
      reply.header('allow', 'GET, HEAD');
      return sendError(reply, 405, 'METHOD_NOT_ALLOWED', 'this route answers GET (and HEAD) only');
    },
  });
}
