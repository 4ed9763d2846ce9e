/**
 * The Grafana files in apps/server/grafana against a real PostgreSQL that the server itself filled
 * (the collector wired as `collect` wires it, against the simulator on 127.0.0.1, on a clock this
 * file moves): the SQL is read out of the shipped YAML and JSON, Grafana's PostgreSQL macros are
 * expanded the way Grafana expands them, the queries run on PostgreSQL, and the alert rules'
 * expressions (reduce, math, threshold) are evaluated as Grafana's expression engine does.
 *
 * Grafana's behaviour reproduced here, from github.com/grafana/grafana:
 * - macros: pkg/tsdb/grafana-postgresql-datasource/macros.go (postgresMacroEngine) and the global
 *   substitutions of .../sqleng/sql_engine.go (Interpolate);
 * - dashboard variables: the SQL data sources' interpolateVariable (a multi-value or include-all
 *   variable becomes quoted literals joined by commas), public/app/features/plugins/sql;
 * - a table answer becomes one number per row, string columns as labels, when it has exactly one
 *   numeric column and nothing but strings beside it: pkg/expr/nodes.go (isNumberTable,
 *   extractNumberSet); no rows is NoData;
 * - reduce on numbers passes them through (dropNN drops NaN and infinities): pkg/expr/commands.go;
 *   math pairs values by labels: pkg/expr/mathexp/exp.go (union); threshold: pkg/expr/threshold.go;
 * - a condition value of 0 is Normal, any other number Alerting, none NoData:
 *   pkg/services/ngalert/eval/eval.go (evaluateExecutionResult); NoData and errors then take the
 *   rule's noDataState and execErrState.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chinaClock, type Simulator } from '@wecom-kf-stats/simulator';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { collect } from '../src/collector.js';
import { openStore, type Store } from '../src/store/store.js';
import { createRuntime, silentLog, simulatorConfigJson, simulatorEnv, simulatorSeriesCount, type Json } from './helpers.js';
import { startPostgres, type TestPostgres } from './postgres.js';

const GRAFANA = join(dirname(fileURLToPath(import.meta.url)), '..', 'grafana');
const readText = (path: string) => readFileSync(join(GRAFANA, path), 'utf8');
const datasourceFile: Json = parseYaml(readText('provisioning/datasources/kf-archive.yaml'));
const dashboardProviderFile: Json = parseYaml(readText('provisioning/dashboards/kf-archive.yaml'));
const alertsFile: Json = parseYaml(readText('provisioning/alerting/kf-alerts.yaml'));
const dashboard: Json = JSON.parse(readText('dashboards/kf-archive.json'));
const README = readFileSync(join(GRAFANA, '..', 'README.md'), 'utf8');

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Grafana's PostgreSQL macro engine
// ---------------------------------------------------------------------------------------------

interface TimeRange {
  from: number;
  to: number;
  /** The query's interval ($__interval); alert queries get the rule's. @default 1 day */
  intervalMs?: number;
}

/** Go's time.RFC3339Nano in UTC: no fraction for whole seconds, trailing zeros of a fraction dropped. */
function rfc3339Nano(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/(\.\d*?)0+Z$/, '$1Z')
    .replace(/\.Z$/, 'Z');
}

/** gtime.ParseInterval for the units a dashboard uses (ms, s, m, h, d, w, y). */
function parseInterval(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!match) throw new Error(`error parsing interval ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS, y: 365 * DAY_MS }[match[2]!]!;
  return Number(match[1]) * unit;
}

/** gtime.FormatInterval: the largest whole unit. */
function formatInterval(ms: number): string {
  const units: [string, number][] = [
    ['y', 365 * DAY_MS],
    ['w', 7 * DAY_MS],
    ['d', DAY_MS],
    ['h', HOUR_MS],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const MACRO = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;

function evaluateMacro(range: TimeRange, name: string, args: string[]): string {
  const from = rfc3339Nano(range.from);
  const to = rfc3339Nano(range.to);
  const needColumn = () => {
    if (args.length === 0 || (args.length === 1 && args[0] === '')) throw new Error(`missing time column argument for macro ${name}`);
    return args[0]!;
  };
  const group = () => {
    if (args.length < 2) throw new Error(`macro ${name} needs time column and interval and optional fill value`);
    return parseInterval(args[1]!.replace(/^'|'$/g, '')) / 1000;
  };
  switch (name) {
    case '__time':
      return `${needColumn()} AS "time"`;
    case '__timeEpoch':
      return `extract(epoch from ${needColumn()}) as "time"`;
    case '__timeFilter':
      return `${needColumn()} BETWEEN '${from}' AND '${to}'`;
    case '__timeFrom':
      return `'${from}'`;
    case '__timeTo':
      return `'${to}'`;
    case '__timeGroup': {
      const seconds = group();
      return `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
    }
    case '__timeGroupAlias':
      return `${evaluateMacro(range, '__timeGroup', args)} AS "time"`;
    case '__unixEpochFilter': {
      const column = needColumn();
      return `${column} >= ${Math.floor(range.from / 1000)} AND ${column} <= ${Math.floor(range.to / 1000)}`;
    }
    case '__unixEpochNanoFilter': {
      const column = needColumn();
      return `${column} >= ${BigInt(range.from) * 1_000_000n} AND ${column} <= ${BigInt(range.to) * 1_000_000n}`;
    }
    case '__unixEpochNanoFrom':
      return String(BigInt(range.from) * 1_000_000n);
    case '__unixEpochNanoTo':
      return String(BigInt(range.to) * 1_000_000n);
    case '__unixEpochGroup': {
      const seconds = group();
      return `floor((${args[0]})/${seconds})*${seconds}`;
    }
    case '__unixEpochGroupAlias':
      return `${evaluateMacro(range, '__unixEpochGroup', args)} AS "time"`;
    default:
      throw new Error(`unknown macro "${name}"`);
  }
}

