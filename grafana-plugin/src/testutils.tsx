// What every page test shares: Grafana's backend service replaced by jest functions (the pages'
// only way out), PluginPage reduced to its children, and a router placed where Grafana mounts
// the app, so links and navigation behave as under /a/aifb-controlplane-app/.
import React from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { render } from '@testing-library/react';

export const RES = 'api/plugins/aifb-controlplane-app/resources';

export const mockBackend = {
  get: jest.fn(),
  post: jest.fn(),
  fetch: jest.fn(),
};

// A FetchError as getBackendSrv() rejects with when gpx_aifb answers an error.
export function fetchError(status: number, error: string, code: string) {
  return { status, statusText: 'error', data: { error, code } };
}

// Answers GETs from a table of route -> body (or an Error-like FetchError to reject with).
export function answerGets(table: Record<string, unknown>) {
  mockBackend.get.mockImplementation((url: string) => {
    const route = url.replace(`${RES}/`, '');
    if (!(route in table)) {
      return Promise.reject(fetchError(404, `no route ${route} in the test`, 'NOT_FOUND'));
    }
    const v = table[route];
    return v && typeof v === 'object' && 'status' in (v as object) && 'data' in (v as object)
      ? Promise.reject(v)
      : Promise.resolve(v);
  });
}

// React Router 7's behaviour, which Grafana turns on too; it also keeps the tests' output quiet.
export const ROUTER_FUTURE = { v7_startTransition: true, v7_relativeSplatPath: true };

function Where() {
  const loc = useLocation();
  return <div data-testid="location">{loc.pathname}</div>;
}

// Renders `element` at `path` (relative to the app) with the app's route pattern `pattern`.
export function renderAt(element: React.ReactElement, path: string, pattern = path) {
  const base = '/a/aifb-controlplane-app';
  return render(
    <MemoryRouter initialEntries={[`${base}/${path}`]} future={ROUTER_FUTURE}>
      <Routes>
        <Route path={`${base}/${pattern}`} element={element} />
        <Route path="*" element={<Where />} />
      </Routes>
    </MemoryRouter>
  );
}

// Grafana's boot data: the signed-in user's role (tests change it to play a Viewer).
export const mockConfig = { bootData: { user: { orgRole: 'Editor', isGrafanaAdmin: false } } };

export function pluginPageMock() {
  return {
    config: mockConfig,
    getBackendSrv: () => mockBackend,
    PluginPage: ({ children }: { children: React.ReactNode }) => <div>{children}</div>,
  };
}

export const RUNNING_RUN = {
  id: 'r-3fa09c1d22be',
  recipe: 'llm-sim',
  state: 'RUN_STATE_RUNNING',
  params: [{ name: 'rate', value: '30' }],
  service_id: '',
  reason: '',
  created_at_ms: 1790000000000,
  updated_at_ms: 1790000005000,
  ended_at_ms: 0,
  executor: 'local',
  summary: [],
  exit_code: 0,
  endpoint: '127.0.0.1:8000',
};

export const DONE_RUN = {
  ...RUNNING_RUN,
  id: 'r-000000000001',
  state: 'RUN_STATE_SUCCEEDED',
  ended_at_ms: 1790000060000,
  reason: 'the client finished',
  summary: [
    { name: 'ttft_p50_ms', value: 51.25, unit: 'ms' },
    { name: 'throughput_tokens_per_s', value: 1234, unit: 'tokens/s' },
  ],
};

// A long-lived llm-sim service, ready, as aifbd lists it.
export const READY_SERVICE = {
  id: 's-0c1d2e3f4a5b',
  recipe: 'llm-sim',
  state: 'SERVICE_STATE_READY',
  params: [],
  endpoint: '127.0.0.1:8001',
  reason: '',
  created_at_ms: 1790000000000,
  ended_at_ms: 0,
  executor: 'local',
};

export const LLM_SIM = {
  summary: {
    name: 'llm-sim',
    description: 'LLM load against the simulator',
    kind: 'benchmark',
    has_service: true,
    has_client: true,
  },
  params: [
    {
      name: 'rate',
      type: 'PARAM_TYPE_FLOAT',
      default_value: '10',
      required: false,
      has_min: true,
      min: 0.1,
      has_max: true,
      max: 1000,
      choices: [],
      description: 'requests per second',
      unit: 'req/s',
    },
    {
      name: 'requests',
      type: 'PARAM_TYPE_INT',
      default_value: '',
      required: true,
      has_min: true,
      min: 1,
      has_max: false,
      max: 0,
      choices: [],
      description: 'how many requests',
      unit: '',
    },
    {
      name: 'workload',
      type: 'PARAM_TYPE_ENUM',
      default_value: 'chat',
      required: false,
      has_min: false,
      min: 0,
      has_max: false,
      max: 0,
      choices: ['chat', 'completion'],
      description: '',
      unit: '',
    },
    {
      name: 'stream',
      type: 'PARAM_TYPE_BOOL',
      default_value: 'true',
      required: false,
      has_min: false,
      min: 0,
      has_max: false,
      max: 0,
      choices: [],
      description: 'stream tokens',
      unit: '',
    },
  ],
};
