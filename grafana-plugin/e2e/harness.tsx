// The browser test's stand-in for Grafana's frontend: what a plugin page needs from its host and
// nothing more. It provides the modules Grafana shares with plugins (React, react-router, the
// real @grafana/data, @grafana/ui and @grafana/runtime), fills @grafana/runtime in as Grafana's
// boot does (boot data, a BackendSrv speaking HTTP to the host's /api, the page chrome, the
// location helpers), then loads the built dist/module.js with a small AMD loader, as Grafana's
// SystemJS does, and renders the app's root page at /a/aifb-controlplane-app/.
//
// The host (tests/grafanahost.py) serves this page for every /a/<app>/ path, with
// window.grafanaBootData written in before this script runs, and answers
// /api/plugins/<app>/resources/* by calling the real gpx_aifb.
import React, { useEffect, useState } from 'react';
import * as ReactAll from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactDOMAll from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as ReactRouter from 'react-router';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router-dom';
import * as emotionCss from '@emotion/css';
import * as rxjs from 'rxjs';
import * as grafanaData from '@grafana/data';
import * as grafanaUi from '@grafana/ui';
import * as grafanaRuntime from '@grafana/runtime';
// @ts-expect-error: an alias of e2e/webpack.config.js, to the module that holds PluginPage
import { setPluginPage } from 'grafana-runtime-plugin-page';

const { Observable, lastValueFrom } = rxjs;
const { PluginContextProvider, ThemeContext, createTheme, locationUtil } = grafanaData;
const { config, setBackendSrv } = grafanaRuntime;

const APP_ID = 'aifb-controlplane-app';
const PLUGIN_URL = `/public/plugins/${APP_ID}/`;