/** The SQL Grafana sends to PostgreSQL for `sql` over `range`. */
function expandMacros(sql: string, range: TimeRange): string {
  const intervalMs = range.intervalMs ?? DAY_MS;
  // The global substitutions first (sqleng.Interpolate), then the PostgreSQL macros.
  let text = sql
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', formatInterval(intervalMs))
    .replaceAll('$__unixEpochFrom()', String(Math.floor(range.from / 1000)))
    .replaceAll('$__unixEpochTo()', String(Math.floor(range.to / 1000)));
  const original = text;
  text = text.replace(MACRO, (whole: string, name: string, rawArgs: string) => {
    // A $__timeGroup followed by a comma is read as $__timeGroupAlias (Grafana before 5.3).
    let macro = name;
    if (macro === '__timeGroup') {
      const at = original.indexOf(whole);
      if (at >= 0 && original[at + whole.length] === ',') macro = '__timeGroupAlias';
    }
    return evaluateMacro(
      range,
      macro,
      rawArgs.split(',').map((a) => a.trim()),
    );
  });
  return text;
}

/** Dashboard variables as the SQL data sources put them into a query: quoted, comma-joined. */
function interpolateVariables(sql: string, variables: Record<string, string[]>): string {
  const quote = (v: string) => `'${v.replaceAll("'", "''")}'`;
  return sql.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const values = variables[name];
    return values ? values.map(quote).join(',') : whole;
  });
}

// ---------------------------------------------------------------------------------------------
// Grafana's server-side expressions on the numbers a table query gives
// ---------------------------------------------------------------------------------------------

type Labels = Record<string, string>;
type Value = { kind: 'number'; labels: Labels; value: number | null } | { kind: 'nodata' };

const NUMERIC_TYPES = new Set([20, 21, 23, 700, 701, 1700]); // int8, int2, int4, float4, float8, numeric
const STRING_TYPES = new Set([18, 19, 25, 1042, 1043]); // char, name, text, bpchar, varchar

function toValues(result: pg.QueryArrayResult): Value[] {
  if (result.rows.length === 0) return [{ kind: 'nodata' }];
  const kinds = result.fields.map((f) =>
    NUMERIC_TYPES.has(f.dataTypeID) ? 'number' : STRING_TYPES.has(f.dataTypeID) ? 'string' : 'other',
  );
  if (kinds.filter((k) => k === 'number').length !== 1 || kinds.includes('other'))
    throw new Error(`not a number table: ${result.fields.map((f) => `${f.name}:${f.dataTypeID}`).join(', ')}`);
  const numeric = kinds.indexOf('number');
  return result.rows.map((row) => {
    const labels: Labels = {};
    kinds.forEach((kind, i) => {
      if (kind === 'string') labels[result.fields[i]!.name] = String(row[i]);
    });
    const raw = row[numeric];
    return { kind: 'number', labels, value: raw === null ? null : Number(raw) };
  });
}

const sameLabels = (a: Labels, b: Labels) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
const contains = (a: Labels, b: Labels) => Object.entries(b).every(([k, v]) => a[k] === v);

function binary(op: string, a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    default:
      throw new Error(`operator ${op} not supported here`);
  }
}

/** A math expression of the form `$X op $Y`, paired by labels as Grafana's union does. */
function math(expression: string, vars: Record<string, Value[]>): Value[] {
  const match = /^\s*\$(\w+)\s*([-+*/])\s*\$(\w+)\s*$/.exec(expression);
  if (!match) throw new Error(`math expression not supported by this test: ${expression}`);
  const [, left, op, right] = match as unknown as [string, string, string, string];
  const a = vars[left];
  const b = vars[right];
  if (!a || !b) throw new Error(`math expression ${expression} refers to a missing refId`);
  if (a.length === 0 || b.length === 0) return [];
  if ((a.length === 1 || b.length === 1) && (a[0]!.kind === 'nodata' || b[0]!.kind === 'nodata')) return [{ kind: 'nodata' }];
  const out: Value[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.kind !== 'number' || y.kind !== 'number') continue;
      let labels: Labels;
      const lx = Object.keys(x.labels).length;
      const ly = Object.keys(y.labels).length;
      if (sameLabels(x.labels, y.labels) || lx === 0 || ly === 0) labels = lx === 0 ? y.labels : x.labels;
      else if (lx === ly) continue;
      else if (contains(x.labels, y.labels)) labels = x.labels;
      else if (contains(y.labels, x.labels)) labels = y.labels;
      else continue;
      out.push({ kind: 'number', labels, value: binary(op, x.value, y.value) });
    }
  }
  // One value on each side and no pair: Grafana combines them and drops their labels.
  const [onlyA, onlyB] = [a[0], b[0]];
  if (out.length === 0 && a.length === 1 && b.length === 1 && onlyA?.kind === 'number' && onlyB?.kind === 'number')
    out.push({ kind: 'number', labels: {}, value: binary(op, onlyA.value, onlyB.value) });
  return out;
}

function reduce(model: Json, input: Value[]): Value[] {
  const dropNN = model.settings?.mode === 'dropNN';
  const out: Value[] = [];
  for (const v of input) {
    if (v.kind === 'nodata') {
      out.push(v);
      continue;
    }
    if (dropNN && (v.value === null || !Number.isFinite(v.value))) continue;
    out.push({ ...v });
  }
  return out;
}

