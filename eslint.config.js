import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Plain JavaScript outside the TypeScript project: the config itself, the bin shim and the Node version guard.
  { ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'test/e2e/.cache/**', 'bin/**', 'eslint.config.js', 'scripts/*.js', '.scratch/**'] },
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
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../server/*', '../../server/*', '**/server/**'], message: 'lib/ is the pure core; it must not import adapters.' },
          { group: ['node:*', 'fastify', '@kubernetes/*', 'systeminformation', 'prom-client'], message: 'lib/ does no I/O.' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Pass the time in; lib/ has no clock.' },
        { object: 'Math', property: 'random', message: 'Pass randomness in; lib/ is deterministic.' },
      ],
    },
  },
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