// --- BackendSrv: relative URLs resolve against the app's sub-path, errors reject as FetchError.
function fetchObservable(options: any): any {
  return new Observable((subscriber: any) => {
    const controller = new AbortController();
    let url: string = options.url;
    if (!/^https?:\/\//.test(url) && !url.startsWith('/')) {
      url = `${config.appSubUrl || ''}/${url}`;
    }
    if (options.params && Object.keys(options.params).length) {
      url += (url.includes('?') ? '&' : '?') + new URLSearchParams(options.params).toString();
    }
    const method = (options.method || 'GET').toUpperCase();
    const init: RequestInit = {
      method,
      headers: { Accept: 'application/json', 'X-Grafana-Org-Id': '1', ...(options.headers || {}) },
      credentials: 'same-origin',
      signal: controller.signal,
    };
    if (options.data !== undefined && method !== 'GET') {
      init.body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    fetch(url, init)
      .then(async (res) => {
        const text = await res.text();
        let data: unknown = text;
        try {
          data = text ? JSON.parse(text) : {};
        } catch {
          // not JSON: kept as text, as Grafana does
        }
        const response = {
          data,
          status: res.status,
          statusText: res.statusText,
          ok: res.ok,
          headers: res.headers,
          redirected: res.redirected,
          type: res.type,
          url: res.url,
          config: options,
        };
        if (!res.ok) {
          subscriber.error({ status: res.status, statusText: res.statusText, data, config: options });
          return;
        }
        subscriber.next(response);
        subscriber.complete();
      })
      .catch((e) => subscriber.error({ status: 0, statusText: String(e), data: {}, config: options }));
    return () => controller.abort();
  });
}

const backendSrv: any = {
  fetch: fetchObservable,
  chunked: fetchObservable,
  request: (options: any) => lastValueFrom(fetchObservable(options)).then((r: any) => r.data),
  datasourceRequest: (options: any) => lastValueFrom(fetchObservable(options)),
  get: (url: string, params?: any, requestId?: string, options?: any) =>
    backendSrv.request({ ...options, url, params, requestId, method: 'GET' }),
  delete: (url: string, data?: unknown, options?: any) =>
    backendSrv.request({ ...options, url, data, method: 'DELETE' }),
  post: (url: string, data?: unknown, options?: any) => backendSrv.request({ ...options, url, data, method: 'POST' }),
  put: (url: string, data?: unknown, options?: any) => backendSrv.request({ ...options, url, data, method: 'PUT' }),
  patch: (url: string, data?: unknown, options?: any) => backendSrv.request({ ...options, url, data, method: 'PATCH' }),
};

// --- Page chrome: Grafana's PluginPage draws the title and the page's navigation.
function HostPluginPage({ children, pageNav, actions, subTitle }: any) {
  return (
    <div className="page-body" data-testid="plugin-page">
      {pageNav?.text && <h1>{pageNav.text}</h1>}
      {subTitle && <div>{subTitle}</div>}
      {actions && <div>{actions}</div>}
      {children}
    </div>
  );
}

// --- The AMD loader: Grafana loads plugins with SystemJS's AMD support.
const shared: Record<string, unknown> = {
  react: ReactAll,
  'react/jsx-runtime': jsxRuntime,
  'react-dom': ReactDOMAll,
  'react-router': ReactRouter,
  '@emotion/css': emotionCss,
  rxjs,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
};

function loadAmdModule(uri: string): Promise<any> {
  return new Promise((resolve, reject) => {
    (window as any).define = (deps: string[], factory: (...args: unknown[]) => unknown) => {
      delete (window as any).define;
      try {
        const args = deps.map((d) => {
          if (d === 'module') {
            return { uri };
          }
          if (!(d in shared)) {
            throw new Error(`the plugin needs '${d}', which Grafana does not share`);
          }
          return shared[d];
        });
        resolve(factory(...args));
      } catch (e) {
        reject(e);
      }
    };
    (window as any).define.amd = true;
    const script = document.createElement('script');
    script.src = uri;
    script.onerror = () => reject(new Error(`could not load ${uri}`));
    document.head.appendChild(script);
  });
}

// --- The app's root page, rendered as Grafana's AppRootPage does.
function AppRoot({ plugin, meta }: { plugin: any; meta: any }) {
  const location = useLocation();
  const Root = plugin.root;
  const basename = `/a/${APP_ID}`;
  return (
    <PluginContextProvider meta={meta}>
      <Root
        meta={meta}
        basename={basename}
        path={location.pathname}
        query={Object.fromEntries(new URLSearchParams(location.search))}
        onNavChanged={() => {}}
      />
    </PluginContextProvider>
  );
}

function Host() {
  const [state, setState] = useState<{ plugin?: any; meta?: any; error?: string }>({});
  useEffect(() => {
    Promise.all([loadAmdModule(`${PLUGIN_URL}module.js`), fetch(`${PLUGIN_URL}plugin.json`).then((r) => r.json())])
      .then(([mod, json]) => {
        const meta = { ...json, enabled: true, jsonData: {}, baseUrl: PLUGIN_URL.slice(0, -1), module: 'module.js' };
        setState({ plugin: mod.plugin, meta });
      })
      .catch((e) => setState({ error: String(e?.stack || e) }));
  }, []);
  if (state.error) {
    return <pre data-testid="host-error">{state.error}</pre>;
  }
  if (!state.plugin) {
    return <div>Loading the plugin…</div>;
  }
  // Grafana mounts an app's root page under the route /a/<id>/*: the app's own routes are
  // relative to it.
  return (
    <Routes>
      <Route path={`/a/${APP_ID}/*`} element={<AppRoot plugin={state.plugin} meta={state.meta} />} />
    </Routes>
  );
}

locationUtil.initialize({
  config,
  getTimeRangeForUrl: () => ({ from: 'now-1h', to: 'now' }),
  getVariablesUrlParams: () => ({}),
});
setBackendSrv(backendSrv);
setPluginPage(HostPluginPage);

const theme = createTheme({ colors: { mode: 'light' } });
const { GlobalStyles } = grafanaUi as any;
createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    {GlobalStyles && <GlobalStyles />}
    <BrowserRouter>
      <Host />
    </BrowserRouter>
  </ThemeContext.Provider>
);
void React;
