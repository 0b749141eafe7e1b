import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSelfTest, type Tf } from './self-test.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Runs the self-test with some tfjs functions replaced, as a broken backend would compute them. */
async function runBroken(replacements: Partial<Tf>): Promise<{ passed: boolean; detail: string; leaked: number }> {
  const before = tf.memory().numTensors;
  const result = await runSelfTest({ ...tf, ...replacements });
  return { ...result, leaked: tf.memory().numTensors - before };
}

describe('runSelfTest', () => {
  it('passes on the cpu backend and reports the worst error', async () => {
    const result = await runSelfTest(tf);
    expect(result.passed).toBe(true);
    expect(result.detail).toMatch(/^6 checks ok, max rel error \d\.\de[-+]\d+$/);
  });

  it('disposes every tensor it creates', async () => {
    await runSelfTest(tf); // first call may allocate backend-level caches
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await runSelfTest(tf);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fails on a wrong matmul and names the check', async () => {
    const matMul = ((a: tf.Tensor2D, b: tf.Tensor2D) => tf.add(tf.matMul(a, b), 1)) as Tf['matMul'];
    const result = await runBroken({ matMul });
    expect(result.passed).toBe(false);
    expect(result.detail).toMatch(/^matmul 3x3·3x2: error .* at \[0\] \(got 8, want 7\)$/);
    expect(result.leaked).toBe(0);
  });

  it('fails on a wrong gradient', async () => {
    const logSoftmax = ((z: tf.Tensor) => tf.mul(tf.logSoftmax(z), 1.01)) as Tf['logSoftmax'];
    const result = await runBroken({ logSoftmax });
    expect(result.passed).toBe(false);
    expect(result.detail).toContain('grad of softmax cross-entropy');
    expect(result.leaked).toBe(0);
  });

  it('fails on a half-precision overflow (Infinity)', async () => {
    const exp = ((x: tf.Tensor) => tf.mul(tf.exp(x), Infinity)) as Tf['exp'];
    const result = await runBroken({ exp });
    expect(result.passed).toBe(false);
    expect(result.detail).toContain('float32 range exp(12): non-finite value Infinity');
    expect(result.leaked).toBe(0);
  });

  it('fails, without throwing or leaking, when a kernel throws', async () => {
    const grad = (() => {
      throw new Error('kernel Foo not registered');
    }) as Tf['grad'];
    const result = await runBroken({ grad });
    expect(result).toEqual({ passed: false, detail: 'self-test threw: kernel Foo not registered', leaked: 0 });
  });
});
