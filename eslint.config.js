import js from '@eslint/js';
import tseslint from 'typescript-eslint';

import { builtinModules } from 'node:module';

/** Every Node built-in, bare and `node:`-prefixed, with subpaths (fs/promises): none runs in the workflow sandbox. */
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)].flatMap((name) => [
  name,
  `${name}/*`,
]);

const sandboxRestrictions = [
  { group: nodeBuiltins, message: 'Workflow-sandbox code must not import Node built-ins.' },
  {
    group: ['node-fetch', 'fastify', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
    message: 'Not in workflow-sandbox code.',
  },
];

/** workflows/ and activities/ reach into src/ only through src/contract/ (the TDG client's types excepted). */
const upwardImports = {
  regex: '(^|/)src/(?!contract/|tdg/)',
  message: 'Import shared definitions from src/contract/ only: arrows point from src/ to here, not back.',
};
const onlyContract = {
  regex: '(^|/)src/(?!contract/)',
  message: 'Workflow-sandbox code imports from src/contract/ only.',
};
const tdgTypesOnly = {
  regex: '(^|/)src/tdg/',
  allowTypeImports: true,
  message: 'Activities take the TDG client as a dependency: import its types only.',
};

/**
 * The layers of src/: entry points (bin/) → the embedded stacks (cluster/, dev/) → processes (cli/,
 * worker/, client/, listener/, simulator/) → tdg/, platform/ → contract/. Each folder names the
 * folders it may import (relative to src/); any other `../folder/` import fails lint.
 */
const LAYERS = {
  cluster: ['contract', 'dev', 'platform', 'worker'],
  dev: ['cli', 'client', 'contract', 'listener', 'platform', 'simulator', 'worker'],
  cli: ['client', 'contract', 'platform'],
  worker: ['contract', 'platform', 'tdg', '../activities'],
  client: ['contract', 'platform'],
  listener: ['contract', 'platform'],
  simulator: ['contract', 'platform'],
  tdg: ['contract'],
  platform: ['contract'],
};
const escape = (text) => text.replace(/[.]/g, '\\.');
const layerRule = (folder, allowed, up = '\\.\\./') => ({
  regex: `^${up}(?!(?:${allowed.map(escape).join('|')})/)`,
  message: `src/${folder}/ imports from ${allowed.map((name) => `${name.replace('../', '')}/`).join(', ')} only: arrows point from entry points to processes to tdg/platform to contract, never back or sideways.`,
});
const layers = Object.entries(LAYERS).map(([folder, allowed]) => ({
  files: [`src/${folder}/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns: [layerRule(folder, allowed)] }] },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'packages/*/dist/', '.tools/', '.data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    // Temporal's deterministic sandbox: no Node APIs, no activity implementations.
    files: ['workflows/**/*.ts', 'src/contract/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...sandboxRestrictions, onlyContract] }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...sandboxRestrictions,
            onlyContract,
            // The layer every side shares: a relative import may not leave it for another folder.
            {
              regex: '^\\.\\.(/(?!contract(/|$))|$)',
              message: 'src/contract/ imports from no other folder of src/: the others import from it.',
            },
          ],
        },
      ],
    },
  },
  ...layers,
  {
    // platform/env/ is platform: it may use platform's own modules (`../`), and contract.
    files: ['src/platform/env/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [layerRule('platform', ['contract'], '\\.\\./\\.\\./')] },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [upwardImports, tdgTypesOnly] }] },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
