/**
 * The contract of the wecom-kf-stats server's HTTP API (`/api/v1`), as zod schemas: what each route
 * takes (query, path) and what it answers, per status. The server validates requests and
 * serializes answers with these schemas and generates its OpenAPI document from them; its clients
 * (the Grafana data source in server mode, core's `tokenService` auth used by the CLI, n8n and
 * Node-RED) parse answers with the same ones. Runtime-neutral: zod only.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { STATISTICS_ENDPOINTS } from './metrics.js';

/**
 * What no id, date or code the server takes from outside can contain: C0 and C1 control
 * characters and DEL (PostgreSQL refuses NUL in text outright), and, in a URL, lone surrogates and
 * U+FFFD (what undecodable percent-escapes become).
 */
export const NOT_TEXT = /[\u0000-\u001f\u007f-\u009f\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The longest value any parameter can have: WeCom's ids are at most 64 characters (a servicer's
 * userid; corp ids, open_kfid and source ids are shorter), dates and counts shorter still.
 */
export const MAX_PARAMETER_LENGTH = 128;

/** Why `value` can never be a parameter's value, or undefined when it could be one. */
export function parameterTextProblem(value: string): string | undefined {
  if (value.length > MAX_PARAMETER_LENGTH)
    return `${value.length} characters; at most ${MAX_PARAMETER_LENGTH} (WeCom's ids are at most 64)`;
  if (NOT_TEXT.test(value)) return 'contains a control character or bytes that are not UTF-8 text';
  // A query parser keeps a percent-escape it cannot decode as it was; no id, date or number the
  // API takes has a "%" in it.
  if (value.includes('%')) return 'contains "%": a percent-escape that is not UTF-8 text, or a character no parameter takes';
  return undefined;
}

/**
 * One query or path parameter: a single text value (given once), checked for what no value can
 * be; `what` says what is expected, for the message of a missing one.
 */
