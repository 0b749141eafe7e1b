import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const page = (name: string): string => resolve(import.meta.dirname, name);

// One config for the app build and for Vitest (unit tiers run in Node; e2e is Playwright).
export default defineConfig({
  root: '.',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    target: 'es2022',
    // tfjs and its backends are large by nature; the warning would only be noise.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      // The app, plus pages that the e2e tests and the benchmark runner drive.
      input: {
        index: page('index.html'),
        contract: page('contract.html'),
        backend: page('backend.html'),
        rogue: page('rogue.html'),
        benchTransport: page('bench-transport.html'),
        benchBackends: page('bench-backends.html'),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'server/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
