import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { KfStatsOptions, KfStatsQuery, KfStatsSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, KfStatsQuery, KfStatsOptions, KfStatsSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
