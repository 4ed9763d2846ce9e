import {
  DataSourceApi,
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import {
  chinaDayOfEpochMs,
  FILL_POLICIES,
  parseChoice,
  IncompleteFetchError,
  parseMetricSelection,
  servicerIdOf,
  STATISTICS_ENDPOINTS,
  ValidationError,
  WecomApiError,
  type KfAccount,
  type KfStatsClient,
  type Servicer,
  type StatisticsEndpoint,
  type StatisticsResult,
} from '@wecom-kf-stats/core';
import { buildFrame, serverWarningNotices } from './frames';
import { describeError } from './messages';
import { createProxyClient } from './proxy-client';
import { createServerClient, type ServerClient } from './server-client';
import { connectionOf, DEFAULT_QUERY, type ConnectionMode, type KfStatsOptions, type KfStatsQuery } from './types';

const FORMATS = ['time_series', 'table'] as const;
const AGGREGATIONS = ['daily', 'total'] as const;
const LANGUAGES = ['en', 'zh'] as const;

export const VARIABLE_QUERY_ALLOWED = '"accounts", or "servicers(<open_kfid>)" (a template variable may stand for the open_kfid)';

/** A query with its template variables replaced and its choices checked. */
export interface ResolvedQuery {
  refId: string;
  endpoint: StatisticsEndpoint;
  /** One entry per account (a multi-value variable gives several); empty for component statistics. */
  openKfids: string[];
  servicerUserid: string | undefined;
  metrics: string[];
  format: KfStatsQuery['format'];
  aggregation: KfStatsQuery['aggregation'];
  fillPolicy: KfStatsQuery['fillPolicy'];
  language: KfStatsQuery['language'];
}

function splitValues(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

export class DataSource extends DataSourceApi<KfStatsQuery, KfStatsOptions> {
  /** Server (the wecom-kf-stats server's API) or direct (WeCom through the data proxy). */
  readonly connection: ConnectionMode;
  /**
   * Direct mode: kept for the life of this data source instance, its token and day caches serve
   * every panel and refresh. Server mode: undefined (the server is the cache).
   */
  readonly client: KfStatsClient | undefined;
  /** Server mode: the server's API through the data proxy. */
  readonly server: ServerClient | undefined;
  private readonly proxyUrl: string;
  private readonly jsonData: KfStatsOptions;

  constructor(instanceSettings: DataSourceInstanceSettings<KfStatsOptions>) {
    super(instanceSettings);
    this.proxyUrl = instanceSettings.url ?? `/api/datasources/proxy/uid/${instanceSettings.uid}`;
    this.jsonData = instanceSettings.jsonData ?? {};
    this.connection = connectionOf(this.jsonData);
    if (this.connection === 'server') {
      this.client = undefined;
      this.server = createServerClient(this.proxyUrl, this.jsonData);
    } else {
      this.client = createProxyClient({ url: this.proxyUrl, jsonData: this.jsonData });
      this.server = undefined;
    }
  }

  override getDefaultQuery(): Partial<KfStatsQuery> {
    return DEFAULT_QUERY;
  }

  /** Replace template variables in every text field of the query. */
  applyTemplateVariables(query: KfStatsQuery, scopedVars: ScopedVars): KfStatsQuery {
    const templateSrv = getTemplateSrv();
    const replace = <T extends string>(text: T | undefined) =>
      (typeof text === 'string' ? templateSrv.replace(text, scopedVars, 'csv') : text) as T | undefined;
    return {
      ...query,
      endpoint: replace(query.endpoint)!,
      openKfid: replace(query.openKfid),
      servicerUserid: replace(query.servicerUserid),
      // Hand-written JSON may hold "a,b" instead of a list.
      metrics: (Array.isArray(query.metrics) ? query.metrics : typeof query.metrics === 'string' ? [query.metrics] : []).flatMap((m) =>
        splitValues(templateSrv.replace(String(m), scopedVars, 'csv')),
      ),
      format: replace(query.format)!,
      aggregation: replace(query.aggregation)!,
      fillPolicy: replace(query.fillPolicy)!,
      language: replace(query.language)!,
    };
  }

  /** Explore and "copy to another panel" keep the values the variables had. */
  override interpolateVariablesInQueries(queries: KfStatsQuery[], scopedVars: ScopedVars): KfStatsQuery[] {
    return queries.map((query) => ({ ...this.applyTemplateVariables(query, scopedVars), datasource: this.getRef() }));
  }

  /** Check the choices of an interpolated query (bad values name the field and what is allowed). */
  resolveQuery(query: KfStatsQuery, scopedVars: ScopedVars = {}): ResolvedQuery {
    const q = this.applyTemplateVariables(query, scopedVars);
    const endpoint = parseChoice('endpoint', q.endpoint, STATISTICS_ENDPOINTS, DEFAULT_QUERY.endpoint);
    const servicers = splitValues(q.servicerUserid ?? '');
    if (servicers.length > 1) {
      throw new ValidationError('servicerUserid', q.servicerUserid, 'one servicer userid (use a single-value variable)');
    }
    return {
      refId: q.refId,
      endpoint,
      openKfids: endpoint === 'component' ? [] : splitValues(q.openKfid ?? ''),
      servicerUserid: endpoint === 'servicer' ? servicers[0] : undefined,
      metrics: parseMetricSelection(endpoint, q.metrics, 'metrics'),
      format: parseChoice('format', q.format, FORMATS, DEFAULT_QUERY.format),
      aggregation: parseChoice('aggregation', q.aggregation, AGGREGATIONS, DEFAULT_QUERY.aggregation),
      fillPolicy: parseChoice('fillPolicy', q.fillPolicy, FILL_POLICIES, DEFAULT_QUERY.fillPolicy),
      language: parseChoice('language', q.language, LANGUAGES, DEFAULT_QUERY.language),
    };
  }

  async query(request: DataQueryRequest<KfStatsQuery>): Promise<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    const answers = await Promise.all(targets.map((target) => this.runQuery(target, request)));
    const data = answers.flatMap((a) => a.frames);
    const errors = answers.flatMap((a) => a.errors);
    return errors.length ? { data, errors, error: errors[0] } : { data };
  }

  private async runQuery(
    target: KfStatsQuery,
    request: DataQueryRequest<KfStatsQuery>,
  ): Promise<{ frames: DataFrame[]; errors: DataQueryError[] }> {
    const refId = target.refId;
    let resolved: ResolvedQuery;
    try {
      resolved = this.resolveQuery(target, request.scopedVars);
    } catch (error) {
      return { frames: [], errors: [{ refId, message: describeError(error) }] };
    }
    // The dashboard range in China days (UTC+8). Direct mode: core clamps it to WeCom's window and
    // says so. Server mode: the server answers the whole range from its archive.
    const from = chinaDayOfEpochMs(request.range.from.valueOf());
    const to = chinaDayOfEpochMs(request.range.to.valueOf());
    const accounts: (string | undefined)[] = resolved.endpoint === 'component' ? [undefined] : resolved.openKfids;
    if (accounts.length === 0) {
      const error = new ValidationError('openKfid', '', `an open_kfid ("wk...") for ${resolved.endpoint} statistics: pick an account`);
      return { frames: [], errors: [{ refId, message: describeError(error) }] };
    }
    const several = accounts.length > 1;
    const outcomes = await Promise.all(
      accounts.map(async (openKfid) => {
        const options = {
          refId,
          metrics: resolved.metrics,
          format: resolved.format,
          aggregation: resolved.aggregation,
          fillPolicy: resolved.fillPolicy,
          language: resolved.language,
          ...(several && openKfid ? { series: { openKfid } } : {}),
        };
        if (this.server) return this.runServerQuery(this.server, resolved, openKfid, from, to, options);
        const client = this.client!;
        try {
          const result = await client.getStatistics({
            endpoint: resolved.endpoint,
            ...(openKfid ? { openKfid } : {}),
            ...(resolved.servicerUserid ? { servicerUserid: resolved.servicerUserid } : {}),
            from,
            to,
            windowPolicy: 'clamp',
          });
          return { frames: [buildFrame(result, options)], errors: [] };
        } catch (error) {
          const message = this.rangeMessage(error, from, to);
          if (error instanceof IncompleteFetchError) {
            // Keep every day that arrived; say which are missing.
            const partial = error.partial as StatisticsResult;
            const frame = buildFrame(partial, { ...options, notices: [{ severity: 'error', text: message }] });
            return { frames: [frame], errors: [{ refId, message }] };
          }
          return { frames: [], errors: [{ refId, message }] };
        }
      }),
    );
    return { frames: outcomes.flatMap((o) => o.frames), errors: outcomes.flatMap((o) => o.errors) };
  }

  /** Server mode: the whole range as the server has it (no 180-day window); its warnings become notices. */
  private async runServerQuery(
    server: ServerClient,
    resolved: ResolvedQuery,
    openKfid: string | undefined,
    from: string,
    to: string,
    options: Parameters<typeof buildFrame>[1],
  ): Promise<{ frames: DataFrame[]; errors: DataQueryError[] }> {
    const refId = resolved.refId;
    try {
      const { result, warnings } = await server.getStatistics({
        endpoint: resolved.endpoint,
        ...(openKfid ? { openKfid } : {}),
        ...(resolved.servicerUserid ? { servicerUserid: resolved.servicerUserid } : {}),
        from,
        to,
      });
      const notices = serverWarningNotices(warnings);
      const failed = warnings.filter((w) => w.code === 'LIVE_FETCH_FAILED');
      return {
        frames: [buildFrame(result, { ...options, notices })],
        errors: failed.map((w) => ({ refId, message: w.message })),
      };
    } catch (error) {
      const message = describeError(error);
      const range = from === to ? from : `${from}..${to}`;
      return { frames: [], errors: [{ refId, message: `Statistics for ${range} (China time) failed. ${message}` }] };
    }
  }

  private rangeMessage(error: unknown, from: string, to: string): string {
    const message = describeError(error);
    if (error instanceof ValidationError && (error.field === 'from' || error.field === 'to')) {
      return `The dashboard time range covers ${from === to ? from : `${from}..${to}`} (China time), where WeCom has no statistics. ${message}`;
    }
    return message;
  }

  /** Accounts for pickers and variables. */
  listAccounts(): Promise<KfAccount[]> {
    return (this.server ?? this.client!).listAccounts();
  }

  /** Servicers of an account (template variables allowed). */
  listServicers(openKfid: string, scopedVars: ScopedVars = {}): Promise<Servicer[]> {
    return (this.server ?? this.client!).listServicers(getTemplateSrv().replace(openKfid, scopedVars));
  }

  /** Dashboard variables: `accounts` lists open_kfids (text: the account name), `servicers(<open_kfid>)` its servicers. */
  override async metricFindQuery(query: string | { query?: string }, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    // Saved variables hold the text itself, or an object with it (newer dashboards).
    const raw = typeof query === 'object' && query !== null ? query.query : query;
    const text = getTemplateSrv()
      .replace(String(raw ?? ''), options?.scopedVars ?? {})
      .trim();
    if (/^accounts$/i.test(text)) {
      const accounts = await this.listAccounts();
      return accounts.map((a) => ({ text: a.name || a.open_kfid, value: a.open_kfid }));
    }
    const match = /^servicers\s*\(\s*([^()\s]+)\s*\)$/i.exec(text);
    if (match) {
      const servicers = await this.listServicers(match[1]!);
      return servicers.flatMap((s) => {
        const id = servicerIdOf(s);
        return id ? [{ text: id, value: id }] : [];
      });
    }
    throw new ValidationError('variable query', text, VARIABLE_QUERY_ALLOWED);
  }

  /**
   * Save & test: a real token call (a fresh client, so no cached token), then the account list
   * and a one-day statistics query. The message says what to fix.
   */
  async testDatasource(): Promise<TestDataSourceResponse> {
    if (this.server) return this.testServer(this.server);
    const client = createProxyClient({ url: this.proxyUrl, jsonData: this.jsonData }, { cache: false });
    try {
      await client.checkAuth();
    } catch (error) {
      return { status: 'error', message: `Token call failed. ${describeError(error)}` };
    }
    let accounts: KfAccount[];
    try {
      accounts = await client.listAccounts();
    } catch (error) {
      return { status: 'error', message: `Token OK, but listing customer-service accounts failed. ${describeError(error)}` };
    }
    const first = accounts[0];
    try {
      if (first) {
        try {
          const result = await client.getStatistics({ endpoint: 'corp', openKfid: first.open_kfid, last: 1, useCache: false });
          const quiet = result.days.every((d) => d.statistic === null) ? ' (no data for that day yet)' : '';
          return {
            status: 'success',
            message: `Connected. Token OK, ${accounts.length} customer-service account(s); ${result.from} statistics of ${first.name || first.open_kfid} answered${quiet}.`,
          };
        } catch (error) {
          // A service provider's token may not read corp statistics: component statistics are its data.
          if (!(error instanceof WecomApiError && error.category === 'permission')) throw error;
        }
      }
      const result = await client.getStatistics({ endpoint: 'component', last: 1, useCache: false });
      return {
        status: 'success',
        message: `Connected. Token OK, ${accounts.length} customer-service account(s); ${result.from} component statistics answered.`,
      };
    } catch (error) {
      const what = first
        ? 'a one-day statistics query failed'
        : 'the corp has no customer-service accounts and component statistics failed';
      return { status: 'error', message: `Token OK, but ${what}. ${describeError(error)}` };
    }
  }

  /**
   * Save & test in server mode: the key and the source (the sources list), the source's accounts,
   * then one day of statistics. The message names what to fix.
   */
  private async testServer(server: ServerClient): Promise<TestDataSourceResponse> {
    const problem = serverSettingsProblem(this.jsonData);
    if (problem) return { status: 'error', message: problem };
    let sources;
    try {
      sources = await server.listSources();
    } catch (error) {
      return { status: 'error', message: `Listing the server's sources failed. ${describeError(error)}` };
    }
    const ids = sources.map((s) => s.id);
    const source = sources.find((s) => s.id === this.jsonData.source);
    if (!source) {
      return {
        status: 'error',
        message: `Source "${this.jsonData.source}" is not configured on the server; its sources: ${ids.join(', ') || 'none'}. Pick one in this data source's settings.`,
      };
    }
    if (source.corps.length > 1 && !this.jsonData.serverCorpId) {
      return {
        status: 'error',
        message: `Source "${source.id}" serves ${source.corps.length} corps (${source.corps.join(', ')}): enter the corp ID to show in this data source's settings.`,
      };
    }
    let accounts: KfAccount[];
    try {
      accounts = await server.listAccounts();
    } catch (error) {
      return { status: 'error', message: `Server OK, but listing the accounts of source "${source.id}" failed. ${describeError(error)}` };
    }
    const first = accounts[0];
    const endpoint: StatisticsEndpoint = first
      ? source.collect.includes('servicer') && !source.collect.includes('corp')
        ? 'servicer'
        : 'corp'
      : 'component';
    const yesterday = chinaDayOfEpochMs(Date.now() - 86_400_000);
    try {
      const { result } = await server.getStatistics({
        endpoint,
        ...(first && endpoint !== 'component' ? { openKfid: first.open_kfid } : {}),
        from: yesterday,
        to: yesterday,
      });
      const quiet = result.days.every((d) => d.statistic === null) ? ' (no data for that day)' : '';
      const whose = first ? `of ${first.name || first.open_kfid}` : 'component';
      return {
        status: 'success',
        message: `Connected to the server. Source "${source.id}", ${accounts.length} customer-service account(s); ${result.from} statistics ${whose} answered${quiet}. The browser receives statistics only: no WeCom token.`,
      };
    } catch (error) {
      return { status: 'error', message: `Server OK, but a one-day statistics query failed. ${describeError(error)}` };
    }
  }
}

/** Server-mode settings that cannot work, said in one line (field, value, what is allowed); undefined when fine. */
export function serverSettingsProblem(jsonData: KfStatsOptions): string | undefined {
  if (!jsonData.serverUrl) return "Server URL is empty: enter the wecom-kf-stats server's address, e.g. http://127.0.0.1:8787.";
  if (!jsonData.source) return "Source is empty: pick the server's source (a source id of its config) in this data source's settings.";
  return undefined;
}
