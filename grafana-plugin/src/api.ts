// The only way the pages reach aifbd: Grafana's backend service forwards
// api/plugins/aifb-controlplane-app/resources/<route> to the gpx_aifb backend, which makes one
// ControlPlane call per route (docs/grafana-plugin.md). Bodies are aifb.v1 messages as JSON with
// snake_case names and enums by their full names ("RUN_STATE_RUNNING"). Errors come back as
// {"error": "<aifbd's sentence>", "code": "<gRPC code>"}; apiError() turns any rejection into
// that shape so pages show aifbd's own words.
import { config, getBackendSrv } from '@grafana/runtime';
import { RESOURCES_URL } from './constants';

export interface ParamSpec {
  name: string;
  type: string;
  default_value: string;
  required: boolean;
  has_min: boolean;
  min: number;
  has_max: boolean;
  max: number;
  choices: string[];
  description: string;
  unit: string;
}

export interface RecipeSummary {
  name: string;
  description: string;
  kind: string;
  has_service: boolean;
  has_client: boolean;
}

// A role's `slurm:` settings as the recipe writes them (templates; "" when not set).
export interface RoleSlurm {
  image: string;
  gpus: string;
  nodes: string;
  tasks: string;
  cpus_per_task: string;
  memory_mb: string;
  time_limit_min: string;
  partition: string;
}

export interface Recipe {
  summary: RecipeSummary;
  params: ParamSpec[];
  readiness?: string;
  service_slurm?: RoleSlurm;
  client_slurm?: RoleSlurm;
}

export interface Param {
  name: string;
  value: string;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
}

export interface Run {
  id: string;
  recipe: string;
  state: string;
  params: Param[];
  service_id: string;
  reason: string;
  created_at_ms: number;
  updated_at_ms: number;
  ended_at_ms: number;
  executor: string;
  summary: Metric[];
  exit_code: number;
  endpoint: string;
}

export interface Service {
  id: string;
  recipe: string;
  state: string;
  params: Param[];
  endpoint: string;
  reason: string;
  created_at_ms: number;
  ended_at_ms: number;
  executor: string;
}

export interface RunEvent {
  seq: number;
  time_ms: number;
  kind: string;
  subject_id: string;
  from_state: string;
  to_state: string;
  reason: string;
  recipe: string;
}

export type ParamValues = Record<string, string | number | boolean>;

export interface ApiError {
  message: string;
  code: string;
  status: number;
}

// Options every call shares: the page shows errors itself, so Grafana's toast is turned off.
const quiet = { showErrorAlert: false, showSuccessAlert: false };

function url(route: string): string {
  return `${RESOURCES_URL}/${route}`;
}

function get<T>(route: string, params?: Record<string, string | number | boolean>): Promise<T> {
  return getBackendSrv().get<T>(url(route), params, undefined, quiet);
}

function post<T>(route: string, body: object): Promise<T> {
  return getBackendSrv().post<T>(url(route), body, quiet);
}

export const api = {
  listRecipes: () => get<{ recipes: RecipeSummary[] }>('recipes').then((r) => r.recipes ?? []),
  getRecipe: (name: string) => get<Recipe>(`recipes/${encodeURIComponent(name)}`),
  listServices: (includeEnded: boolean) =>
    get<{ services: Service[] }>('services', includeEnded ? { include_ended: true } : undefined).then(
      (r) => r.services ?? []
    ),
  startService: (recipe: string, params: ParamValues) => post<Service>('services', { recipe, params }),
  stopService: (id: string) => post<Service>(`services/${encodeURIComponent(id)}/stop`, {}),
  listRuns: (filter: { state?: string; recipe?: string; page_size?: number } = {}) => {
    const q: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(filter)) {
      if (v !== undefined && v !== '') {
        q[k] = v;
      }
    }
    return get<{ runs: Run[]; next_page_token: string }>('runs', Object.keys(q).length ? q : undefined).then(
      (r) => r.runs ?? []
    );
  },
  getRun: (id: string) => get<Run>(`runs/${encodeURIComponent(id)}`),
  runEvents: (id: string) =>
    get<{ events: RunEvent[] }>(`runs/${encodeURIComponent(id)}/events`).then((r) => r.events ?? []),
  startRun: (recipe: string, params: ParamValues, serviceId?: string) =>
    post<Run>('runs', serviceId ? { recipe, params, service_id: serviceId } : { recipe, params }),
  stopRun: (id: string) => post<Run>(`runs/${encodeURIComponent(id)}/stop`, {}),
};

// Grafana rejects with a FetchError ({status, data, statusText}); the backend's body is in data.
export function apiError(e: unknown): ApiError {
  const err = (e ?? {}) as { status?: number; statusText?: string; message?: string; data?: unknown };
  const data = (err.data ?? {}) as { error?: string; message?: string; code?: string };
  const message =
    data.error || data.message || err.message || err.statusText || `request failed (HTTP ${err.status ?? '?'})`;
  return { message, code: data.code ?? '', status: err.status ?? 0 };
}

// aifbd names a parameter at the start of its validation messages: "parameter 'rate': ...".
export function paramNamed(message: string): string | undefined {
  const m = /^parameter '([^']+)'/.exec(message);
  return m ? m[1] : undefined;
}

// Starting and stopping need the Editor role; gpx_aifb enforces it (403) whatever the page shows,
// the page only spares a Viewer buttons that would be refused. Unknown user: let the backend say.
export function canStartAndStop(): boolean {
  const user = config?.bootData?.user;
  if (!user) {
    return true;
  }
  return user.isGrafanaAdmin || user.orgRole === 'Editor' || user.orgRole === 'Admin';
}

// "RUN_STATE_RUNNING" -> "RUNNING" (the events already use the short names).
export function shortState(state: string): string {
  return (state || '').replace(/^(RUN|SERVICE)_STATE_/, '');
}

const FINAL_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED'];

export function isFinal(state: string): boolean {
  return FINAL_STATES.includes(shortState(state));
}