function parameter(what: string, description: string, example?: string) {
  const schema = z
    .string({
      error: (issue) =>
        issue.input === undefined ? `required: ${what}` : Array.isArray(issue.input) ? 'given more than once' : `expected ${what}`,
    })
    .superRefine((value, context) => {
      if (value === '') context.addIssue({ code: 'custom', message: `required: ${what}` });
      const problem = parameterTextProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .describe(description);
  return example === undefined ? schema : schema.meta({ example });
}

/** An optional parameter: absent or empty means "not given". */
function optionalParameter(what: string, description: string, example?: string) {
  return z
    .string({ error: (issue) => (Array.isArray(issue.input) ? 'given more than once' : `expected ${what}`) })
    .superRefine((value, context) => {
      const problem = parameterTextProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe(description)
    .meta(example === undefined ? {} : { example });
}

export const ENDPOINT_VALUES = STATISTICS_ENDPOINTS;
export const endpointSchema = z.enum(STATISTICS_ENDPOINTS).describe('Which statistics');
export const chinaDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .describe('A China date, YYYY-MM-DD');

const source = parameter('a source id (GET /api/v1/sources lists them)', 'A source id of the config.', 'acme');
const corpid = optionalParameter(
  'a corp id',
  "The corp of the source (a service provider's authorized corp); required when the source has more than one.",
);
const openKfid = optionalParameter(
  'a customer-service account id ("wk...")',
  'The customer-service account (required for corp and servicer statistics).',
  'wkXXXX',
);

/** The query of each GET route (unknown parameters are refused, naming the allowed ones). */
export const queries = {
  sources: z.strictObject({}),
  accounts: z.strictObject({ source, corpid }),
  servicers: z.strictObject({
    source,
    corpid,
    open_kfid: parameter('a customer-service account id ("wk...")', 'The customer-service account.', 'wkXXXX'),
  }),
  series: z.strictObject({
    source,
    corpid,
    endpoint: z
      .enum(STATISTICS_ENDPOINTS, {
        error: (issue) =>
          issue.input === undefined || issue.input === ''
            ? 'required: "component", "corp" or "servicer"'
            : Array.isArray(issue.input)
              ? 'given more than once'
              : `${JSON.stringify(String(issue.input).slice(0, 40))} is not one of "component", "corp", "servicer"`,
      })
      .describe('Which statistics.')
      .meta({ example: 'corp' }),
    open_kfid: openKfid,
    servicer_userid: optionalParameter(
      'a servicer userid',
      "One servicer (servicer statistics only); without it, the account's total of human service.",
    ),
    from: optionalParameter('a day', 'First day, China time: YYYY-MM-DD, "yesterday" or "N days ago".', '2026-01-01'),
    to: optionalParameter('a day', 'Last day, China time, inclusive (cut to yesterday); defaults to yesterday.', '2026-01-31'),
    last: optionalParameter(
      'a number of days',
      `The N days ending yesterday (also "Nd"), instead of from/to (1 to ${LIMITS.maxLastDays}).`,
      '7',
    ),
  }),
  token: z.strictObject({ corpid }),
};

/** The path parameters of `/api/v1/sources/{source}/token`. */
export const tokenParams = z.strictObject({ source });

/** What a key's name may be: letters, digits, ".", "_" and "-", from 1 to 64, starting with a letter or digit. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const keyName = z
  .string({ error: (issue) => (issue.input === undefined ? 'required: a name for the key' : 'expected a name (text)') })
  .regex(KEY_NAME, { error: 'letters, digits, ".", "_" and "-", 1 to 64, starting with a letter or digit' })
  .describe("The key's name, unique: who it is for (a customer, a dashboard)")
  .meta({ example: 'acme-grafana' });

/** The most sources and corps one key's scope may name. */
export const KEY_SCOPE_LIMITS = { sources: 100, corps: 1000 } as const;

/** A list of ids in a key's scope: absent means all; an empty list is refused (it would mean nothing). */
function scopeList(what: string, max: number, description: string) {
  return z
    .array(
      z
        .string({ error: `expected ${what} (text)` })
        .min(1, { error: `expected ${what}, not an empty text` })
        .superRefine((value, context) => {
          const problem = parameterTextProblem(value);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        }),
      { error: `expected a list of ${what}s` },
    )
    .min(1, { error: `an empty list: leave it out for all, or name at least one ${what}` })
    .max(max, { error: `at most ${max} ${what}s` })
    .optional()
    .describe(description);
}

/** The body of `POST /api/v1/keys`. */
export const keyRequest = z.strictObject({
  name: keyName,
  sources: scopeList('source id', KEY_SCOPE_LIMITS.sources, 'The sources the key may read; absent: all'),
  corps: scopeList('corp id', KEY_SCOPE_LIMITS.corps, 'The corps the key may read (in any of its sources); absent: all'),
  token: z
    .boolean({ error: 'true or false' })
    .optional()
    .describe('May take access tokens (GET /api/v1/sources/{source}/token) for the corps in its scope'),
  expiresInDays: z
    .number({ error: 'a whole number of days from 1 to 3650' })
    .int({ error: 'a whole number of days from 1 to 3650' })
    .min(1, { error: 'a whole number of days from 1 to 3650' })
    .max(3650, { error: 'a whole number of days from 1 to 3650' })
    .optional()
    .describe('The key stops working this many days from now; absent: never'),
});
export type KeyRequest = z.output<typeof keyRequest>;

/** The path parameters of `/api/v1/keys/{name}`. */
export const keyParams = z.strictObject({ name: keyName });

/** The path parameters of `/api/v1/sources/{source}/corps/{corpid}`. */
export const corpParams = z.strictObject({ source, corpid: parameter('a corp id', 'The corp whose data goes.') });

const keyScope = {
  name: z.string(),
  sources: z.array(z.string()).nullable().describe('null: every source'),
  corps: z.array(z.string()).nullable().describe('null: every corp'),
  token: z.boolean(),
  expiresAt: z.string().nullable().describe('ISO 8601; null: never'),
};

const warningSchema = z
  .object({
    code: z.string().describe('RANGE_CLAMPED, NOT_ARCHIVED, NOT_COLLECTED, LIVE_FETCH_FAILED, LIVE_FETCH_PENDING, OUTSIDE_WINDOW…'),
    message: z.string(),
    ranges: z
      .array(z.object({ from: chinaDaySchema, to: chinaDaySchema }))
      .optional()
      .describe('The days the warning is about, as runs of consecutive China days'),
  })
  .describe('Why some days of the range are missing or how the range was changed');
export type ServerWarning = z.output<typeof warningSchema>;

/** A day as the CLI's JSON shows it: every catalog metric present (null when WeCom left it out), unknown fields kept. */
const daySchema = z.object({
  date: chinaDaySchema,
  stat_time: z.number().int().describe("Unix seconds of the day's 00:00 China time"),
  statistic: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe(
      "WeCom's fields: every catalog metric present (null when WeCom left it out), fields WeCom adds kept; null for a day without data",
    ),
});

const seriesHead = {
  source: z.string(),
  corpid: z.string(),
  endpoint: endpointSchema,
  open_kfid: z.string().optional(),
  servicer_userid: z.string().optional(),
  from: chinaDaySchema,
  to: chinaDaySchema,
};

const summarySchema = z.object({
  endpoint: endpointSchema,
  from: chinaDaySchema.nullable(),
  to: chinaDaySchema.nullable(),
  dayCount: z.number().int(),
  daysWithData: z.number().int(),
  metrics: z
    .record(z.string(), z.number().nullable())
    .describe('Counts summed, rates weighted by their denominators; null when no day had the metric'),
  notes: z.array(z.object({ metric: z.string(), kind: z.enum(['approximate', 'unweighted']), message: z.string() })),
});

/** The 200 answer of each route. */
export const answers = {
  sources: z.object({
    sources: z.array(
      z.object({
        id: z.string(),
        type: z.enum(['selfBuilt', 'serviceProvider', 'tokenService']),
        collect: z.array(endpointSchema),
        corps: z.array(z.string()),
        cancelled_corps: z
          .array(
            z.object({
              corpid: z.string(),
              archive_deleted_on: chinaDaySchema.nullable().describe('The China day its archived days go (retention.cancelledCorpDays)'),
            }),
          )
          .optional()
          .describe('Corps that cancelled their authorization: their archive is served until it is deleted'),
        authorizations: z
          .array(
            z.object({
              event: z.enum(['create_auth', 'reset_permanent_code', 'change_auth', 'cancel_auth']),
              state: z.enum(['pending', 'failed']),
              corpid: z.string().nullable(),
              received_at: z.string().describe('ISO 8601'),
              attempts: z.number().int(),
              outcome: z.string().nullable().describe('What happened last (no secret)'),
            }),
          )
          .optional()
          .describe('Authorization events not applied yet, or that failed (for keys that see the whole source)'),
      }),
    ),
  }),
  accounts: z.object({
    source: z.string(),
    accounts: z.array(z.object({ corpid: z.string(), open_kfid: z.string(), name: z.string().nullable() })),
  }),
  servicers: z.object({
    source: z.string(),
    open_kfid: z.string(),
    servicers: z.array(z.object({ servicer_userid: z.string(), status: z.number().int().nullable() })),
  }),
  statistics: z.object({ ...seriesHead, days: z.array(daySchema), warnings: z.array(warningSchema) }),
  summary: z.object({ ...seriesHead, summary: summarySchema, warnings: z.array(warningSchema) }),
  token: z.object({
    access_token: z.string({ error: 'access_token as a string' }).min(1, { error: 'a non-empty access_token' }),
    expires_in: z.number({ error: 'expires_in as a number of seconds' }).int().positive().describe('Seconds it stays valid'),
  }),
  keyCreated: z.object({ ...keyScope, key: z.string().describe('The key itself: shown this once, only its hash is kept') }),
  keys: z.object({
    keys: z.array(
      z.object({ ...keyScope, createdAt: z.string(), lastUsedAt: z.string().nullable().describe('Recorded at most once a minute') }),
    ),
  }),
  health: z.object({
    status: z.enum(['ok', 'unavailable']),
    store: z.enum(['embedded', 'postgres']),
    problem: z.string().optional(),
  }),
};
export type SourcesAnswer = z.output<typeof answers.sources>;
export type SourceAnswer = SourcesAnswer['sources'][number];
export type AccountsAnswer = z.output<typeof answers.accounts>;
export type ServicersAnswer = z.output<typeof answers.servicers>;
export type StatisticsAnswer = z.output<typeof answers.statistics>;
export type SummaryAnswer = z.output<typeof answers.summary>;
export type TokenAnswer = z.output<typeof answers.token>;

/** Every error answer: a stable code and one message naming what was wrong. */
export const errorAnswer = z.object({
  error: z.object({
    code: z.string().describe('INVALID_PARAMETER, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, UPSTREAM_…, STORE_UNAVAILABLE…'),
    message: z.string(),
  }),
});
export type ErrorAnswer = z.output<typeof errorAnswer>;

/**
 * What core's `tokenService` auth accepts from any token service: the server's token answer, with
 * `expires_in` optional (a service that leaves it out gets WeCom's 7200 s).
 */
export const tokenServiceAnswer = answers.token.extend({ expires_in: z.number({ error: 'expires_in as a number of seconds' }).optional() });

/** Any route's answer schema, and the value it parses to (for clients without zod of their own). */
export type AnswerSchema = z.ZodType;
export type AnswerOf<S extends AnswerSchema> = z.output<S>;

/** A client's parse of an answer: its value, or where it breaks the contract (`sources.0.id: expected string`). */
export function parseAnswer<S extends AnswerSchema>(schema: S, json: unknown): { value: z.output<S> } | { problem: string } {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${issue.path.join('.') || 'the body'}: ${issue.message}` };
}
