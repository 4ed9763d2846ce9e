/**
 * The API's routes and query parameters, once: the handlers accept exactly these parameters, and
 * the OpenAPI document served at /api/v1/openapi.json is generated from the same table.
 */
import { MAX_RANGE_DAYS } from './china-days.js';

export interface ParameterSpec {
  description: string;
  schema: Record<string, unknown>;
  example?: string;
}

export const PARAMETERS = {
  source: { description: 'A source id of the config.', schema: { type: 'string' }, example: 'acme' },
  corpid: {
    description: "The corp of the source (a service provider's authorized corp); required when the source has more than one.",
    schema: { type: 'string' },
  },
  endpoint: { description: 'Which statistics.', schema: { type: 'string', enum: ['component', 'corp', 'servicer'] }, example: 'corp' },
  open_kfid: {
    description: 'The customer-service account (required for corp and servicer statistics).',
    schema: { type: 'string' },
    example: 'wkXXXX',
  },
  servicer_userid: {
    description: "One servicer (servicer statistics only); without it, the account's total of human service.",
    schema: { type: 'string' },
  },
  from: {
    description: 'First day, China time: YYYY-MM-DD, "yesterday" or "N days ago".',
    schema: { type: 'string' },
    example: '2026-01-01',
  },
  to: { description: 'Last day, China time, inclusive (cut to yesterday).', schema: { type: 'string' }, example: '2026-01-31' },
  last: {
    description: `The N days ending yesterday, instead of from/to (1 to ${MAX_RANGE_DAYS}).`,
    schema: { type: 'integer', minimum: 1 },
    example: '7',
  },
} as const satisfies Record<string, ParameterSpec>;

export type ParameterName = keyof typeof PARAMETERS;

const SERIES: readonly ParameterName[] = ['source', 'corpid', 'endpoint', 'open_kfid', 'servicer_userid', 'from', 'to', 'last'];

export interface RouteSpec {
  summary: string;
  parameters: readonly ParameterName[];
  required: readonly ParameterName[];
  response: Record<string, unknown>;
}

const day = {
  type: 'object',
  required: ['date', 'stat_time', 'statistic'],
  properties: {
    date: { type: 'string', description: 'China date YYYY-MM-DD' },
    stat_time: { type: 'integer', description: "Unix seconds of the day's 00:00 China time" },
    statistic: {
      type: ['object', 'null'],
      description:
        "WeCom's fields; every catalog metric present (null when WeCom left it out), unknown fields kept; null for a day without data",
      additionalProperties: true,
    },
  },
};
const warning = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    ranges: {
      type: 'array',
      description: 'The days the warning is about, as runs of consecutive China days',
      items: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string' }, to: { type: 'string' } } },
    },
  },
};
const seriesHead = {
  source: { type: 'string' },
  corpid: { type: 'string' },
  endpoint: { type: 'string', enum: ['component', 'corp', 'servicer'] },
  open_kfid: { type: 'string' },
  servicer_userid: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
};

