// One lint setup for the workspace: typescript-eslint's recommended rules, import cycles refused,
// n8n's community-node rules for the n8n package, and Prettier owning the layout.
import n8nCommunityNodes from '@n8n/eslint-plugin-community-nodes';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/.vitest-report.json',
      'apps/n8n-nodes/.n8n-real/**',
      'demo-output/**',
      'bench/results/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts}'],
    plugins: { 'import-x': importX },
    languageOptions: { globals: { ...globals.node } },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } } },
    rules: {
      // One module graph without cycles: a cycle hides which module owns a rule.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Node-RED's own idiom for a node's constructor (`const node = this`), kept for its closures.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // n8n's own rules for community nodes, on the node and credential sources.
    files: ['apps/n8n-nodes/nodes/**/*.ts', 'apps/n8n-nodes/credentials/**/*.ts'],
    ...n8nCommunityNodes.configs.recommended,
  },
  prettier,
);
