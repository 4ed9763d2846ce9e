/**
 * What a statistics node asks core for: its own settings, overridden by documented `msg`
 * properties. Values are passed through as given; core validates them. When core rejects a
 * value that came from the msg, the error is re-labelled with the msg property (`msg.from`) so the
 * flow author sees where to look.
 */
import {
  DEFAULTS,
  FILL_POLICIES,
  parseChoice,
  STATISTICS_ENDPOINTS,
  ValidationError,
  parseMetricSelection,
  type FillPolicy,
  type StatisticsEndpoint,
  type StatisticsQuery,
} from '@wecom-kf-stats/core/node';
import type { NodeMessage } from '../node-red.js';

/** One msg with every day, or one msg per day. */
export type OutputMode = 'all' | 'day';

/** The statistics node's settings as the editor stores them (strings and booleans). */
export interface StatisticsSettings {
  endpoint?: string;
  openKfid?: string;
  servicer?: string;
  rangeType?: string;
  last?: string | number;
  from?: string;
  to?: string;
  policy?: string;
  output?: string;
  summary?: boolean;
  fill?: string;
  metrics?: string;
}

export interface StatisticsPlan {
  query: StatisticsQuery;
  output: OutputMode;
  summary: boolean;
  fillPolicy: FillPolicy;
  /** Metric keys to keep; undefined keeps every field (unknown ones too). */
  metrics: string[] | undefined;
  /** Core field name -> the msg property it came from. */
  sources: Record<string, string>;
}

/** msg properties a statistics node reads, and the core field each one feeds. */
export const MSG_PROPERTIES = {
  endpoint: 'endpoint',
  openKfid: 'openKfid',
  servicer: 'servicerUserid',
  from: 'from',
  to: 'to',
  last: 'last',
  policy: 'windowPolicy',
  metrics: 'metrics',
  fill: 'fill',
} as const;

const has = (msg: NodeMessage, key: string) => Object.prototype.hasOwnProperty.call(msg, key) && msg[key] !== undefined;
const setting = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export function planStatistics(settings: StatisticsSettings, msg: NodeMessage): StatisticsPlan {
  const sources: Record<string, string> = {};
  const pick = (prop: keyof typeof MSG_PROPERTIES, fallback: unknown): unknown => {
    if (has(msg, prop)) {
      sources[MSG_PROPERTIES[prop]] = `msg.${prop}`;
      return msg[prop];
    }
    return setting(fallback);
  };

  const endpoint = pick('endpoint', settings.endpoint ?? DEFAULTS.endpoint);
  // The node's account and servicer apply only to the endpoints that take them, so one node can
  // serve msg.endpoint overrides; ids sent in the msg are always passed on (and checked by core).
  const accountFallback = endpoint === 'component' ? undefined : settings.openKfid;
  const servicerFallback = endpoint === 'servicer' ? settings.servicer : undefined;
  const openKfid = pick('openKfid', accountFallback);
  const servicerUserid = pick('servicer', servicerFallback);

  let range: { from?: unknown; to?: unknown; last?: unknown };
  if (has(msg, 'from') || has(msg, 'to') || has(msg, 'last')) {
    // The range comes from the msg as a whole, so a missing part is the msg's too.
    range = { from: msg.from, to: msg.to, last: msg.last };
    for (const prop of ['from', 'to', 'last'] as const) sources[MSG_PROPERTIES[prop]] = `msg.${prop}`;
  } else if (settings.rangeType === 'range') {
    range = { from: setting(settings.from), to: setting(settings.to) };
  } else {
    range = { last: setting(settings.last) ?? DEFAULTS.lastDays };
  }
  const windowPolicy = pick('policy', settings.policy ?? DEFAULTS.windowPolicy);

  const query = {
    endpoint,
    ...(openKfid !== undefined ? { openKfid } : {}),
    ...(servicerUserid !== undefined ? { servicerUserid } : {}),
    ...(range.from !== undefined ? { from: range.from } : {}),
    ...(range.to !== undefined ? { to: range.to } : {}),
    ...(range.last !== undefined ? { last: range.last } : {}),
    windowPolicy,
  } as StatisticsQuery;

  const fillInput = pick('fill', settings.fill);
  const fillPolicy = parseChoice(sources.fill ?? 'fill', fillInput, FILL_POLICIES, DEFAULTS.fillPolicy);
  const metricsInput = pick('metrics', settings.metrics);
  let metrics: string[] | undefined;
  if (metricsInput !== undefined) {
    if (typeof metricsInput !== 'string' && !(Array.isArray(metricsInput) && metricsInput.every((m) => typeof m === 'string'))) {
      throw new ValidationError(
        sources.metrics ?? 'metrics',
        metricsInput,
        'metric keys as "session_cnt,customer_cnt" or an array of keys',
      );
    }
    // With an unknown endpoint there is no metric list to check against: core's query check
    // reports the endpoint when the node asks for the statistics.
    if (STATISTICS_ENDPOINTS.includes(endpoint as StatisticsEndpoint)) {
      metrics = parseMetricSelection(endpoint as StatisticsEndpoint, metricsInput, sources.metrics ?? 'metrics');
    }
  }

  const output = settings.output === 'day' ? 'day' : 'all';
  return { query, output, summary: settings.summary === true, fillPolicy, metrics, sources };
}

/**
 * A core ValidationError about a value that came from the msg, told about the msg property
 * (`msg.from` instead of `from`) by core's own relabelling. Other errors pass unchanged.
 */
export function attributeToMsg(error: unknown, sources: Record<string, string>): unknown {
  if (error instanceof ValidationError) {
    const source = sources[error.field];
    if (source) return error.relabel(source);
  }
  return error;
}
