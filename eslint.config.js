import js from '@eslint/js';
import tseslint from 'typescript-eslint';

import { builtinModules } from 'node:module';
import path from 'node:path';

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
 * The layers. Product (src/): entry points (bin/) → processes (cli/, worker/, client/, listener/, codec-server/)
 * → tdg/, platform/ → contract/. Development tooling (tooling/) sits above the product and is
 * never imported by it: the embedded stack and the native cluster → the simulator → the product.
 * Each folder names the folders (from the project root) it may import; any other `../` import
 * fails lint. tooling/bench/ and test/ may import anything.
 */
const LAYERS = {
  'src/bin': ['src/cli', 'src/codec-server', 'src/listener', 'src/platform', 'src/security', 'src/worker'],
  'src/cli': ['src/client', 'src/contract', 'src/platform'],
  'src/worker': ['src/contract', 'src/nexus', 'src/platform', 'src/tdg', 'activities'],
  // The Nexus handler answers through the typed client, so a Nexus caller and a service get one truth.
  'src/nexus': ['src/client', 'src/contract', 'src/platform'],
  'src/client': ['src/contract', 'src/platform'],
  'src/listener': ['src/contract', 'src/platform'],
  'src/codec-server': ['src/platform'],
  'src/tdg': ['src/contract'],
  'src/security': ['src/contract', 'src/platform'],
  'src/platform': ['src/contract'],
  'src/platform/env': ['src/platform', 'src/contract'],
  'tooling/bin': [
    'tooling/cluster',
    'tooling/docs',
    'tooling/kubernetes',
    'tooling/simulator',
    'tooling/stack',
    'src/platform',
  ],
  'tooling/cluster': ['tooling/stack', 'src/contract', 'src/platform', 'src/security', 'src/worker'],
  'tooling/stack': [
    'tooling/simulator',
    'src/cli',
    'src/client',
    'src/codec-server',
    'src/contract',
    'src/listener',
    'src/platform',
    'src/worker',
  ],
  'tooling/simulator': ['src/contract', 'src/platform'],
  'tooling/docs': ['tooling/stack', 'src/cli', 'src/platform'],
  'tooling/kubernetes': ['src/platform'],
};
const escape = (text) => text.replace(/[.]/g, '\\.');
const layers = Object.entries(LAYERS).map(([folder, allowed]) => {
  // `../` alone (a parent folder's own modules) must not let `../../` through.
  const prefixes = allowed
    .map((target) => path.posix.relative(folder, target))
    .map((rel) => (/^(\.\.\/?)+$/.test(rel) ? `${escape(rel)}/(?!\\.\\./)` : `${escape(rel)}/`));
  return {
    files: [`${folder}/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!(?:${prefixes.join('|')}))\\.\\./`,
              message: `${folder}/ imports from ${allowed.map((name) => `${name}/`).join(', ')} only: arrows point from tooling to entry points to processes to tdg/platform to contract, never back or sideways.`,
            },
          ],
        },
      ],
    },
  };
});
/** The product never reaches into development tooling. */
const noTooling = {
  regex: '(^|/)tooling/',
  message: 'Product code (src/, workflows/, activities/) never imports development tooling (tooling/).',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'packages/*/dist/', '.tools/', '.data/', 'tooling/bench/results/'] },
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
    files: ['workflows/**/*.ts', 'src/contract/**/*.ts', 'tooling/bench/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...sandboxRestrictions, onlyContract, noTooling] }],
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
    // The job's state changes by the named transitions of job-state.ts only (its fields are read-only
    // too; this also catches a cast that strips that).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/job-state.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "AssignmentExpression > MemberExpression.left[object.property.name='state'], UpdateExpression > MemberExpression[object.property.name='state'], AssignmentExpression > MemberExpression.left[object.name='job']",
          message: 'A job state changes by a transition of workflows/job-state.ts, never by assignment.',
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [upwardImports, tdgTypesOnly, noTooling] }] },
  },
  {
    // Plain JavaScript: this file, and the launcher that must start before TypeScript can be compiled.
    files: ['eslint.config.js', 'tooling/bin/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
