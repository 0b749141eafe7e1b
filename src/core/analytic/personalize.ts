/**
 * pFedACnnL personalisation (spec §4.4, reconstructed): group clients by a distribution descriptor, give
 * each group a meta-model (ridge on the group's summed statistics), and let each client solve its own
 * layer in closed form, pulled towards its group's model:
 *
 *   W_k = argmin ‖X_k W − T_k‖² + λ‖W − W_g‖² + γ‖W‖²  =  (A_k + (λ + γ)I)⁻¹ (B_k + λW_g).
 *
 * λ → ∞ gives W_g, λ = 0 gives the client's own ridge solution. λ is picked per client on a local
 * validation split from a grid of multiples of the client's mean diagonal tr(A_k)/d (the spec's
 * {0.1, 1, 10}·tr(A_k)/d), with the two limits 0 (local ridge) and ∞ (the group model itself) included.
 *
 * @example
 * const groups = groupClients(clients.map((c) => labelHistogram(c.labels, 10)), { groups: 3, seed: 1 });
 * const pick = chooseLambda({ local, groupW, gamma, validation: { x, rows, labels } });
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { createRng } from '../rng.ts';
import type { Rng } from '../rng.ts';
import { accuracy, affineRows, argmaxRows } from './dense.ts';
import type { NumericArray } from './dense.ts';
import type { GramStats } from './gram-stats.ts';
import { meanDiagonal, solveRidge } from './ridge.ts';
import type { RidgeError } from './ridge.ts';

/** Label frequencies (sum 1; all zero for no labels): the default distribution descriptor. */
export function labelHistogram(labels: ArrayLike<number>, numClasses: number): Float64Array {
  const h = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] ?? -1;
    if (Number.isInteger(y) && y >= 0 && y < numClasses) h[y] = (h[y] ?? 0) + 1;
  }
  const total = h.reduce((a, b) => a + b, 0);
  return total > 0 ? h.map((v) => v / total) : h;
}

/** Options of `groupClients`. */
export interface GroupingInit {
  /** M, the number of groups (clamped to the number of clients); M = 1 is plain FedACnnL. */
  readonly groups: number;
  readonly seed: number;
  /** Lloyd iterations at most; default 100 (k-means on ≤ 100 histograms settles in a handful). */
  readonly maxIterations?: number;
  /**
   * Groups whose centres are closer than this total-variation distance (½·L1, in [0, 1]) are merged after
   * k-means (threshold grouping), so near-IID clients end up in one group instead of M arbitrary ones.
   * Default DEFAULT_MERGE_BELOW; 0 keeps the M k-means groups.
   */
  readonly mergeBelow?: number;
}

/**
 * 0.2 total variation: far above the sampling noise of the histogram of a few hundred IID labels (a few
 * hundredths) and well below the distance between two different 2-label clients (at least 0.5).
 */
export const DEFAULT_MERGE_BELOW = 0.2;

const tv = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + Math.abs(v - (b[i] ?? 0)), 0) / 2;

/** Merges groups with centres closer than `below` (transitively) and renumbers them 0.. by first member. */
function mergeGroups(assignment: Int32Array, centroids: readonly Float64Array[], below: number): Int32Array {
  const parent = centroids.map((_, g) => g);
  const root = (g: number): number => (parent[g] === g ? g : root(parent[g] ?? g));
  centroids.forEach((a, g) => {
    centroids.forEach((b, h) => {
      if (h > g && tv(a, b) < below) parent[root(h)] = root(g);
    });
  });
  const renumber = new Map<number, number>();
  return assignment.map((g) => {
    const r = root(g);
    if (!renumber.has(r)) renumber.set(r, renumber.size);
    return renumber.get(r) ?? 0;
  });
}

const sqDist = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + (v - (b[i] ?? 0)) ** 2, 0);

function nearest(p: Float64Array, centroids: readonly Float64Array[]): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, j) => {
    const d = sqDist(p, c);
    if (d < bestD) [best, bestD] = [j, d];
  });
  return best;
}

/** An index drawn with probability ∝ weights; all-zero weights (every point on a centre) give index 0. */
function pickByWeight(weights: readonly number[], rng: Rng): number {
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (w <= 0) continue;
    last = i;
    u -= w;
    if (u < 0) return i;
  }
  return last; // round-off left u at 0: the last positive weight
}

