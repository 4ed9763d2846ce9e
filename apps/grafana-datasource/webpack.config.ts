/*
 * The plugin's build: create-plugin's standard config (.config/webpack/webpack.config.ts, managed by
 * `npx @grafana/create-plugin@latest update`), extended the way create-plugin documents, with what
 * this workspace needs on top.
 */
import path from 'node:path';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config';

const CORE_SRC = path.resolve(__dirname, '../../packages/core/src');

type SwcRule = { use?: { loader?: string; options?: { jsc?: Record<string, unknown> } } };

const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig(env);
  // JSX without `import React` (React's automatic runtime, like `tsc --jsx react-jsx`).
  for (const rule of (base.module?.rules ?? []) as SwcRule[]) {
    const jsc = rule?.use?.loader === 'swc-loader' ? rule.use.options?.jsc : undefined;
    if (jsc) jsc.transform = { react: { runtime: 'automatic' } };
  }
  return merge(base, {
    // Webpack's build cache is rebuilt when this file changes too, not only create-plugin's config.
    cache: { type: 'filesystem', buildDependencies: { config: [__filename] } },
    resolve: {
      // Core is bundled from its TypeScript sources, so the source map names files of this repository
      // (packages/core/src/…) and carries their exact text, as Grafana's plugin validator requires.
      alias: {
        '@wecom-kf-stats/core/internal$': path.join(CORE_SRC, 'internal.ts'),
        '@wecom-kf-stats/core/server-api$': path.join(CORE_SRC, 'server-api.ts'),
        '@wecom-kf-stats/core$': path.join(CORE_SRC, 'index.ts'),
      },
      // Core's sources import each other with the ".js" specifiers of its compiled files.
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
  });
};

export default config;