export const ROUTES = {
  '/api/v1/sources': {
    summary: 'The configured sources and their corps',
    parameters: [],
    required: [],
    response: {
      type: 'object',
      properties: {
        sources: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              type: { type: 'string' },
              collect: { type: 'array', items: { type: 'string' } },
              corps: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
  '/api/v1/accounts': {
    summary: 'Customer-service accounts of a source (kf/account/list, remembered in the store)',
    parameters: ['source', 'corpid'],
    required: ['source'],
    response: {
      type: 'object',
      properties: {
        source: { type: 'string' },
        accounts: {
          type: 'array',
          items: {
            type: 'object',
            properties: { corpid: { type: 'string' }, open_kfid: { type: 'string' }, name: { type: ['string', 'null'] } },
          },
        },
      },
    },
  },
  '/api/v1/servicers': {
    summary: 'Servicers of an account (kf/servicer/list, remembered in the store)',
    parameters: ['source', 'corpid', 'open_kfid'],
    required: ['source', 'open_kfid'],
    response: {
      type: 'object',
      properties: {
        source: { type: 'string' },
        open_kfid: { type: 'string' },
        servicers: {
          type: 'array',
          items: { type: 'object', properties: { servicer_userid: { type: 'string' }, status: { type: ['integer', 'null'] } } },
        },
      },
    },
  },
  '/api/v1/statistics': {
    summary: "Daily statistics of one series, in the command line's JSON shape: the archive first, in-window days it lacks fetched live",
    parameters: SERIES,
    required: ['source', 'endpoint'],
    response: {
      type: 'object',
      properties: { ...seriesHead, days: { type: 'array', items: day }, warnings: { type: 'array', items: warning } },
    },
  },
  '/api/v1/summary': {
    summary: 'The same days summarized: counts summed, rates weighted by their denominators',
    parameters: SERIES,
    required: ['source', 'endpoint'],
    response: {
      type: 'object',
      properties: { ...seriesHead, summary: { type: 'object', additionalProperties: true }, warnings: { type: 'array', items: warning } },
    },
  },
  '/api/v1/sources/{source}/token': {
    summary:
      "A token service (core's tokenService auth): the corp's current access_token, for keys in tokenApiKeysEnv only (403 for the others)",
    parameters: ['source', 'corpid'],
    required: ['source'],
    response: {
      type: 'object',
      required: ['access_token', 'expires_in'],
      properties: { access_token: { type: 'string' }, expires_in: { type: 'integer', description: 'Seconds it stays valid' } },
    },
  },
} as const satisfies Record<string, RouteSpec>;

export type RoutePath = keyof typeof ROUTES;

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, route] of Object.entries(ROUTES) as [RoutePath, RouteSpec][]) {
    paths[path] = {
      get: {
        summary: route.summary,
        security: [{ apiKey: [] }],
        parameters: route.parameters.map((name) => {
          const spec: ParameterSpec = PARAMETERS[name];
          return {
            name,
            in: path.includes(`{${name}}`) ? 'path' : 'query',
            required: route.required.includes(name) || path.includes(`{${name}}`),
            description: spec.description,
            schema: spec.schema,
            ...(spec.example !== undefined ? { example: spec.example } : {}),
          };
        }),
        responses: {
          200: { description: 'OK', content: { 'application/json': { schema: route.response } } },
          400: { description: 'A bad parameter; the message starts with its name', content: { 'application/json': { schema: errorBody } } },
          401: { description: 'No or a wrong API key', content: { 'application/json': { schema: errorBody } } },
          ...(path.endsWith('/token')
            ? { 403: { description: 'A key that may not take tokens', content: { 'application/json': { schema: errorBody } } } }
            : {}),
        },
      },
    };
  }
  paths['/healthz'] = { get: { summary: 'Liveness and store check (no key)', security: [], responses: { 200: { description: 'OK' } } } };
  paths['/metrics'] = {
    get: { summary: 'Prometheus metrics', security: [{ apiKey: [] }], responses: { 200: { description: 'Prometheus text format' } } },
  };
  const callbackParams = ['msg_signature', 'timestamp', 'nonce'].map((name) => ({
    name,
    in: 'query',
    required: true,
    schema: { type: 'string' },
  }));
  paths['/callback/{source}'] = {
    parameters: [{ name: 'source', in: 'path', required: true, schema: { type: 'string' } }],
    get: {
      summary: "WeCom's URL check of a provider source's command callback: answers the decrypted echostr (signature, no key)",
      security: [],
      parameters: [...callbackParams, { name: 'echostr', in: 'query', required: true, schema: { type: 'string' } }],
      responses: {
        200: { description: 'The plain echostr' },
        400: { description: 'Malformed' },
        403: { description: 'Bad signature or timestamp' },
      },
    },
    post: {
      summary: "WeCom's encrypted events (suite_ticket, create_auth, change_auth, cancel_auth): answers success",
      security: [],
      parameters: callbackParams,
      responses: {
        200: { description: 'success' },
        400: { description: 'Malformed or undecryptable' },
        403: { description: 'Bad signature or timestamp' },
        413: { description: 'Body over 64 KiB' },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'wecom-kf-stats-server', version, description: 'WeCom customer-service statistics: the archive and gateway API.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'One of the keys in the variable named by apiKeysEnv' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
