import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHashedAsset } from './static-files.ts';

describe('isHashedAsset', () => {
  const root = join('/srv', 'dist');
  it('is true for Vite-hashed files under assets/', () => {
    expect(isHashedAsset(root, join(root, 'assets', 'index-D1x_9aBc.js'))).toBe(true);
    expect(isHashedAsset(root, join(root, 'assets', 'tfjs-backend-wasm-simd-Bq3ZzX01.wasm'))).toBe(true);
  });
  it('is false for index.html, unhashed names and files outside assets/', () => {
    expect(isHashedAsset(root, join(root, 'index.html'))).toBe(false);
    expect(isHashedAsset(root, join(root, 'assets', 'logo.svg'))).toBe(false);
    expect(isHashedAsset(root, join(root, 'data', 'mnist-AbCdEfGh.bin'))).toBe(false);
  });
});
