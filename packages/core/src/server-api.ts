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

// ---------------------------------------------------------------------------------------------
// Notices and reports to WeCom group robots (the config's `notify` list and /api/v1/destinations)

/**
 * The figures a report shows and a rule can watch, each read from one series of the account: its
 * corp statistics, or its servicer statistics without a servicer (human sessions are that
 * statistic's session_cnt: every session a servicer statistic counts went to a human).
 */
export const NOTIFY_METRICS = [
  'session_cnt',
  'customer_cnt',
  'human_session_cnt',
  'reply_rate',
  'first_reply_average_sec',
  'satisfied_rate',
] as const;
export type NotifyMetric = (typeof NOTIFY_METRICS)[number];

/** A destination's id: like a key's name. */
export const DESTINATION_ID = KEY_NAME;
const destinationId = z
  .string({ error: (issue) => (issue.input === undefined ? 'required: an id for the destination' : 'expected an id (text)') })
  .regex(DESTINATION_ID, { error: 'letters, digits, ".", "_" and "-", 1 to 64, starting with a letter or digit' })
  .describe("The destination's id, unique: whose group it is")
  .meta({ example: 'acme-ops' });

const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** When reports go, in China time. */
export const notifyReport = z
  .strictObject({
    daily: z
      .string({ error: 'a China time "HH:MM" from 00:00 to 23:59' })
      .regex(HHMM, { error: 'a China time "HH:MM" from 00:00 to 23:59' })
      .optional()
      .describe("Yesterday's report at this China time, every day"),
    weekly: z
      .string({ error: 'a weekday and China time like "MON 09:00" (MON to SUN, 00:00 to 23:59)' })
      .regex(new RegExp(`^(${WEEKDAYS.join('|')}) ([01]\\d|2[0-3]):[0-5]\\d$`), {
        error: 'a weekday and China time like "MON 09:00" (MON to SUN, 00:00 to 23:59)',
      })
      .optional()
      .describe('The last 7 days against the 7 before, on this weekday at this China time'),
  })
  .refine((r) => r.daily !== undefined || r.weekly !== undefined, { error: 'name "daily", "weekly" or both' });
export type NotifyReport = z.output<typeof notifyReport>;

const finite = (allowed: string) => z.number({ error: allowed }).refine(Number.isFinite, { error: allowed });
const wholeIn = (min: number, max: number, allowed: string) =>
  z.number({ error: allowed }).int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });

/**
 * One rule. A metric rule (`metric` with one of `below`, `above`, `dropByPercent` against the same
 * weekday a week before) is judged on each account's yesterday; `stalledHours` on each source (no
 * successful run for that long); `ticketMinutes` on each provider source with a callback (its
 * suite ticket older than that); `authorizationCancelled` fires when a corp cancels.
 */
export const notifyRule = z
  .strictObject({
    metric: z
      .enum(NOTIFY_METRICS, { error: `one of ${NOTIFY_METRICS.map((m) => `"${m}"`).join(', ')}` })
      .optional()
      .describe('The figure watched'),
    below: finite('a number (rates from 0 to 1, times in seconds)').optional().describe('Fires when the figure is under this'),
    above: finite('a number (rates from 0 to 1, times in seconds)').optional().describe('Fires when the figure is over this'),
    dropByPercent: finite('a percentage from 1 to 100')
      .min(1, { error: 'a percentage from 1 to 100' })
      .max(100, { error: 'a percentage from 1 to 100' })
      .optional()
      .describe('Fires when the figure fell this many percent or more against the same weekday a week before'),
    stalledHours: wholeIn(1, 720, 'a whole number of hours from 1 to 720')
      .optional()
      .describe('Fires when a source had no successful collection run for this long'),
    ticketMinutes: wholeIn(11, 1440, 'a whole number of minutes from 11 to 1440 (WeCom pushes a ticket every 10)')
      .optional()
      .describe("Fires when a provider's newest suite ticket is older than this (WeCom pushes one every 10 minutes)"),
    authorizationCancelled: z
      .literal(true, { error: 'true (leave it out otherwise)' })
      .optional()
      .describe('Fires when a corp cancels its authorization of the suite'),
  })
  .superRefine((rule, context) => {
    const kinds = (['metric', 'stalledHours', 'ticketMinutes', 'authorizationCancelled'] as const).filter((k) => rule[k] !== undefined);
    const comparisons = (['below', 'above', 'dropByPercent'] as const).filter((k) => rule[k] !== undefined);
    if (kinds.length !== 1) {
      context.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a rule needs one of "metric", "stalledHours", "ticketMinutes", "authorizationCancelled"'
            : `one kind of rule per entry, not ${kinds.map((k) => `"${k}"`).join(' and ')}`,
      });
      return;
    }
    if (rule.metric !== undefined && comparisons.length !== 1)
      context.addIssue({
        code: 'custom',
        path: [comparisons[1] ?? 'metric'],
        message:
          comparisons.length === 0
            ? `a metric rule needs one of "below", "above", "dropByPercent"`
            : `one of "below", "above", "dropByPercent" per rule, not ${comparisons.map((k) => `"${k}"`).join(' and ')}`,
      });
    if (rule.metric === undefined && comparisons.length > 0)
      context.addIssue({ code: 'custom', path: [comparisons[0]!], message: '"below", "above" and "dropByPercent" go with "metric" only' });
  });
