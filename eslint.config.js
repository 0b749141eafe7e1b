// Flat ESLint config. Architecture rules live here so that layering is checked by a tool, not a reviewer.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const NO_DOM_GLOBALS = ['window', 'document', 'navigator', 'RTCPeerConnection', 'localStorage', 'location'].map(
  (name) => ({ name, message: 'Pure layers know nothing of the DOM: pass what you need in as data.' }),
);
const NO_TIMERS = [
  { name: 'setTimeout', message: 'Pure layers have no timers: time arrives as an event field.' },
  { name: 'setInterval', message: 'Pure layers have no timers: time arrives as an event field.' },
];
const NO_CLOCK = [
  { object: 'Date', property: 'now', message: 'Pure layers read no clock: time arrives as an event field.' },
  { object: 'performance', property: 'now', message: 'Pure layers read no clock: time arrives as an event field.' },
];
const pattern = (group, message) => ({ group, message });
const PEERJS = pattern(['peerjs', 'peer'], 'Only src/transport/ may import peerjs.');
const TFJS = pattern(['@tensorflow/*'], 'This layer must not touch tfjs: pass plain arrays.');
const upper = (folders) =>
  pattern(
    folders.flatMap((f) => [`**/${f}/*`, `**/${f}`]),
    `Import direction: this layer may not import from ${folders.join(', ')}.`,
  );

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'public/**', 'bench-results/**', 'test-results/**', 'playwright-report/**', '.swarm/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [PEERJS] }],
    },
  },
  // This file is plain JS: lint it without type information.
  { files: ['eslint.config.js'], extends: [tseslint.configs.disableTypeChecked] },
  {
    files: ['src/core/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS, ...NO_TIMERS],
      'no-restricted-properties': ['error', ...NO_CLOCK],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PEERJS, upper(['protocol', 'transport', 'compute', 'roles', 'platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PEERJS, TFJS, upper(['transport', 'compute', 'roles', 'platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/transport/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [TFJS, upper(['compute', 'roles', 'platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/compute/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS],
      'no-restricted-imports': ['error', { patterns: [PEERJS, upper(['transport', 'roles', 'platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/roles/**/reducer*.ts', 'src/roles/**/state.ts', 'src/roles/**/plan*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS, ...NO_TIMERS],
      'no-restricted-properties': ['error', ...NO_CLOCK],
      'no-restricted-imports': ['error', { patterns: [PEERJS, TFJS, upper(['transport', 'compute', 'platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/roles/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PEERJS, upper(['platform', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/ui/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PEERJS, TFJS, upper(['transport', 'compute', 'platform', 'app', 'testing'])] }],
    },
  },
  {
    files: ['src/platform/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PEERJS, upper(['roles', 'ui', 'app', 'testing'])] }],
    },
  },
  {
    // Transport tests drive PeerJS links through fakes typed as PeerJS's own classes.
    files: ['src/transport/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [TFJS] }] },
  },
  {
    files: ['server/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
