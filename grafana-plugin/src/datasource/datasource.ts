// The aifb data source: every query goes to the gpx_aifb backend (QueryData); the frontend only
// fills in dashboard variables ($run_id, $recipe, a multi-value $params) before sending, and
// offers the same query editor for annotations (events of a run as annotations).
import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import { AifbOptions, AifbQuery, DEFAULT_QUERY } from './types';

const TEXT_OPTIONS: Array<'runId' | 'recipe' | 'state' | 'metric' | 'params'> = [
  'runId',
  'recipe',
  'state',
  'metric',
  'params',
];

export class DataSource extends DataSourceWithBackend<AifbQuery, AifbOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<AifbOptions>) {
    super(instanceSettings);
    // The standard annotation support: the query editor below, frames with time/title/text.
    this.annotations = {};
  }

  getDefaultQuery(_: CoreApp): Partial<AifbQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: AifbQuery, scopedVars: ScopedVars): AifbQuery {
    const out: AifbQuery = { ...query };
    const srv = getTemplateSrv();
    for (const k of TEXT_OPTIONS) {
      const v = query[k];
      if (typeof v === 'string' && v !== '') {
        out[k] = srv.replace(v, scopedVars);
      }
    }
    return out;
  }

  filterQuery(query: AifbQuery): boolean {
    return !query.hide;
  }
}
