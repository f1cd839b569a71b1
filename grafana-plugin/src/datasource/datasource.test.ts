// The data source: variables filled in before a query leaves the browser; annotations offered.
import { DataSourceInstanceSettings } from '@grafana/data';
import { DataSource } from './datasource';
import { AifbOptions } from './types';

const replace = jest.fn((text: string) =>
  text.replace('$run_id', 'r-3fa09c1d22be').replace('$params', '{rate,concurrency}')
);

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => ({ replace }),
}));

const settings = {
  id: 1,
  uid: 'aifb',
  type: 'aifb-controlplane-datasource',
  name: 'aifb',
  meta: {},
  jsonData: {},
  access: 'proxy',
  readOnly: false,
} as unknown as DataSourceInstanceSettings<AifbOptions>;

describe('DataSource', () => {
  test('fills dashboard variables into the text options', () => {
    const ds = new DataSource(settings);
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'recipe_results', recipe: 'llm-sim', params: '$params', runId: '$run_id' },
      {}
    );
    expect(q).toEqual({
      refId: 'A',
      queryType: 'recipe_results',
      recipe: 'llm-sim',
      params: '{rate,concurrency}',
      runId: 'r-3fa09c1d22be',
    });
  });

  test('offers annotations and runs by default, and skips hidden queries', () => {
    const ds = new DataSource(settings);
    expect(ds.annotations).toBeDefined();
    expect(ds.getDefaultQuery('explore' as never)).toEqual({ queryType: 'runs' });
    expect(ds.filterQuery({ refId: 'A', hide: true })).toBe(false);
    expect(ds.filterQuery({ refId: 'A' })).toBe(true);
  });
});
