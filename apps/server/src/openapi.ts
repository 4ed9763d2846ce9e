/**
 * Each route's schema, from the API's contract in core (`@wecom-kf-stats/core/server-api`): the
 * handlers validate requests and serialize answers with these, and @fastify/swagger generates the
 * OpenAPI document at /api/v1/openapi.json from the same objects, so the three cannot drift.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  answers,
  corpParams,
  destinationParams,
  destinationRequest,
  errorAnswer,
  keyParams,
  keyRequest,
  notifyAnswers,
  queries,
  tokenParams,
} from '@wecom-kf-stats/core/server-api';

/** The error answers, each described once. */
const ERRORS = {
  400: errorAnswer.describe('A malformed parameter or body field (INVALID_PARAMETER): the message starts with its name'),
  401: errorAnswer.describe('No API key, or one that is not valid (UNAUTHORIZED)'),
  403: errorAnswer.describe('The key may not do this, or may not read what the request names (FORBIDDEN)'),
  404: errorAnswer.describe('A well-formed source, corp or account the server has never seen (NOT_FOUND)'),
  429: errorAnswer.describe('Too many requests from this address (TOO_MANY_REQUESTS)'),
  502: errorAnswer.describe('WeCom, or the way to it, failed (UPSTREAM_…): the message says how'),
  503: errorAnswer.describe(
    'The archive cannot be read or written right now (STORE_UNAVAILABLE), or no token could be had (TOKEN_UNAVAILABLE)',
  ),
} as const;

const pick = <K extends keyof typeof ERRORS>(...codes: K[]) =>
  Object.fromEntries(codes.map((c) => [c, ERRORS[c]])) as Pick<typeof ERRORS, K>;

/** A statistics route can fail on the store, on WeCom while listing a corp, or on its parameters. */
const seriesErrors = pick(400, 401, 403, 404, 502, 503);
/** Answers carry an ETag; asked again with it in If-None-Match, an unchanged answer is a 304 without body. */
const notModified = { 304: z.null().describe('Not modified: the answer is the one of the ETag in If-None-Match') };

export const ROUTE_SCHEMAS = {
  sources: {
    summary: 'The configured sources and their corps',
    querystring: queries.sources,
    response: { 200: answers.sources, ...pick(400, 401, 403, 503) },
  },
  accounts: {
    summary: 'Customer-service accounts of a source (kf/account/list, remembered in the store)',
    querystring: queries.accounts,
    response: { 200: answers.accounts, ...seriesErrors },
  },
  servicers: {
    summary: 'Servicers of an account (kf/servicer/list, remembered in the store)',
    querystring: queries.servicers,
    response: { 200: answers.servicers, ...seriesErrors },
  },
  statistics: {
    summary: "Daily statistics of one series, in the command line's JSON shape: the archive first, in-window days it lacks fetched live",
    querystring: queries.series,
    response: { 200: answers.statistics, ...notModified, ...seriesErrors },
  },
  summary: {
    summary: 'The same days summarized: counts summed, rates weighted by their denominators',
    querystring: queries.series,
    response: { 200: answers.summary, ...notModified, ...seriesErrors },
  },
  token: {
    summary:
      "A token service (core's tokenService auth): the corp's current access_token, for keys in tokenApiKeysEnv only (403 for the others)",
    params: tokenParams,
    querystring: queries.token,
    response: { 200: answers.token, ...pick(400, 401, 403, 404, 502, 503) },
  },
  keyCreate: {
    summary: 'Make an API key limited to sources and corps (admin keys only): the key is in this answer alone',
    body: keyRequest,
    response: { 201: answers.keyCreated, ...pick(400, 401, 403, 503) },
  },
  keyList: {
    summary: 'The API keys made at run time, without the keys themselves (admin keys only)',
    querystring: queries.sources,
    response: { 200: answers.keys, ...pick(400, 401, 403, 503) },
  },
  keyRevoke: {
    summary: 'Revoke a key: every replica refuses it within seconds (admin keys only)',
    params: keyParams,
    response: { 204: z.null().describe('Revoked'), ...pick(400, 401, 403, 404, 503) },
  },
  corpDelete: {
    summary: 'Delete everything the server keeps of a corp, its archived days included (admin keys only)',
    params: corpParams,
    response: { 204: z.null().describe('Deleted'), ...pick(400, 401, 403, 404, 503) },
  },
  destinationCreate: {
    summary:
      "Add a WeCom group robot that gets reports and notices, e.g. a customer's group (admin keys only): its webhook is never shown again",
    body: destinationRequest,
    response: { 201: notifyAnswers.destination, ...pick(400, 401, 403, 503) },
  },
  destinationList: {
    summary: 'The group robot destinations, of the config file and made here, without their webhook keys (admin keys only)',
    response: { 200: notifyAnswers.destinations, ...pick(401, 403, 503) },
  },
  destinationDelete: {
    summary: "Remove a destination made through the API (admin keys only; the config file's are removed there)",
    params: destinationParams,
    response: { 204: z.null().describe('Removed'), ...pick(400, 401, 403, 404, 503) },
  },
  destinationPreview: {
    summary:
      'The messages a destination would get now (reports as they read now, notices that would fire or clear), sending nothing (admin keys only)',
    params: destinationParams,
    response: { 200: notifyAnswers.preview, ...pick(400, 401, 403, 404, 503) },
  },
  destinationTest: {
    summary: "Send one short text to a destination's group robot, to check its webhook (admin keys only)",
    params: destinationParams,
    response: { 200: notifyAnswers.test, ...pick(400, 401, 403, 404, 503) },
  },
  health: {
    summary: 'Liveness and store check, as the background probe last saw it (no key)',
    security: [],
    response: {
      200: answers.health.describe('The archive can be written'),
      429: ERRORS[429],
      503: answers.health.describe('The archive cannot be written'),
    },
  },
  metrics: {
    summary: 'Prometheus metrics (text format)',
    response: {
      200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
      401: ERRORS[401],
      403: ERRORS[403],
    },
  },
} as const;

