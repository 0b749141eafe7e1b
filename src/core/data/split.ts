/**
 * Seeded, stratified train/test split of a labelled pool: exactly `testPerClass` samples of every class go
 * to the test split, the rest to train, and both index lists come out shuffled (so batches are not sorted
 * by class). Used by `scripts/build-data.ts` to hold out the test split once, at build time.
 */
import { createRng } from '../rng.ts';

/** Options of `stratifiedSplit`. */
export interface StratifiedSplitInit {
  /** Class of each pool sample, 0..numClasses-1. */
  readonly labels: Uint8Array;
  /** Samples of each class to hold out; every class present must have more than this. */
  readonly testPerClass: number;
  /** Seed of the split; the same seed gives the same split. */
  readonly seed: number;
}

/** Indices into the pool, each pool index in exactly one of the two lists. */
export interface IndexSplit {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Thrown when a split is impossible (a class has too few samples) or the arguments are bad. */
export class SplitError extends Error {
  static readonly NAME = 'SplitError';
  constructor(message: string) {
    super(message);
    this.name = SplitError.NAME;
  }
}

/** Pool indices grouped by class: `result[c]` lists the indices with label c, ascending. */
export function indicesByClass(labels: Uint8Array): Int32Array[] {
  let top = -1;
  for (const label of labels) if (label > top) top = label;
  const counts = new Array<number>(top + 1).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  const groups = counts.map((n) => new Int32Array(n));
  const fill = new Array<number>(groups.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? 0;
    const group = groups[label];
    if (group === undefined) continue; // unreachable: every label got a group above
    group[fill[label] ?? 0] = i;
    fill[label] = (fill[label] ?? 0) + 1;
  }
  return groups;
}

/**
 * Splits a pool into train and test indices, stratified by class.
 * @example
 * const { train, test } = stratifiedSplit({ labels, testPerClass: 200, seed: 1 });
 * @throws SplitError if `testPerClass` is not a non-negative integer or a class present in `labels`
 *   has no more than `testPerClass` samples (it would leave nothing to train on).
 */
export function stratifiedSplit(init: StratifiedSplitInit): IndexSplit {
  const { labels, testPerClass } = init;
  if (!Number.isInteger(testPerClass) || testPerClass < 0) {
    throw new SplitError(`testPerClass must be a non-negative integer, got ${testPerClass}`);
  }
  const rng = createRng(init.seed);
  const groups = indicesByClass(labels);
  const testParts: Int32Array[] = [];
  const trainParts: Int32Array[] = [];
  groups.forEach((group, c) => {
    if (group.length === 0) return; // class absent from the pool
    if (group.length <= testPerClass) {
      throw new SplitError(`class ${c} has ${group.length} samples; cannot hold out ${testPerClass}`);
    }
    rng.shuffle(group);
    testParts.push(group.subarray(0, testPerClass));
    trainParts.push(group.subarray(testPerClass));
  });
  return { train: rng.shuffle(concat(trainParts)), test: rng.shuffle(concat(testParts)) };
}

function concat(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
