// The data source's entry point, loaded by Grafana as an AMD module (datasource/module.js).
import { DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { AifbOptions, AifbQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, AifbQuery, AifbOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