const PREDICATES: Record<string, (v: number, p: number[]) => boolean> = {
  gt: (v, [a]) => v > a!,
  lt: (v, [a]) => v < a!,
  eq: (v, [a]) => v === a!,
  ne: (v, [a]) => v !== a!,
  gte: (v, [a]) => v >= a!,
  lte: (v, [a]) => v <= a!,
  within_range: (v, [a, b]) => v > a! && v < b!,
  outside_range: (v, [a, b]) => v < a! || v > b!,
  within_range_included: (v, [a, b]) => v >= a! && v <= b!,
  outside_range_included: (v, [a, b]) => v <= a! || v >= b!,
};

function threshold(model: Json, input: Value[]): Value[] {
  if (model.conditions?.length !== 1) throw new Error('threshold expression requires exactly one condition');
  const { type, params } = model.conditions[0].evaluator;
  const predicate = PREDICATES[type];
  if (!predicate) throw new Error(`unknown threshold type ${type}`);
  return input.map((v) =>
    v.kind === 'nodata' ? v : { ...v, value: v.value === null ? null : predicate(v.value, params as number[]) ? 1 : 0 },
  );
}

interface Instance {
  labels: Labels;
  state: 'Normal' | 'Alerting' | 'NoData' | 'Error';
  /** Every refId's value for these labels (what annotations read as $values). */
  values: Record<string, number | null>;
}

interface Evaluation {
  instances: Instance[];
  /** The SQL sent per query refId. */
  sql: Record<string, string>;
  error?: string;
}

const STATE_OF: Record<string, Instance['state']> = {
  OK: 'Normal',
  Alerting: 'Alerting',
  NoData: 'NoData',
  Error: 'Error',
  KeepLast: 'Error',
};

/** Evaluate one provisioned rule at `at` (epoch ms), its queries on `client`, as Grafana would. */
async function evaluateRule(
  rule: Json,
  at: number,
  client: pg.Client,
  rewrite: (refId: string, sql: string) => string = (_r, s) => s,
): Promise<Evaluation> {
  const vars: Record<string, Value[]> = {};
  const sql: Record<string, string> = {};
  try {
    for (const query of rule.data as Json[]) {
      const { refId, model } = query;
      if (query.datasourceUid === '__expr__') {
        if (model.type === 'reduce') vars[refId] = reduce(model, vars[model.expression] ?? []);
        else if (model.type === 'math') vars[refId] = math(model.expression, vars);
        else if (model.type === 'threshold') vars[refId] = threshold(model, vars[model.expression] ?? []);
        else throw new Error(`expression type ${model.type} not supported by this test`);
        continue;
      }
      const range = { from: at - query.relativeTimeRange.from * 1000, to: at - query.relativeTimeRange.to * 1000 };
      sql[refId] = expandMacros(rewrite(refId, model.rawSql), range);
      vars[refId] = toValues(await client.query({ text: sql[refId], rowMode: 'array' }));
    }
  } catch (error) {
    return { instances: [{ labels: {}, state: STATE_OF[rule.execErrState] ?? 'Error', values: {} }], sql, error: (error as Error).message };
  }
  const condition = vars[rule.condition] ?? [];
  const noData = (): Evaluation => ({ instances: [{ labels: {}, state: STATE_OF[rule.noDataState]!, values: {} }], sql });
  if (condition.length === 0 || condition.every((v) => v.kind === 'nodata')) return noData();
  const instances = condition.flatMap((v): Instance[] => {
    if (v.kind !== 'number') return [];
    const values: Record<string, number | null> = {};
    for (const [refId, list] of Object.entries(vars)) {
      const match = list.find((x) => x.kind === 'number' && sameLabels(x.labels, v.labels));
      if (match?.kind === 'number') values[refId] = match.value;
    }
    const state = v.value === null ? STATE_OF[rule.noDataState]! : v.value === 0 ? 'Normal' : 'Alerting';
    return [{ labels: v.labels, state, values }];
  });
  // Grafana keeps instances by their labels, in no order: sort them for the assertions.
  instances.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  return { instances, sql };
}

// ---------------------------------------------------------------------------------------------
// The archive, filled by the server from the simulator on a clock this file moves
// ---------------------------------------------------------------------------------------------

const realStart = Date.now();
/** Today 10:00 China time: the simulator's and the collector's "now" when `shiftDays` is 0. */
// (The clock has run on for a millisecond or so by the time it is read: back to the whole hour.)
const todayTen = Math.round(chinaClock({ hour: 10, realStartMs: realStart })() / HOUR_MS) * HOUR_MS;
let shiftMs = 0;
const clock = () => todayTen + shiftMs + (Date.now() - realStart);
const kf = useSimulator({ now: clock, quietDayShare: 0 });

/** Epoch ms of `hour`:00 China time, `dayOffset` days from today (China calendar). */
const chinaTime = (dayOffset: number, hour: number) => todayTen - 10 * HOUR_MS + dayOffset * DAY_MS + hour * HOUR_MS;
/** YYYY-MM-DD of the China day `dayOffset` days from today. */
const chinaDay = (dayOffset: number) => new Date(chinaTime(dayOffset, 12) + 8 * HOUR_MS).toISOString().slice(0, 10);

let postgres: TestPostgres;
let url: string;
let store: Store;
let admin: pg.Client;
let sim: Simulator;
const clients: pg.Client[] = [];

