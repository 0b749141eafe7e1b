import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureTrainingThroughput } from './micro-bench.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A clock that advances `stepMs` on every read. */
const tickingClock = (stepMs: number): (() => number) => {
  let t = 0;
  return () => (t += stepMs) - stepMs;
};

describe('measureTrainingThroughput', () => {
  it('measures a positive rate on the cpu backend and disposes everything', async () => {
    const before = tf.memory().numTensors;
    const r = await measureTrainingThroughput(tf, { budgetMs: 100, batch: 16 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.steps).toBeGreaterThanOrEqual(2);
    expect(r.elapsedMs).toBeGreaterThan(0);
    expect(r.samplesPerSec).toBeCloseTo((r.steps * 16 * 1000) / r.elapsedMs, 6);
    expect(r.samplesPerSec).toBeGreaterThan(0);
  });

  it('times steps after the warm-up until the budget is spent', async () => {
    // Reads: warm-up start 0, warm-up end 10, timed start 20, then 30, 40, ... after each step.
    const r = await measureTrainingThroughput(tf, { budgetMs: 50, batch: 4, hidden: 8, now: tickingClock(10) });
    expect(r).toEqual({ warmupMs: 10, steps: 5, elapsedMs: 50, samplesPerSec: (5 * 4 * 1000) / 50 });
  });

  it('runs at least minSteps and at most maxSteps', async () => {
    const slow = await measureTrainingThroughput(tf, { budgetMs: 1, batch: 4, hidden: 8, minSteps: 3, now: tickingClock(100) });
    expect(slow.steps).toBe(3);
    const frozen = await measureTrainingThroughput(tf, { budgetMs: 50, batch: 4, hidden: 8, maxSteps: 7, now: () => 0 });
    expect(frozen.steps).toBe(7);
    expect(Number.isFinite(frozen.samplesPerSec)).toBe(true);
  });

  it('frees everything when the optimizer cannot be created', async () => {
    const before = tf.memory().numTensors;
    const noAdam = (): never => {
      throw new Error('no Adam here');
    };
    const failing = { ...tf, train: { adam: noAdam } } as unknown as typeof tf;
    await expect(measureTrainingThroughput(failing, { budgetMs: 10, batch: 4, hidden: 8 })).rejects.toThrow('no Adam here');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees its variables when a kernel throws inside a training step', async () => {
    // tfjs keeps the tensors its gradient tape saved when a forward pass throws; ours must still go.
    const variables = (): number => Object.keys(tf.engine().state.registeredVariables).length;
    const before = variables();
    const brokenLoss = (): never => {
      throw new Error('kernel SoftmaxCrossEntropy not registered');
    };
    const failing = { ...tf, losses: { ...tf.losses, softmaxCrossEntropy: brokenLoss } } as typeof tf;
    const run = measureTrainingThroughput(failing, { budgetMs: 10, batch: 4, hidden: 8 });
    await expect(run).rejects.toThrow('kernel SoftmaxCrossEntropy not registered');
    expect(variables()).toBe(before);
  });
});
