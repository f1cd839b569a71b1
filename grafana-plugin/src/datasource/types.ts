// The aifb data source's query model: queryType picks what gpx_aifb answers (docs/grafana-plugin.md,
// "Queries"); the other keys are that kind's options, sent as they are in the query's JSON.
import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

export type QueryKind = 'runs' | 'run_result' | 'recipe_results' | 'events' | 'health';
export type HealthSection = 'daemon' | 'slurm' | 'slurm_nodes';

export interface AifbQuery extends DataQuery {
  queryType?: QueryKind;
  runId?: string;
  recipe?: string;
  state?: string;
  metric?: string;
  params?: string;
  section?: HealthSection;
}

export const DEFAULT_QUERY: Partial<AifbQuery> = { queryType: 'runs' };

export interface AifbOptions extends DataSourceJsonData {
  aifbdAddress?: string;
}

export interface AifbSecureOptions {
  aifbdToken?: string;
}

// Which options each kind reads, and which of them it cannot do without.
export const KIND_FIELDS: Record<QueryKind, { fields: Array<keyof AifbQuery>; required: Array<keyof AifbQuery> }> = {
  runs: { fields: ['recipe', 'state', 'runId'], required: [] },
  run_result: { fields: ['runId'], required: ['runId'] },
  recipe_results: { fields: ['recipe', 'metric', 'params'], required: ['recipe'] },
  events: { fields: ['runId'], required: ['runId'] },
  health: { fields: ['section'], required: [] },
};

export const KINDS: Array<{ value: QueryKind; label: string; description: string }> = [
  { value: 'runs', label: 'Runs', description: 'runs whose life overlaps the time range, or one run' },
  { value: 'run_result', label: 'Run result', description: "one run's result metrics" },
  { value: 'recipe_results', label: 'Recipe results', description: "a recipe's succeeded runs over time" },
  { value: 'events', label: 'Events', description: "a run's state changes (annotations)" },
  { value: 'health', label: 'Health', description: 'aifbd, Slurm or Slurm nodes' },
];
