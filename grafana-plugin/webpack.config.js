// The build, after @grafana/create-plugin's webpack config (.config/webpack/webpack.config.ts),
// written in CommonJS so it runs on Node 20 without a TypeScript loader. It bundles src/module.tsx
// and src/datasource/module.ts as AMD modules (Grafana loads plugins with SystemJS's AMD
// support), leaves what Grafana provides at run time as externals, copies the plugin.json files,
// images and README with %VERSION% / %TODAY% / %PLUGIN_ID% filled in, and copies the backend
// executable beside plugin.json as gpx_aifb_linux_amd64 when it has been built.
//
//   npm run build                                   # backend from ../build/bin/gpx_aifb if present
//   npm run build -- --env gpx=/path/to/gpx_aifb    # or GPX_AIFB=/path/to/gpx_aifb npm run build
const fs = require('fs');
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');
const TerserPlugin = require('terser-webpack-plugin');
const VirtualModulesPlugin = require('webpack-virtual-modules');
const webpack = require('webpack');

const SOURCE_DIR = path.resolve(__dirname, 'src');
const DIST_DIR = path.resolve(__dirname, 'dist');
const pluginJson = require('./src/plugin.json');
const pluginVersion = require('./package.json').version;
const BACKEND_NAME = 'gpx_aifb_linux_amd64';

// Grafana resolves these for the plugin (create-plugin's bundler/externals.ts).
const externals = [
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  ({ request }, callback) => {
    const prefix = 'grafana/';
    if (request && request.indexOf(prefix) === 0) {
      return callback(undefined, request.slice(prefix.length));
    }
    callback();
  },
];

// Chunks load from wherever Grafana serves the plugin (a sub-path, a CDN): the AMD module's
// own URL says where, as in create-plugin.
const publicPath = new VirtualModulesPlugin({
  'node_modules/grafana-public-path.js': `
import amdMetaModule from 'amd-module';

__webpack_public_path__ =
  amdMetaModule && amdMetaModule.uri
    ? amdMetaModule.uri.slice(0, amdMetaModule.uri.lastIndexOf('/') + 1)
    : 'public/plugins/${pluginJson.id}/';
`,
});

function fillIn(content) {
  return content
    .toString()
    .replace(/%VERSION%/g, pluginVersion)
    .replace(/%TODAY%/g, new Date().toISOString().substring(0, 10))
    .replace(/%PLUGIN_ID%/g, pluginJson.id);
}

// Copies the C backend (built by the project's CMake) into dist/ after every build; without it
// the frontend still builds, and the build says the backend is missing.
class CopyBackendPlugin {
  constructor(from) {
    this.from = from;
  }
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyBackendPlugin', () => {
      const to = path.join(DIST_DIR, BACKEND_NAME);
      if (!fs.existsSync(this.from)) {
        console.warn(
          `backend: ${this.from} not found, dist/${BACKEND_NAME} not updated (build the gpx_aifb target first)`
        );
        return;
      }
      fs.copyFileSync(this.from, to);
      fs.chmodSync(to, 0o755);
      console.log(`backend: copied ${this.from} to dist/${BACKEND_NAME}`);
    });
  }
}

module.exports = (env = {}) => {
  const production = Boolean(env.production);
  const backend = path.resolve(
    typeof env.gpx === 'string'
      ? env.gpx
      : process.env.GPX_AIFB || path.join(__dirname, '..', 'build', 'bin', 'gpx_aifb')
  );
  return {
    context: SOURCE_DIR,
    devtool: production ? 'source-map' : 'eval-source-map',
    entry: {
      module: './module.tsx',
      'datasource/module': './datasource/module.ts',
    },
    externals,
    mode: production ? 'production' : 'development',
    module: {
      rules: [
        {
          // Must come first, or source maps break (create-plugin's note).
          test: /src\/(?:.*\/)?module\.tsx?$/,
          use: [{ loader: 'imports-loader', options: { imports: 'side-effects grafana-public-path' } }],
        },
        {
          exclude: /node_modules/,
          test: /\.[tj]sx?$/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                baseUrl: SOURCE_DIR,
                target: 'es2015',
                loose: false,
                parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        {
          test: /\.(png|jpe?g|gif|svg)$/,
          type: 'asset/resource',
          generator: { filename: production ? '[hash][ext]' : '[file]' },
        },
      ],
    },
    optimization: {
      minimize: production,
      minimizer: [new TerserPlugin({ terserOptions: { compress: { drop_console: ['log', 'info'] } } })],
    },
    output: {
      clean: { keep: /_(amd64|arm(64)?)(\.exe)?$/ },
      filename: '[name].js',
      chunkFilename: production ? '[name].js?_cache=[contenthash]' : '[name].js',
      library: { type: 'amd' },
      path: DIST_DIR,
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
      crossOriginLoading: 'anonymous',
    },
    performance: { hints: false },
    plugins: [
      publicPath,
      new webpack.BannerPlugin({
        banner: `/* plugin: ${pluginJson.id}@${pluginVersion} */`,
        raw: true,
        entryOnly: true,
      }),
      new CopyWebpackPlugin({
        patterns: [
          { from: 'README.md', to: '.', transform: fillIn },
          { from: 'plugin.json', to: '.', transform: fillIn },
          { from: 'datasource/plugin.json', to: 'datasource', transform: fillIn },
          { from: 'img', to: 'img' },
          { from: 'datasource/img', to: 'datasource/img' },
        ],
      }),
      new CopyBackendPlugin(backend),
    ],
    resolve: {
      extensions: ['.js', '.jsx', '.ts', '.tsx'],
      modules: [SOURCE_DIR, 'node_modules'],
    },
  };
};