/** k-means++ seeding: each next centre drawn with probability ∝ squared distance to the nearest one. */
function seedCentroids(points: readonly Float64Array[], m: number, rng: Rng): Float64Array[] {
  const first = points[rng.int(points.length)] ?? new Float64Array(0);
  const centroids = [Float64Array.from(first)];
  while (centroids.length < m) {
    const d = points.map((p) => sqDist(p, centroids[nearest(p, centroids)] ?? p));
    centroids.push(Float64Array.from(points[pickByWeight(d, rng)] ?? first));
  }
  return centroids;
}

/**
 * Seeded k-means (k-means++ start, Lloyd iterations, squared Euclidean distance) of the clients'
 * descriptors, then threshold merging of close groups (`mergeBelow`). Returns each client's group,
 * numbered 0, 1, … in order of first member. An empty group keeps its previous centre.
 * Deterministic for a given seed and input order.
 */
export function groupClients(descriptors: readonly Float64Array[], init: GroupingInit): Int32Array {
  const n = descriptors.length;
  const m = Math.max(1, Math.min(init.groups, n));
  const assignment = new Int32Array(n);
  if (n === 0 || m === 1) return assignment;
  const centroids = seedCentroids(descriptors, m, createRng(init.seed).fork('k-means'));
  for (let it = 0; it < (init.maxIterations ?? 100); it++) {
    let changed = it === 0;
    descriptors.forEach((p, i) => {
      const g = nearest(p, centroids);
      if (g !== assignment[i]) [assignment[i], changed] = [g, true];
    });
    if (!changed) break;
    centroids.forEach((c, g) => {
      const members = descriptors.filter((_, i) => assignment[i] === g);
      if (members.length === 0) return;
      c.fill(0);
      for (const p of members) p.forEach((v, j) => (c[j] = (c[j] ?? 0) + v / members.length));
    });
  }
  return mergeGroups(assignment, centroids, init.mergeBelow ?? DEFAULT_MERGE_BELOW);
}

/** W_k = (A_k + (λ+γ)I)⁻¹(B_k + λW_g); λ = Infinity returns a copy of W_g. */
export function personalizedSolve(local: GramStats, groupW: Float64Array, lambda: number, gamma: number): Result<Float64Array, RidgeError> {
  if (lambda === Infinity) {
    return groupW.length === local.b.length ? ok(Float64Array.from(groupW)) : err({ kind: 'bad-argument', message: 'group model has the wrong shape' });
  }
  const solved = solveRidge(local, { gamma, prior: { w: groupW, lambda } });
  return solved.ok ? ok(solved.value.w) : solved;
}

/** A client's held-out rows: layer inputs (without the bias column) and labels. */
export interface ValidationSplit {
  readonly x: NumericArray;
  readonly rows: number;
  readonly labels: ArrayLike<number>;
}

/** Arguments of `chooseLambda`. */
export interface ChooseLambdaInit {
  readonly local: GramStats;
  readonly groupW: Float64Array;
  readonly gamma: number;
  readonly validation: ValidationSplit;
  /** Multiples of tr(A_k)/d to try; default DEFAULT_LAMBDA_GRID. */
  readonly grid?: readonly number[];
}

/** The chosen λ (absolute), its weights and validation accuracy. */
export interface LambdaChoice {
  readonly lambda: number;
  readonly w: Float64Array;
  readonly accuracy: number;
}

/** The spec's {0.1, 1, 10}·tr(A_k)/d with both limits: 0 (local ridge) and ∞ (the group model). */
export const DEFAULT_LAMBDA_GRID: readonly number[] = [Infinity, 10, 1, 0.1, 0];

/**
 * Tries every λ of the grid and keeps the best validation accuracy; ties go to the earlier grid entry
 * (the default grid runs from the group model towards local ridge, so ties favour the more global model).
 */
export function chooseLambda(init: ChooseLambdaInit): Result<LambdaChoice, RidgeError> {
  const { local, validation } = init;
  const features = local.dIn - (local.bias ? 1 : 0);
  const scale = meanDiagonal(local);
  let best: LambdaChoice | undefined;
  for (const multiple of init.grid ?? DEFAULT_LAMBDA_GRID) {
    const lambda = multiple === Infinity ? Infinity : multiple * scale;
    const w = personalizedSolve(local, init.groupW, lambda, init.gamma);
    if (!w.ok) return w;
    const scores = affineRows(validation.x, validation.rows, features, w.value, local.dOut, local.bias);
    const acc = accuracy(argmaxRows(scores, validation.rows, local.dOut), validation.labels);
    if (best === undefined || acc > best.accuracy) best = { lambda, w: w.value, accuracy: acc };
  }
  return best === undefined ? err({ kind: 'bad-argument', message: 'empty lambda grid' }) : ok(best);
}
