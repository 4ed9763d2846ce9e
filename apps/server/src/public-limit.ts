/**
 * The route option that puts a route under the per-address limit of what needs no key
 * (`http.publicPerMinute`, enforced by @fastify/rate-limit as buildApi registers it).
 */
export const PUBLIC_ROUTE_LIMIT = { rateLimit: {} };
