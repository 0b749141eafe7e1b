import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseBackend } from './backend.ts';

// Node has no WebGPU, no WebGL and (for this test) no WebAssembly: only cpu is available.
const fast = { scope: {}, perBackendMs: 60, totalBudgetMs: 400, batch: 8 } as const;

describe('chooseBackend (node: cpu only)', () => {
  it('measures what it can, notes why the rest is unavailable, and leaves cpu active', async () => {
    const choice = await chooseBackend(fast);
    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.selfTestPassed).toBe(true);
    expect(choice.selfTestDetail).toMatch(/checks ok/);
    expect(choice.samplesPerSec).toBeGreaterThan(0);
    expect(choice.measurements.map((x) => [x.backend, x.available])).toEqual([
      ['webgpu', false],
      ['webgl', false],
      ['wasm', false],
      ['cpu', true],
    ]);
    expect(choice.measurements[0]?.note).toContain('navigator.gpu is missing');
    expect(choice.reason).toMatch(/^cpu: [\d,]+ samples\/s, the only backend measured; webgpu not used: navigator.gpu/);
    expect(choice.adapter).toBe('');
  });

  it('honours an override that works', async () => {
    const choice = await chooseBackend({ ...fast, override: 'cpu' });
    expect(choice).toMatchObject({ backend: 'cpu', reason: 'forced by ?backend=cpu', selfTestPassed: true });
    expect(choice.measurements[0]).toMatchObject({ backend: 'cpu', available: true });
    expect(choice.measurements.slice(1).map((x) => x.note)).toEqual(Array(3).fill('not measured: forced by ?backend=cpu'));
  });

  it('falls back, with the reason, when the override is unavailable', async () => {
    const choice = await chooseBackend({ ...fast, override: 'webgpu' });
    expect(choice.backend).toBe('cpu');
    expect(choice.reason).toMatch(/^\?backend=webgpu not usable \(navigator.gpu is missing.*\); cpu: /);
  });

  it('does not throw when an available backend fails to initialise', async () => {
    // WebAssembly exists in Node, so wasm is "available"; its binaries are at Vite URLs Node cannot load.
    const choice = await chooseBackend({ ...fast, scope: { WebAssembly }, candidates: ['wasm', 'cpu'] });
    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.measurements[0]).toMatchObject({ backend: 'wasm', available: true, samplesPerSec: null });
    expect(choice.measurements[0]?.note).toMatch(/^initialisation (failed|threw)/);
  });

  it('records a backend that fails the self-test, and frees it while keeping it registered', async () => {
    let disposed = 0;
    class BrokenGpu extends tf.KernelBackend {
      override dispose(): void {
        disposed++;
      }
    }
    tf.registerBackend('webgl', () => new BrokenGpu());
    try {
      const gl = { getExtension: () => null, getParameter: () => 'Some GPU' };
      const scope = { OffscreenCanvas: class { getContext = (): unknown => gl; } };
      const choice = await chooseBackend({ ...fast, scope, candidates: ['webgl', 'cpu'] });
      expect(choice.backend).toBe('cpu');
      expect(choice.measurements[0]).toMatchObject({ backend: 'webgl', available: true, samplesPerSec: null });
      expect(choice.measurements[0]?.note).toMatch(/^self-test failed: self-test threw: /);
      expect(disposed).toBe(1);
      expect('webgl' in tf.engine().registry).toBe(false);
      expect('webgl' in tf.engine().registryFactory).toBe(true);
    } finally {
      tf.removeBackend('webgl');
    }
  });
});
