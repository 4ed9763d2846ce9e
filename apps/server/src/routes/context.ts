/** What every route module gets: the API's options, the live fetches they share, and one way to answer an error. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Access } from '../access.js';
import type { LiveFetches, SeriesContext } from '../series.js';

/** The authenticated scope, with requests typed by the routes' zod schemas. */
export type ApiRoutes = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface RouteContext extends SeriesContext {
  /** Live fetches in flight and accounts WeCom said do not exist, shared by all requests. */
  live: LiveFetches;
  /** What the request's key may read (checked by the authenticated scope before any route runs). */
  accessOf(request: FastifyRequest): Access;
}

/** Every error answer: `{error: {code, message}}` as JSON. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}
