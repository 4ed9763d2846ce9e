import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import type { FillPolicy, StatisticsEndpoint } from '@wecom-kf-stats/core';

export type QueryFormat = 'time_series' | 'table';
/** `daily`: one row per China day; `total`: one row for the whole range (core's summarizeDays). */
export type QueryAggregation = 'daily' | 'total';
export type LabelLanguage = 'en' | 'zh';

export interface KfStatsQuery extends DataQuery {
  endpoint: StatisticsEndpoint;
  /** open_kfid ("wk..."), a template variable, or several values from a multi-value variable. */
  openKfid?: string;
  /** Servicer userid (servicer endpoint only); empty means the account's servicers together. */
  servicerUserid?: string;
  /** Catalog keys; empty means every metric of the endpoint. Entries may be template variables. */
  metrics: string[];
  format: QueryFormat;
  aggregation: QueryAggregation;
  fillPolicy: FillPolicy;
  language: LabelLanguage;
}

export const DEFAULT_QUERY: Omit<KfStatsQuery, 'refId'> = {
  endpoint: 'corp',
  metrics: ['session_cnt', 'customer_cnt', 'customer_msg_cnt', 'ai_session_reply_cnt'],
  format: 'time_series',
  aggregation: 'daily',
  fillPolicy: 'null',
  language: 'en',
};

/**
 * Where the statistics come from. `server`: the wecom-kf-stats server's API (the browser never
 * sees a WeCom token; history as far back as the server's archive). `direct`: WeCom itself,
 * through Grafana's data proxy (the access_token reaches the browser).
 */
export type ConnectionMode = 'server' | 'direct';

/** How the browser gets an access_token through Grafana's data proxy (direct mode). */
export type AuthMode = 'selfBuilt' | 'tokenService';
/** Header that carries the token service secret (plugin.json routes cannot template header names). */
export type TokenServiceHeader = 'Authorization' | 'X-Token-Service-Key';

/** Settings stored in plain jsonData (visible to every viewer of the data source). */
export interface KfStatsOptions extends DataSourceJsonData {
  /** Absent on data sources saved by version 0.1 (direct mode only): see connectionOf. */
  connection?: ConnectionMode;
  /** Server mode: the server's origin (and path prefix, if any), e.g. https://kf-stats.internal:8787. */
  serverUrl?: string;
  /** Server mode: the source id of the server's config whose statistics this data source shows. */
  source?: string;
  /** Server mode, a service provider's source serving several corps: the authorized corp id. */
  serverCorpId?: string;
  authMode?: AuthMode;
  /** Corp id ("ww..."): gettoken's corpid, and the token service's ?corpid=. */
  corpId?: string;
  /** WeCom API origin; the simulator's URL in tests. Empty means https://qyapi.weixin.qq.com. */
  apiBaseUrl?: string;
  tokenServiceUrl?: string;
  tokenServiceHeader?: TokenServiceHeader;
}

/** Secrets: written once, kept encrypted by Grafana, injected server-side by plugin.json routes. */
export interface KfStatsSecureJsonData {
  /** Server mode: an ordinary read key of the server (one of its apiKeysEnv keys). */
  serverApiKey?: string;
  corpSecret?: string;
  tokenServiceSecret?: string;
}

/** jsonData keys that only direct mode uses: their presence marks a data source saved by version 0.1. */
const DIRECT_SETTINGS = ['authMode', 'corpId', 'apiBaseUrl', 'tokenServiceUrl', 'tokenServiceHeader'] as const;

/**
 * The connection mode of saved settings. A data source saved before modes existed has no
 * `connection` but has direct-mode settings: it stays in direct mode. A new one is in server mode.
 */
export function connectionOf(jsonData: KfStatsOptions | undefined): ConnectionMode {
  if (jsonData?.connection === 'server' || jsonData?.connection === 'direct') return jsonData.connection;
  return DIRECT_SETTINGS.some((key) => Boolean(jsonData?.[key])) ? 'direct' : 'server';
}
