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

/** How the browser gets an access_token through Grafana's data proxy. */
export type AuthMode = 'selfBuilt' | 'tokenService';
/** Header that carries the token service secret (plugin.json routes cannot template header names). */
export type TokenServiceHeader = 'Authorization' | 'X-Token-Service-Key';

/** Settings stored in plain jsonData (visible to every viewer of the data source). */
export interface KfStatsOptions extends DataSourceJsonData {
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
  corpSecret?: string;
  tokenServiceSecret?: string;
}
