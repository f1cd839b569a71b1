// The built plugin as Grafana loads it: dist/module.js and dist/datasource/module.js are AMD
// modules whose dependencies are only modules Grafana provides to plugins, and evaluating them
// yields the app and data source plugins. Needs a build first (run-tests.sh builds before it).
import fs from 'fs';
import path from 'path';
import { AppPlugin, DataSourcePlugin } from '@grafana/data';

const DIST = path.resolve(__dirname, '..', 'dist');

// What Grafana's plugin loader resolves for a plugin (the externals of create-plugin's bundler).
const PROVIDED = [
  'module',
  'react',
  'react-dom',
  'react/jsx-runtime',
  'react-router',
  'rxjs',
  'lodash',
  'moment',
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
];

function loadAmd(file: string): { deps: string[]; exports: Record<string, unknown> } {
  const full = path.join(DIST, file);
  if (!fs.existsSync(full)) {
    throw new Error(`${full} is missing: run "npm run build" first`);
  }
  let deps: string[] = [];
  let exports: Record<string, unknown> = {};
  const define = (d: string[], factory: (...mods: unknown[]) => Record<string, unknown>) => {
    deps = d;
    exports = factory(
      ...d.map((m) => (m === 'module' ? { uri: `public/plugins/aifb-controlplane-app/${file}` } : require(m)))
    );
  };
  new Function('define', fs.readFileSync(full, 'utf8'))(define);
  return { deps, exports };
}

describe('dist/', () => {
  test('module.js is an AMD module giving the app plugin with its configuration page', () => {
    const { deps, exports } = loadAmd('module.js');
    expect(deps.filter((d) => !PROVIDED.includes(d))).toEqual([]);
    const plugin = exports.plugin as AppPlugin;
    expect(plugin).toBeInstanceOf(AppPlugin);
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((p) => p.id)).toEqual(['configuration']);
  });

  test('datasource/module.js is an AMD module giving the data source with its editors', () => {
    const { deps, exports } = loadAmd('datasource/module.js');
    expect(deps.filter((d) => !PROVIDED.includes(d))).toEqual([]);
    const plugin = exports.plugin as DataSourcePlugin<any>;
    expect(plugin).toBeInstanceOf(DataSourcePlugin);
    expect(plugin.components.QueryEditor).toBeDefined();
    expect(plugin.components.ConfigEditor).toBeDefined();
  });

  test('plugin.json files keep the ids and the backend executable', () => {
    const app = JSON.parse(fs.readFileSync(path.join(DIST, 'plugin.json'), 'utf8'));
    const ds = JSON.parse(fs.readFileSync(path.join(DIST, 'datasource', 'plugin.json'), 'utf8'));
    expect([app.id, app.type, app.backend, app.executable]).toEqual(['aifb-controlplane-app', 'app', true, 'gpx_aifb']);
    expect([ds.id, ds.type, ds.backend, ds.executable]).toEqual([
      'aifb-controlplane-datasource',
      'datasource',
      true,
      '../gpx_aifb',
    ]);
    expect(
      app.includes.filter((i: { type: string }) => i.type === 'page').map((i: { path: string }) => i.path)
    ).toEqual([
      '/a/aifb-controlplane-app/runs',
      '/a/aifb-controlplane-app/recipes',
      '/a/aifb-controlplane-app/services',
      '/plugins/aifb-controlplane-app',
    ]);
    expect(fs.existsSync(path.join(DIST, app.info.logos.small))).toBe(true);
  });
});
