import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const NO_IO = {
  group: ['node:*', 'fastify', '@kubernetes/*', 'systeminformation', 'prom-client', 'pino'],
  message: 'lib/ does no I/O.',
};

/** One no-restricted-imports block per zone: `files` may not import from any folder in `forbidden`, nor lib/ from server/. */
function importZones(zones) {
  return zones.map(([files, forbidden, why]) => {
    const folders = files.startsWith('lib/') ? [...forbidden, 'server'] : forbidden;
    // A folder is reached by its path from the root (lib/cluster/x.ts) or relatively (../cluster/x.ts).
    const regex = folders.map((f) => `(^|/)${f}/|^(\\.\\./)+${f.split('/').pop()}/`).join('|');
    const patterns = [{ regex, message: `${why}.` }];
    if (files.startsWith('lib/')) patterns.push(NO_IO);
    return { files: [files], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
}

export default defineConfig(
  // Plain JavaScript outside the TypeScript project: the config itself, the bin shim and the Node version guard.
  {
    ignores: [
      'dist/**',
      'coverage/**',
      '.tap/**',
      'node_modules/**',
      'test/e2e/.cache/**',
      'bin/**',
      'eslint.config.js',
      'scripts/*.js',
      '.scratch/**',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // The pure core: no I/O, no frameworks, no clock. Adapters import lib/, never the other way round.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pass the time in; lib/ has no clock.' },
        { object: 'Math', property: 'random', message: 'Pass randomness in; lib/ is deterministic.' },
      ],
    },
  },
  // One-way rooms. lib/core is shared by everything; the extender engine builds on core; the cluster state builds on
  // the engine; the agent's pure parts use core only. In server/, each adapter imports lib/ and server/common, never
  // another adapter: only the composition roots (server/extender, server/main.ts) wire them together.
  ...importZones([
    [
      'lib/core/**/*.ts',
      ['lib/extender', 'lib/cluster', 'lib/agent'],
      'lib/core is shared by every product and imports none of them',
    ],
    [
      'lib/extender/**/*.ts',
      ['lib/cluster', 'lib/agent'],
      'the extender engine imports neither the cluster state nor the agent',
    ],
    ['lib/cluster/**/*.ts', ['lib/agent'], 'the cluster state does not import the agent'],
    ['lib/agent/**/*.ts', ['lib/extender', 'lib/cluster'], 'the agent imports only lib/core'],
    [
      'server/common/**/*.ts',
      ['server/http', 'server/kube', 'server/agent', 'server/extender'],
      'server/common is shared by the adapters and imports none of them',
    ],
    [
      'server/http/**/*.ts',
      ['server/kube', 'server/agent', 'server/extender'],
      'server/http imports neither the Kubernetes side nor the agent',
    ],
    [
      'server/kube/**/*.ts',
      ['server/http', 'server/agent', 'server/extender'],
      'server/kube does not import the other adapters',
    ],
    [
      'server/agent/**/*.ts',
      ['server/http', 'server/kube', 'server/extender'],
      "the agent does not import the extender's adapters",
    ],
  ]),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests build client-node models from plain object literals; the rule rejects every one of them.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
);