async function connect(connection: string | pg.ClientConfig, timeZone = 'UTC'): Promise<pg.Client> {
  const client = new pg.Client(typeof connection === 'string' ? { connectionString: connection } : connection);
  await client.connect();
  clients.push(client);
  // The database server's own zone must not matter: the rules say China time themselves.
  await client.query(`SET TIME ZONE '${timeZone}'`);
  return client;
}

beforeAll(async () => {
  sim = kf.sim;
  postgres = await startPostgres({ name: 'grafana' });
  url = await postgres.createDatabase();
  store = await openStore(url);
  admin = await connect(url);
}, 60_000);
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {});
  await store?.close();
  await postgres?.stop();
});

const accounts = () => sim.fixtures.accounts.map((a) => a.open_kfid);
const acmeCorp = () => sim.fixtures.selfBuilt.corpId;

/** One collection run as `collect` does it, `shiftDays` from today 10:00 China time. */
async function collectAt(shiftDays: number, sources?: Json[], where: { store: Store; url: string } = { store, url }) {
  shiftMs = shiftDays * DAY_MS;
  // The days each run shapes stay as shaped: no second look at the days before yesterday, which
  // would take the shaped answer for them too (the simulator shapes every day it answers).
  const json = simulatorConfigJson(sim, where.url, { schedule: { refetchDays: 0 }, ...(sources ? { sources } : {}) });
  const rt = createRuntime(json, simulatorEnv(sim), where.store, clock);
  try {
    const summary = await collect({
      config: rt.config,
      store: where.store,
      clients: rt.clients,
      now: clock,
      owner: rt.owner,
      log: silentLog,
      pollMs: 20,
    });
    expect(summary.failures).toBe(0);
    return summary;
  } finally {
    await rt.close();
    shiftMs = 0;
  }
}

const acmeSource = (changes: Json): Json => ({ ...(simulatorConfigJson(sim, url).sources as Json[])[0], ...changes });

const rules: Json[] = alertsFile.groups.flatMap((g: Json) => g.rules);
const rule = (uid: string): Json => {
  const found = rules.find((r) => r.uid === uid);
  if (!found) throw new Error(`no rule ${uid} in kf-alerts.yaml`);
  return found;
};

const alerting = (e: Evaluation) =>
  e.instances
    .filter((i) => i.state === 'Alerting')
    .map((i) => i.labels)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const accountLabels = (openKfid: string) => ({ source: 'acme', corp_id: acmeCorp(), open_kfid: openKfid });

/** A change to a rule's SQL that must change `text`: a mutant that leaves the SQL alone proves nothing. */
const mutate = (text: string, from: string | RegExp, to: string) => {
  const changed = text.replace(from, to);
  expect(changed, `mutation of ${String(from)}`).not.toBe(text);
  return changed;
};

// ---------------------------------------------------------------------------------------------

describe('Grafana macros (pkg/tsdb/grafana-postgresql-datasource/macros.go)', () => {
  const range = { from: Date.UTC(2018, 3, 12, 18, 0, 0), to: Date.UTC(2018, 3, 12, 18, 5, 0) };
  it('expands the time macros as Grafana does', () => {
    expect(expandMacros('WHERE $__timeFilter(time_column)', range)).toBe(
      "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
    );
    expect(expandMacros('select $__timeFrom(), $__timeTo()', range)).toBe("select '2018-04-12T18:00:00Z', '2018-04-12T18:05:00Z'");
    expect(expandMacros("GROUP BY $__timeGroup(time_column,'5m')", range)).toBe('GROUP BY floor(extract(epoch from time_column)/300)*300');
    expect(expandMacros("SELECT $__timeGroup(time_column,'5m'), 1", range)).toBe(
      'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", 1',
    );
    expect(expandMacros('select $__unixEpochFilter(t)', range)).toBe('select t >= 1523556000 AND t <= 1523556300');
    expect(expandMacros('$__unixEpochFrom() $__unixEpochTo() $__interval $__interval_ms', { ...range, intervalMs: 60_000 })).toBe(
      '1523556000 1523556300 1m 60000',
    );
    expect(rfc3339Nano(Date.UTC(2018, 3, 12, 18, 0, 0, 120))).toBe('2018-04-12T18:00:00.12Z');
    expect(() => expandMacros('$__nope(x)', range)).toThrow('unknown macro "__nope"');
  });
  it('puts multi-value variables in as quoted literals', () => {
    expect(interpolateVariables("WHERE a IN ($source) AND b IN (${corp}) AND c = '$__x'", { source: ['acme', "o'k"], corp: ['c1'] })).toBe(
      "WHERE a IN ('acme','o''k') AND b IN ('c1') AND c = '$__x'",
    );
  });
});

