// Builds the browser test's host page (harness.tsx and everything it shares with the plugin) into
// e2e/dist/. The plugin itself is not part of this bundle: the page loads the built
// dist/module.js as Grafana would.
//
//   npx webpack -c e2e/webpack.config.js
const path = require('path');
const webpack = require('webpack');

module.exports = {
  context: __dirname,
  devtool: false,
  entry: { harness: './harness.tsx' },
  mode: 'development',
  module: {
    rules: [
      // @grafana/ui imports OpenLayers' ES modules without their extension.
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      {
        exclude: /node_modules/,
        test: /\.[tj]sx?$/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true, dynamicImport: true },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(png|jpe?g|gif|svg|woff2?|ttf|eot)$/, type: 'asset/resource' },
    ],
  },
  output: {
    clean: true,
    filename: '[name].js',
    path: path.join(__dirname, 'dist'),
    publicPath: '/harness/',
    uniqueName: 'aifb-test-host',
  },
  performance: { hints: false },
  // One file: the page needs no chunk loading of its own (lazy parts of @grafana/ui come along).
  plugins: [new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 })],
  resolve: {
    // Grafana sets the page chrome with setPluginPage, which @grafana/runtime 13 no longer exports:
    // the host reaches the module that holds PluginPage (the one its index re-exports) directly.
    alias: {
      'grafana-runtime-plugin-page$': path.join(
        __dirname,
        '..',
        'node_modules/@grafana/runtime/dist/esm/components/PluginPage.mjs'
      ),
    },
    extensions: ['.js', '.jsx', '.ts', '.tsx', '.mjs'],
  },
  stats: 'errors-warnings',
};
