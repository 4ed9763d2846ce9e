/*
 * Production build of the plugin, following the layout @grafana/create-plugin scaffolds
 * (webpack 5 + swc, AMD output, Grafana's shared packages as externals), as plain CommonJS so it
 * runs without ts-node, and with only the loaders this plugin needs.
 */
const fs = require('node:fs');
const path = require('node:path');
const webpack = require('webpack');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const ROOT = path.resolve(__dirname, '..');
const SOURCE_DIR = path.join(ROOT, 'src');
const DIST_DIR = path.join(ROOT, 'dist');
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const pluginJson = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'plugin.json'), 'utf8'));

/** Shared with Grafana at runtime (the list create-plugin's externals use). */
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
  /^@grafana\/i18n/i,
  /^@grafana\/schema/i,
];

/** plugin.json placeholders (%VERSION%, %TODAY%) filled at build time, as create-plugin does. */
class PluginJsonPlaceholders {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('PluginJsonPlaceholders', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'PluginJsonPlaceholders', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONS },
        () => {
          const asset = compilation.getAsset('plugin.json');
          if (!asset) return;
          const text = asset.source
            .source()
            .toString()
            .replace(/%VERSION%/g, packageJson.version)
            .replace(/%TODAY%/g, new Date().toISOString().slice(0, 10))
            .replace(/%PLUGIN_ID%/g, pluginJson.id);
          const json = { ...JSON.parse(text), buildMode: compilation.options.mode };
          compilation.updateAsset('plugin.json', new webpack.sources.RawSource(`${JSON.stringify(json, null, 2)}\n`));
        },
      );
    });
  }
}

module.exports = (env = {}) => {
  const production = Boolean(env.production);
  return {
    context: SOURCE_DIR,
    devtool: production ? 'source-map' : 'eval-source-map',
    entry: { module: './module.ts' },
    externals,
    mode: production ? 'production' : 'development',
    module: {
      rules: [
        {
          test: /\.[cm]?[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                target: 'es2020',
                parser: { syntax: 'typescript', tsx: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
      ],
    },
    optimization: { minimize: production },
    output: {
      clean: true,
      filename: '[name].js',
      library: { type: 'amd' },
      path: DIST_DIR,
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
    },
    performance: { hints: false },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'plugin.json', to: '.' },
          { from: '../README.md', to: '.' },
          { from: 'img', to: 'img' },
          { from: 'dashboards', to: 'dashboards' },
        ],
      }),
      new PluginJsonPlaceholders(),
    ],
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'],
      // Core is ESM with explicit ".js" specifiers that name its compiled files.
      extensionAlias: { '.js': ['.js', '.ts'] },
    },
  };
};