describe('the provisioning files', () => {
  it('parse, and the dashboard and every rule use the provisioned data source by its uid', () => {
    expect(datasourceFile.apiVersion).toBe(1);
    const [ds] = datasourceFile.datasources;
    expect(datasourceFile.datasources).toHaveLength(1);
    expect(ds).toMatchObject({ uid: 'kf-archive', type: 'grafana-postgresql-datasource' });
    expect(ds.secureJsonData.password).toMatch(/^\$\{\w+\}$/);
    expect(dashboardProviderFile.apiVersion).toBe(1);
    expect(dashboardProviderFile.providers[0]).toMatchObject({ type: 'file', folder: 'WeCom KF' });

    const panels: Json[] = dashboard.panels;
    expect(panels.length).toBeGreaterThanOrEqual(7);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: ds.type, uid: ds.uid });
      for (const target of panel.targets) {
        expect(target.datasource, panel.title).toEqual({ type: ds.type, uid: ds.uid });
        expect(target.rawSql, panel.title).toMatch(/kf_statistics/);
      }
    }
    const variables: Json[] = dashboard.templating.list;
    expect(variables.map((v) => v.name)).toEqual(['source', 'corp', 'endpoint', 'account']);
    for (const v of variables) expect(v.datasource).toEqual({ type: ds.type, uid: ds.uid });

    expect(alertsFile.apiVersion).toBe(1);
    for (const group of alertsFile.groups) {
      expect(group.name).toBeTruthy();
      expect(group.folder).toBe(dashboardProviderFile.providers[0].folder);
      expect(group.interval).toMatch(/^\d+[smh]$/);
    }
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
    expect(rules.map((r) => r.uid)).toEqual(['kf-reply-rate-low', 'kf-sessions-halved', 'kf-collection-stalled']);
    for (const r of rules) {
      expect(r.title, r.uid).toBeTruthy();
      // Titles and labels are expanded from the environment by Grafana: a "$" there would vanish.
      expect(JSON.stringify([r.title, r.labels, r.condition]), r.uid).not.toContain('$');
      expect(['OK', 'NoData', 'Alerting', 'KeepLast']).toContain(r.noDataState);
      expect(['OK', 'Error', 'Alerting', 'KeepLast']).toContain(r.execErrState);
      expect(r.for).toMatch(/^\d+[smh]$/);
      // The panel shown with the alert exists in the provisioned dashboard.
      expect(r.dashboardUid, r.uid).toBe(dashboard.uid);
      expect(
        panels.map((p) => p.id),
        r.uid,
      ).toContain(r.panelId);
      const refIds = (r.data as Json[]).map((d) => d.refId);
      expect(refIds[0], r.uid).toBe('A');
      expect(refIds, r.uid).toContain(r.condition);
      for (const query of r.data as Json[]) {
        expect(query.model.refId).toBe(query.refId);
        expect(query.model.datasource.uid).toBe(query.datasourceUid);
        if (query.datasourceUid === '__expr__') {
          expect(query.model.datasource.type).toBe('__expr__');
          const refs =
            query.model.type === 'math'
              ? [...query.model.expression.matchAll(/\$(\w+)/g)].map((m: string[]) => m[1])
              : [query.model.expression];
          for (const ref of refs)
            expect(refIds.indexOf(ref), `${r.uid} ${query.refId} -> ${ref}`).toBeLessThan(refIds.indexOf(query.refId));
        } else {
          expect(query.datasourceUid).toBe(ds.uid);
          expect(query.model.datasource.type).toBe(ds.type);
          expect(query.model.format).toBe('table');
          expect(query.relativeTimeRange.from).toBeGreaterThan(0);
          // Alert queries get no dashboard variables: after the macros nothing may be left to expand.
          expect(expandMacros(query.model.rawSql, { from: 0, to: DAY_MS }), `${r.uid} ${query.refId}`).not.toContain('$');
        }
      }
    }
  });
});

describe('the rules at their thresholds', () => {
  const conditionAt = (uid: string, value: number) => {
    const r = rule(uid);
    const model = (r.data as Json[]).find((d) => d.refId === r.condition)!.model;
    const [result] = threshold(model, [{ kind: 'number', labels: {}, value }]);
    return result?.kind === 'number' ? result.value : undefined;
  };
  it('reply rate: 0.8 is fine, under it alerts', () => {
    expect([conditionAt('kf-reply-rate-low', 0.8), conditionAt('kf-reply-rate-low', 0.7999)]).toEqual([0, 1]);
  });
  it('sessions: exactly half alerts, a little more is fine', () => {
    expect([conditionAt('kf-sessions-halved', 0.5), conditionAt('kf-sessions-halved', 0.5001)]).toEqual([1, 0]);
  });
  it('stalled: 6 hours overdue is tolerated, more alerts', () => {
    expect([conditionAt('kf-collection-stalled', 6), conditionAt('kf-collection-stalled', 6.01)]).toEqual([0, 1]);
  });
});

