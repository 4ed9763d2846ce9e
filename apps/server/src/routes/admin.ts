/**
 * What only admin keys (adminKeysEnv) may do: make, list and revoke API keys, and delete a corp's
 * data by hand. A key is shown once, when it is made; the store keeps its hash.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyRing } from '../access.js';
import type { Destination, Notifier } from '../notify/notifier.js';
import { shownWebhook } from '../notify/robot.js';
import { createKey, describeKey } from '../keys.js';
import { deleteCorpData } from '../callback/auth-events.js';
import { ROUTE_SCHEMAS } from '../openapi.js';
import { corpsOfSource, findSource, NotFoundError, ParameterError, pickCorp } from '../series.js';
import type { ApiRoutes, RouteContext } from './context.js';

/** The largest key request taken: a thousand corp ids and a hundred sources fit several times over. */
const KEY_BODY_LIMIT = 256 * 1024;

export function registerAdminRoutes(
  api: ApiRoutes,
  /** `adminOnly` runs before the body is read: a key that is not an admin's gets 403 for any body. */
  context: RouteContext & {
    adminOnly: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
    keyRing: KeyRing;
    notifier?: Notifier;
  },
): void {
  const { config, store, now, keyRing } = context;
  void api.register(async (scope) => {
    // JSON only, read here so that a body that is not JSON is named like any other bad field.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: KEY_BODY_LIMIT }, (request, body, done) => {
      const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (type !== 'application/json')
        return done(new ParameterError('body', `content type "${type.slice(0, 64)}": send JSON with "Content-Type: application/json"`));
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new ParameterError('body', 'not valid JSON'));
      }
    });
    const routes = scope as unknown as ApiRoutes;

    routes.post('/api/v1/keys', { schema: ROUTE_SCHEMAS.keyCreate, onRequest: context.adminOnly }, async (request, reply) => {
      const made = await createKey(store, config, request.body, now());
      await keyRing.refresh();
      request.log.info({ key: made.name }, `API key "${made.name}" made`);
      return reply.code(201).header('cache-control', 'no-store').send(made);
    });

    routes.get('/api/v1/keys', { schema: ROUTE_SCHEMAS.keyList, onRequest: context.adminOnly }, async () => ({
      keys: (await store.keys.list()).map((row) => ({
        ...describeKey(row),
        createdAt: new Date(row.createdAt).toISOString(),
        lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
      })),
    }));

    routes.delete('/api/v1/keys/:name', { schema: ROUTE_SCHEMAS.keyRevoke, onRequest: context.adminOnly }, async (request, reply) => {
      if (!(await store.keys.revoke(request.params.name))) throw new NotFoundError(`no key is named "${request.params.name}"`);
      await keyRing.refresh();
      request.log.info({ key: request.params.name }, `API key "${request.params.name}" revoked`);
      return reply.code(204).send(null);
    });

    const notifier = () => {
      if (!context.notifier) throw new NotFoundError('this server sends no reports or notices');
      return context.notifier;
    };
    routes.post(
      '/api/v1/destinations',
      { schema: ROUTE_SCHEMAS.destinationCreate, onRequest: context.adminOnly },
      async (request, reply) => {
        const made = await notifier().add(request.body);
        request.log.info({ destination: made.id }, `group robot destination "${made.id}" added`);
        return reply.code(201).header('cache-control', 'no-store').send(describeDestination(made));
      },
    );
    routes.get('/api/v1/destinations', { schema: ROUTE_SCHEMAS.destinationList, onRequest: context.adminOnly }, async () => ({
      destinations: (await notifier().destinations()).map(describeDestination),
    }));
    routes.delete(
      '/api/v1/destinations/:id',
      { schema: ROUTE_SCHEMAS.destinationDelete, onRequest: context.adminOnly },
      async (request, reply) => {
        const removed = await notifier().remove(request.params.id);
        if (removed === 'config')
          throw new ParameterError('id', `"${request.params.id}" is a destination of the config file: remove it there`);
        if (removed === 'unknown') throw new NotFoundError(`no destination is named "${request.params.id}"`);
        request.log.info({ destination: request.params.id }, `group robot destination "${request.params.id}" removed`);
        return reply.code(204).send(null);
      },
    );
    routes.get(
      '/api/v1/destinations/:id/preview',
      { schema: ROUTE_SCHEMAS.destinationPreview, onRequest: context.adminOnly },
      async (request, reply) => {
        const [preview] = await notifier().preview(request.params.id);
        return reply.header('cache-control', 'no-store').send(preview!);
      },
    );
    routes.post('/api/v1/destinations/:id/test', { schema: ROUTE_SCHEMAS.destinationTest, onRequest: context.adminOnly }, async (request) =>
      notifier().test(request.params.id),
    );

    routes.delete(
      '/api/v1/sources/:source/corps/:corpid',
      { schema: ROUTE_SCHEMAS.corpDelete, onRequest: context.adminOnly },
      async (request, reply) => {
        const source = findSource(config, request.params);
        const { corpId } = pickCorp(await corpsOfSource(context.providers, source), source, request.params);
        // Its client known here first, so that its tokens go too.
        await context.providers.sync(context.clients);
        const days = await deleteCorpData(context, { source: source.id, corpId });
        await context.providers.sync(context.clients);
        request.log.warn(
          { source: source.id, corp: corpId },
          `corp ${corpId} of source ${source.id}: its data and ${days} archived days are deleted by hand`,
        );
        return reply.code(204).send(null);
      },
    );
  });
}

/** A destination as answers show it: the webhook's key hidden. */
function describeDestination(d: Destination) {
  return {
    id: d.id,
    origin: d.origin,
    webhook: d.webhook ? shownWebhook(d.webhook) : '(not set)',
    sources: d.sources,
    corps: d.corps,
    accounts: d.accounts,
    language: d.language,
    report: d.report,
    rules: d.rules,
  };
}