const callbackText = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
const callbackQuery = {
  msg_signature: z.string().optional().describe("WeCom's signature: 40 hex digits"),
  timestamp: z.string().optional().describe('Unix seconds, within 300 s of the server clock'),
  nonce: z.string().optional().describe('A random string of at most 64 characters'),
};
const callbackRefusals = {
  400: {
    description: "Malformed, or not decryptable with the source's EncodingAESKey (text); a query parameter given twice (JSON)",
    content: { 'text/plain': { schema: z.string() }, 'application/json': { schema: errorAnswer } },
  },
  403: callbackText('A signature or timestamp that does not match'),
  429: ERRORS[429],
};

/** WeCom's command callback of a provider source (authenticated by its signature, not a key). */
export const CALLBACK_SCHEMAS = {
  verify: {
    summary: "WeCom's URL check of a provider source's command callback: answers the decrypted echostr",
    security: [],
    params: z.object({ source: z.string().describe('A serviceProvider source with auth.callback') }),
    querystring: z.looseObject({ ...callbackQuery, echostr: z.string().optional().describe('The encrypted string to answer, decrypted') }),
    response: { 200: callbackText('The plain echostr'), ...callbackRefusals },
  },
  event: {
    summary: "WeCom's encrypted events (suite_ticket, create_auth, reset_permanent_code, change_auth, cancel_auth): answers success",
    security: [],
    params: z.object({ source: z.string().describe('A serviceProvider source with auth.callback') }),
    querystring: z.looseObject(callbackQuery),
    response: {
      200: callbackText('success'),
      ...callbackRefusals,
      413: callbackText('A body over 512 KiB'),
      502: callbackText('The event could not be applied; WeCom sends it again'),
    },
  },
} as const;

/** The document's frame; @fastify/swagger fills in the paths from the routes' schemas. */
export function openApiOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    transform: jsonSchemaTransform,
    openapi: {
      openapi: '3.1.0',
      info: { title: 'wecom-kf-stats-server', version, description: 'WeCom customer-service statistics: the archive and gateway API.' },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'One of the keys in the variables named by apiKeysEnv or tokenApiKeysEnv',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
  };
}