export type NotifyRule = z.output<typeof notifyRule>;

/** What a destination covers, its language, reports and rules: the same in the config and in the API. */
export const destinationFields = {
  sources: scopeList('source id', KEY_SCOPE_LIMITS.sources, 'The sources reported on; absent: all'),
  corps: scopeList('corp id', KEY_SCOPE_LIMITS.corps, 'The corps reported on (in any of its sources); absent: all'),
  accounts: scopeList('open_kfid', 5000, 'The accounts reported on; absent: all'),
  language: z.enum(['zh-CN', 'en'], { error: '"zh-CN" or "en"' }).optional().describe('The messages\' language; absent: "zh-CN"'),
  report: notifyReport.optional(),
  rules: z.array(notifyRule, { error: 'a list of rules' }).max(50, { error: 'at most 50 rules' }).optional(),
};

/** A WeCom group robot's webhook URL: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… (any http(s) host, for a proxy or a simulator). */
export const WEBHOOK_URL = /^https?:\/\/[^\s/?#]+\/cgi-bin\/webhook\/send\?(?:[^\s#]*&)?key=[A-Za-z0-9-]{8,128}(?:&[^\s#]*)?$/;

/** The body of `POST /api/v1/destinations`. */
export const destinationRequest = z.strictObject({
  id: destinationId,
  webhook: z
    .string({ error: 'the group robot\'s webhook URL, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"' })
    .regex(WEBHOOK_URL, { error: 'the group robot\'s webhook URL, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"' })
    .describe("The group robot's webhook URL: its key is a secret, kept sealed and never shown again"),
  ...destinationFields,
});
export type DestinationRequest = z.output<typeof destinationRequest>;

/** The path parameters of `/api/v1/destinations/{id}…`. */
export const destinationParams = z.strictObject({ id: destinationId });

const destinationAnswer = z.object({
  id: z.string(),
  origin: z.enum(['config', 'api']).describe("config: the config file's notify list; api: made through this API"),
  webhook: z.string().describe('The webhook URL with its key hidden'),
  sources: z.array(z.string()).nullable(),
  corps: z.array(z.string()).nullable(),
  accounts: z.array(z.string()).nullable(),
  language: z.enum(['zh-CN', 'en']),
  report: z.object({ daily: z.string().optional(), weekly: z.string().optional() }).nullable(),
  rules: z.array(z.record(z.string(), z.unknown())),
});

/** The answers of the destinations' routes. */
export const notifyAnswers = {
  destination: destinationAnswer,
  destinations: z.object({ destinations: z.array(destinationAnswer) }),
  preview: z.object({
    destination: z.string(),
    messages: z.array(
      z.object({
        kind: z.enum(['daily', 'weekly', 'notice', 'cleared', 'test']),
        what: z.string().describe('What the message is about (no secret)'),
        content: z.string().describe('The markdown WeCom gets (at most 4096 bytes)'),
      }),
    ),
  }),
  test: z.object({ destination: z.string(), outcome: z.string().describe('"sent", or why not') }),
};