describe('the archive the server filled, seen through the Grafana files', () => {
  it('stalled: the collection rule fires for every source while the newest day is days old, not on the day it was collected', async () => {
    // The server runs as of three days ago: its archive ends four days ago.
    const summary = await collectAt(-3);
    expect(summary.daysStored).toBe(simulatorSeriesCount(sim) * 180);
    const [{ newest }] = (await admin.query(`SELECT max(day)::text AS newest FROM kf_statistics`)).rows;
    expect(newest).toBe(chinaDay(-4));

    const stalled = rule('kf-collection-stalled');
    const today = await evaluateRule(stalled, chinaTime(0, 7), admin);
    expect(alerting(today)).toEqual([{ source: 'acme' }, { source: 'isv' }]);
    // The day after the newest (3 days ago) has been ready since 2 days ago 06:00: 49 hours at 07:00.
    expect(today.instances.map((i) => i.values.B)).toEqual([49, 49]);
    const thatDay = await evaluateRule(stalled, chinaTime(-3, 10), admin);
    expect(thatDay.instances.map((i) => i.state)).toEqual(['Normal', 'Normal']);
  });

  it('stalled: a day ready at 06:00 China time is overdue 6 hours later, not before', async () => {
    await collectAt(-1);
    const stalled = rule('kf-collection-stalled');
    // Newest day: the day before yesterday. Yesterday is ready today at 06:00 China time.
    const early = await evaluateRule(stalled, chinaTime(0, 5), admin);
    expect(early.instances.map((i) => [i.state, i.values.B])).toEqual([
      ['Normal', -1],
      ['Normal', -1],
    ]);
    const noon = await evaluateRule(stalled, chinaTime(0, 12), admin);
    expect(noon.instances.map((i) => i.state)).toEqual(['Normal', 'Normal']);
    const afternoon = await evaluateRule(stalled, chinaTime(0, 13), admin);
    expect(alerting(afternoon)).toEqual([{ source: 'acme' }, { source: 'isv' }]);
    // Broken on purpose: the ready time read in the database session's zone (UTC), not China's,
    // comes 8 hours late and misses the stalled collection.
    const utcReady = await evaluateRule(stalled, chinaTime(0, 13), admin, (_r, sql) => mutate(sql, " AT TIME ZONE 'Asia/Shanghai'", ''));
    expect(alerting(utcReady)).toEqual([]);
  });

  it('today: the server stores yesterday, with a low reply rate on one account and halved sessions on another', async () => {
    const [low, halved] = accounts();
    // WeCom answers those two accounts' yesterday with the values the rules must catch.
    sim.setExtraFields({ reply_rate: 0.42 });
    await collectAt(0, [acmeSource({ collect: ['servicer'], accounts: [low] })]);
    const weekBefore = sim.expectedStatistic({ endpoint: 'corp', corpId: acmeCorp(), openKfid: halved!, date: chinaDay(-8) })!;
    const halvedSessions = Math.floor(weekBefore.session_cnt! / 2);
    sim.setExtraFields({ session_cnt: halvedSessions });
    await collectAt(0, [acmeSource({ collect: ['corp'], accounts: [halved] })]);
    sim.setExtraFields(undefined);
    await collectAt(0);

    const yesterday = chinaDay(-1);
    const rows = (
      await admin.query(
        `SELECT endpoint, open_kfid, reply_rate, session_cnt FROM kf_statistics
         WHERE source = 'acme' AND servicer_userid = '' AND day = $1 ORDER BY endpoint, open_kfid`,
        [yesterday],
      )
    ).rows;
    const expected = accounts().flatMap((id) => {
      const corp = sim.expectedStatistic({ endpoint: 'corp', corpId: acmeCorp(), openKfid: id, date: yesterday })!;
      const total = sim.expectedStatistic({ endpoint: 'servicer', corpId: acmeCorp(), openKfid: id, date: yesterday })!;
      return [
        { endpoint: 'corp', open_kfid: id, reply_rate: null, session_cnt: id === halved ? halvedSessions : corp.session_cnt },
        { endpoint: 'servicer', open_kfid: id, reply_rate: id === low ? 0.42 : (total.reply_rate ?? null), session_cnt: total.session_cnt },
      ];
    });
    expect(rows).toEqual(expected.sort((a, b) => a.endpoint.localeCompare(b.endpoint) || a.open_kfid.localeCompare(b.open_kfid)));
    const total = (await admin.query(`SELECT count(*)::int AS n, min(day)::text AS oldest FROM kf_statistics`)).rows[0];
    expect(total.oldest < chinaDay(-180)).toBe(true);

    const stalled = await evaluateRule(rule('kf-collection-stalled'), chinaTime(0, 7), admin);
    expect(stalled.instances.map((i) => [i.labels.source, i.state])).toEqual([
      ['acme', 'Normal'],
      ['isv', 'Normal'],
    ]);
  });

  it('reply rate: fires for the account with the low rate yesterday (China day), for no other, and not on other days', async () => {
    const [low] = accounts();
    const replyRule = rule('kf-reply-rate-low');
    // 07:00 China time is still the previous day in UTC: a rule on UTC days would look at the wrong day.
    const at = chinaTime(0, 7);
    const evaluation = await evaluateRule(replyRule, at, admin);
    const naturallyLow = accounts().filter(
      (id) =>
        id !== low &&
        (sim.expectedStatistic({ endpoint: 'servicer', corpId: acmeCorp(), openKfid: id, date: chinaDay(-1) })?.reply_rate ?? 1) < 0.8,
    );
    expect(alerting(evaluation)).toEqual(
      [low!, ...naturallyLow].map(accountLabels).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(evaluation.instances.find((i) => i.labels.open_kfid === low)!.values).toMatchObject({ A: 0.42, B: 0.42, C: 1 });
    // Every account's value is its own reply rate of yesterday (China day).
    expect(evaluation.instances.map((i) => [i.labels.open_kfid, i.values.A])).toEqual(
      accounts()
        .map((id) => [
          id,
          id === low
            ? 0.42
            : sim.expectedStatistic({ endpoint: 'servicer', corpId: acmeCorp(), openKfid: id, date: chinaDay(-1) })?.reply_rate,
        ])
        .filter(([, rate]) => rate !== undefined),
    );
    expect(evaluation.instances.filter((i) => i.state === 'Normal').length).toBeGreaterThan(0);

    // The day before: the same account was fine.
    const dayBefore = await evaluateRule(replyRule, chinaTime(-1, 7), admin);
    expect(alerting(dayBefore).map((l) => l.open_kfid)).not.toContain(low);

    // Broken on purpose: yesterday by the database session's calendar (UTC) is the wrong day at 07:00.
    const utcDay = await evaluateRule(replyRule, at, admin, (_r, sql) =>
      mutate(sql, "($__timeTo()::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - 1", '$__timeTo()::date - 1'),
    );
    expect(alerting(utcDay).map((l) => l.open_kfid)).not.toContain(low);
    // Broken on purpose: the day before yesterday.
    const wrongDay = await evaluateRule(replyRule, at, admin, (_r, sql) =>
      mutate(sql, "'Asia/Shanghai')::date - 1", "'Asia/Shanghai')::date - 2"),
    );
    expect(alerting(wrongDay).map((l) => l.open_kfid)).not.toContain(low);
  });

  it('sessions: fires for the account whose sessions fell to half of the same weekday a week before, not for a normal day', async () => {
    const [, halved] = accounts();
    const sessionsRule = rule('kf-sessions-halved');
    const sessions = (id: string, d: number) =>
      sim.expectedStatistic({ endpoint: 'corp', corpId: acmeCorp(), openKfid: id, date: chinaDay(d) })!.session_cnt!;
    /** Per account: [sessions the day before `dayOffset`, sessions 8 days before it], as the simulator made them. */
    const expectedPairs = (dayOffset: number, shaped?: string) =>
      accounts().map((id) => {
        const weekBefore = sessions(id, dayOffset - 8);
        return { id, A: id === shaped ? Math.floor(weekBefore / 2) : sessions(id, dayOffset - 1), B: weekBefore };
      });
    const expectedAlerting = (dayOffset: number, shaped?: string) =>
      expectedPairs(dayOffset, shaped)
        .filter((p) => p.A / p.B <= 0.5)
        .map((p) => accountLabels(p.id));
    const evaluation = await evaluateRule(sessionsRule, chinaTime(0, 7), admin);
    // Each account's two days are the right ones: yesterday and the same weekday a week before.
    expect(evaluation.instances.map((i) => ({ id: i.labels.open_kfid, A: i.values.A, B: i.values.B }))).toEqual(expectedPairs(0, halved));
    expect(alerting(evaluation)).toEqual(expectedAlerting(0, halved));
    expect(alerting(evaluation)).toContainEqual(accountLabels(halved!));
    const instance = evaluation.instances.find((i) => i.labels.open_kfid === halved)!;
    expect(instance.values.C).toBeCloseTo(instance.values.A! / instance.values.B!, 12);
    expect(instance.values.C).toBeLessThanOrEqual(0.5);
    expect(evaluation.instances.filter((i) => i.state === 'Normal').length).toBeGreaterThan(0);

    // The day before, a normal day for that account: no alert for it.
    const dayBefore = await evaluateRule(sessionsRule, chinaTime(-1, 7), admin);
    expect(alerting(dayBefore)).toEqual(expectedAlerting(-1));
    expect(alerting(dayBefore)).not.toContainEqual(accountLabels(halved!));

    // Broken on purpose: both days by the database session's calendar (UTC).
    const utcDays = await evaluateRule(sessionsRule, chinaTime(0, 7), admin, (_r, sql) =>
      mutate(sql, "($__timeTo()::timestamptz AT TIME ZONE 'Asia/Shanghai')::date", '$__timeTo()::date'),
    );
    expect(alerting(utcDays)).not.toContainEqual(accountLabels(halved!));
    // Broken on purpose: a week before compared with the day before yesterday.
    const wrongDay = await evaluateRule(sessionsRule, chinaTime(0, 7), admin, (refId, sql) =>
      refId === 'A' ? mutate(sql, "'Asia/Shanghai')::date - 1", "'Asia/Shanghai')::date - 2") : sql,
    );
    expect(alerting(wrongDay)).not.toContainEqual(accountLabels(halved!));
  });

  it('with nothing archived: the yesterday rules stay quiet (noDataState OK), the stalled rule alerts', async () => {
    const emptyUrl = await postgres.createDatabase();
    const empty = await openStore(emptyUrl);
    await empty.close();
    const client = await connect(emptyUrl);
    const states: string[][] = [];
    for (const r of rules) states.push((await evaluateRule(r, chinaTime(0, 7), client)).instances.map((i) => i.state));
    expect(states).toEqual([['Normal'], ['Normal'], ['Alerting']]);
  });

  it('yesterday fetched before 06:00 China time (stored without statistic): no data, not zero; the day still counts as archived', async () => {
    const earlyUrl = await postgres.createDatabase();
    const early = await openStore(earlyUrl);
    try {
      // The server runs at 05:00 China time: WeCom has not computed yesterday yet.
      await collectAt(-5 / 24, undefined, { store: early, url: earlyUrl });
    } finally {
      await early.close();
    }
    const client = await connect(earlyUrl);
    const yesterday = (
      await client.query(`SELECT count(*)::int AS n, bool_or(has_data) AS any_data FROM kf_statistics WHERE day = $1`, [chinaDay(-1)])
    ).rows[0];
    expect(yesterday).toEqual({ n: simulatorSeriesCount(sim), any_data: false });
    const at = chinaTime(0, 5.5);
    const reply = await evaluateRule(rule('kf-reply-rate-low'), at, client);
    const sessions = await evaluateRule(rule('kf-sessions-halved'), at, client);
    const stalled = await evaluateRule(rule('kf-collection-stalled'), at, client);
    expect([reply, sessions].map((e) => e.instances)).toEqual([
      [{ labels: {}, state: 'Normal', values: {} }],
      [{ labels: {}, state: 'Normal', values: {} }],
    ]);
    expect(stalled.instances.map((i) => [i.labels.source, i.state, i.values.B])).toEqual([
      ['acme', 'Normal', -24.5],
      ['isv', 'Normal', -24.5],
    ]);
  });

  it('the dashboard: every variable and panel query runs on the filled archive, over a range longer than WeCom keeps', async () => {
    const result = await runDashboard(admin);
    expect(result.variables.source).toEqual(['acme', 'isv']);
    expect(result.variables.endpoint).toEqual(['component', 'corp', 'servicer']);
    expect(result.variables.account).toEqual([...accounts()].sort());
    for (const [title, rows] of Object.entries(result.panels)) expect(rows.length, title).toBeGreaterThan(0);
    // Days older than WeCom's 180 are in the panels (the range reaches 400 days back).
    const sessions = result.panels['Sessions per China day']!;
    const oldest = Math.min(...sessions.map((r) => (r[0] as Date).getTime()));
    expect(oldest).toBeLessThan(chinaTime(-180, 0));
    // Points sit on China midnight.
    expect(new Set(sessions.map((r) => ((r[0] as Date).getTime() + 8 * HOUR_MS) % DAY_MS))).toEqual(new Set([0]));
    const weeks = result.panels['Sessions per China week']!;
    for (const row of weeks)
      expect(new Date((row[0] as Date).getTime() + 8 * HOUR_MS).getUTCDay(), 'weeks start on a China Monday').toBe(1);
    const yesterdayRows = result.panels["Yesterday (the China day before the range's end)"]!;
    expect(yesterdayRows.every((r) => r[4] === chinaDay(-1))).toBe(true);
    const archive = result.panels['Archive per source']!;
    expect(archive.map((r) => [r[0], r[3], r[4]])).toEqual([
      ['acme', chinaDay(-1), 0],
      ['isv', chinaDay(-1), 0],
    ]);
  });

  it('a read-only user made with the README SQL runs every query the files hold and can write nothing', async () => {
    const block = /<!-- grafana-readonly-sql -->\s*```sql\n([\s\S]*?)```/.exec(README);
    expect(block, 'README.md: the read-only user SQL block').not.toBeNull();
    const database = new URL(url).pathname.slice(1);
    const password = 'reader-password-for-tests';
    const setup = block![1]!.replaceAll('kf_stats', database).replaceAll('<password>', password);
    for (const statement of setup
      .split(/;\s*\n/)
      .map((s) => s.replace(/^--.*$/gm, '').trim())
      .filter(Boolean))
      await admin.query(statement);

    // Connect the way the provisioned data source does: its fields, with Grafana's ${VAR} expansion.
    const [ds] = datasourceFile.datasources;
    const env: Record<string, string> = {
      KF_ARCHIVE_PG_HOST: `${new URL(url).hostname}:${new URL(url).port}`,
      KF_ARCHIVE_PG_USER: 'kf_grafana',
      KF_ARCHIVE_PG_PASSWORD: password,
      KF_ARCHIVE_PG_DATABASE: database,
      KF_ARCHIVE_PG_SSLMODE: 'disable',
    };
    const expand = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => env[(a ?? b)!] ?? '');
    const [host, port] = expand(ds.url).split(':');
    expect(expand(ds.jsonData.sslmode)).toBe('disable');
    const reader = await connect(
      {
        host,
        port: Number(port),
        user: expand(ds.user),
        password: expand(ds.secureJsonData.password),
        database: expand(ds.jsonData.database),
      },
      'America/Los_Angeles',
    );

    // Every rule, evaluated as the reader in yet another session zone, says what it said as the owner.
    for (const r of rules) {
      const asReader = await evaluateRule(r, chinaTime(0, 7), reader);
      expect(asReader.error, r.uid).toBeUndefined();
      expect(asReader.instances, r.uid).toEqual((await evaluateRule(r, chinaTime(0, 7), admin)).instances);
    }
    const dash = await runDashboard(reader);
    expect(dash.panels).toEqual((await runDashboard(admin)).panels);

    // Of the archive's tables and views (tokens, sealed secrets, leases …) it may read the view only.
    const readable = await admin.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') AND has_table_privilege('kf_grafana', c.oid, 'SELECT')`,
    );
    expect(readable.rows.map((r) => r.relname)).toEqual(['kf_statistics']);
    const tables = (await admin.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map(
      (r) => r.tablename,
    );
    expect(tables).toEqual(expect.arrayContaining(['kf_days', 'kf_tokens', 'kf_leases', 'kf_runs']));
    for (const table of tables) await expect(reader.query(`SELECT * FROM "${table}" LIMIT 1`), table).rejects.toThrow(/permission denied/);
    for (const forbidden of [
      `INSERT INTO kf_days (source, endpoint, corp_id, day, stat_time, fetched_at) VALUES ('x', 'corp', 'c', '2026-01-01', 0, now())`,
      `DELETE FROM kf_statistics`,
      `UPDATE kf_runs SET ok = false`,
      `CREATE TABLE kf_reader_table (x int)`,
      `DROP VIEW kf_statistics`,
    ]) {
      await expect(reader.query(forbidden), forbidden).rejects.toThrow(/permission denied|must be owner|cannot delete from view|read-only/);
    }
  });
});

/** Every variable query (in order, each with the ones before it at All) and every panel query over 400 days. */
async function runDashboard(client: pg.Client) {
  const range = { from: chinaTime(-400, 0), to: chinaTime(0, 7) };
  const variables: Record<string, string[]> = {};
  for (const v of dashboard.templating.list as Json[]) {
    const sql = expandMacros(interpolateVariables(v.query, variables), range);
    variables[v.name] = (await client.query({ text: sql, rowMode: 'array' })).rows.map((r) => String(r[0]));
  }
  const panels: Record<string, unknown[][]> = {};
  for (const panel of dashboard.panels as Json[]) {
    for (const target of panel.targets) {
      const sql = expandMacros(interpolateVariables(target.rawSql, variables), range);
      expect(sql, panel.title).not.toContain('$');
      const result = await client.query({ text: sql, rowMode: 'array' });
      if (target.format === 'time_series') expect(result.fields[0]!.name, panel.title).toBe('time');
      panels[panel.title] = result.rows;
    }
  }
  return { variables, panels };
}
