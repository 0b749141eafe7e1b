/**
 * Splits the training split among clients (workers) by one of three federated-learning schemes:
 *
 * - `iid`: one seeded shuffle of all indices, cut into sizes proportional to `weights` (default equal).
 *   Every index goes to exactly one client.
 * - `dirichlet`: the usual label-skew scheme (Hsu et al. 2019; NIID-Bench, Li et al. 2022). For each class,
 *   client proportions p ~ Dir(alpha·1) (normalised gamma draws), multiplied by `weights` and renormalised,
 *   and the class's shuffled samples are cut in those proportions (largest-remainder rounding). Small
 *   alpha (0.1) gives each client a few dominant classes; large alpha (100) is nearly IID. Every client
 *   must get at least `minPerClient` samples (default 10): the whole draw is repeated (up to
 *   DIRICHLET_MAX_ATTEMPTS times, as NIID-Bench does) and, if no draw qualifies, short clients are topped
 *   up one sample at a time from the largest client, taken from that client's most plentiful class.
 *   Every index goes to exactly one client.
 * - `labels`: "k labels per client" (pFedMe / McMahan et al. pathological split). Classes are laid out in a
 *   seeded permutation and client i takes k consecutive ones, round-robin: perm[(i·k + j) mod C], j < k.
 *   So each client holds k distinct classes, and when numClients·k >= C every class is used and every
 *   index goes to exactly one client (otherwise the unused classes' samples are left out). Each class's
 *   samples are cut among its holders in proportion to their `weights`.
 *
 * Every client's index list is finally shuffled, so a worker reading it in order does not see class-sorted
 * batches. The result depends only on the arguments: the same seed gives identical lists.
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { createRng } from '../rng.ts';
import type { Rng } from '../rng.ts';
import { indicesByClass } from './split.ts';

/** Name of a partition scheme (same strings as the protocol's `PartitionScheme`). */
export type PartitionScheme = 'iid' | 'dirichlet' | 'labels';

/** Arguments of `partition`. */
export interface PartitionInit {
  readonly scheme: PartitionScheme;
  /** Labels of the training split; the result indexes into it. */
  readonly labels: Uint8Array;
  /** Number of clients, >= 1. */
  readonly numClients: number;
  /** Seed (safe integer); the same seed gives the same partition. */
  readonly seed: number;
  /** Dirichlet concentration, > 0; required for `dirichlet`. */
  readonly alpha?: number;
  /** Classes per client, 1..numClasses; required for `labels`. */
  readonly labelsPerClient?: number;
  /** Relative client shares, one per client, >= 0, not all 0 (default: equal). */
  readonly weights?: readonly number[];
  /** `dirichlet` only: the least samples any client gets (default DEFAULT_MIN_PER_CLIENT). */
  readonly minPerClient?: number;
  /** Number of classes (default: largest label + 1). */
  readonly numClasses?: number;
}

/** Default floor on a client's sample count under `dirichlet`: NIID-Bench's `min_require_size`. */
export const DEFAULT_MIN_PER_CLIENT = 10;
/** Whole Dirichlet draws tried before topping up short clients (NIID-Bench retries without bound). */
export const DIRICHLET_MAX_ATTEMPTS = 50;
/** Labels are uint8, so at most 256 classes. */
const MAX_CLASSES = 256;

/** Thrown by `partition` for arguments that `validatePartitionInit` rejects (a programmer error). */
export class PartitionError extends Error {
  static readonly NAME = 'PartitionError';
  constructor(message: string) {
    super(message);
    this.name = PartitionError.NAME;
  }
}

function maxLabel(labels: Uint8Array): number {
  let m = -1;
  for (const label of labels) if (label > m) m = label;
  return m;
}

const isCount = (n: unknown, min: number, max: number): boolean =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

function checkWeights(weights: readonly number[] | undefined, numClients: number): string | undefined {
  if (weights === undefined) return undefined;
  if (weights.length !== numClients) return `weights has ${weights.length} entries for ${numClients} clients`;
  if (!weights.every((w) => Number.isFinite(w) && w >= 0)) return 'weights must be finite and >= 0';
  if (!weights.some((w) => w > 0)) return 'weights must not all be 0';
  return undefined;
}

function checkScheme(init: PartitionInit, numClasses: number): string | undefined {
  switch (init.scheme) {
    case 'iid':
      return undefined;
    case 'dirichlet': {
      const { alpha } = init;
      if (alpha === undefined || !Number.isFinite(alpha) || alpha <= 0) return `alpha must be > 0, got ${alpha}`;
      const min = init.minPerClient ?? DEFAULT_MIN_PER_CLIENT;
      if (!isCount(min, 0, Number.MAX_SAFE_INTEGER)) return `minPerClient must be an integer >= 0, got ${min}`;
      if (init.labels.length < min * init.numClients) {
        return `${init.labels.length} samples cannot give ${init.numClients} clients ${min} each`;
      }
      return undefined;
    }
    case 'labels':
      if (!isCount(init.labelsPerClient, 1, numClasses)) {
        return `labelsPerClient must be an integer in [1, ${numClasses}], got ${init.labelsPerClient}`;
      }
      return undefined;
  }
}

/** Checks the arguments of `partition` without throwing (use it on values from a form or a peer). */
export function validatePartitionInit(init: PartitionInit): Result<undefined, string> {
  if (!isCount(init.numClients, 1, init.labels.length > 0 ? init.labels.length : 1)) {
    return err(`numClients must be an integer in [1, number of samples], got ${init.numClients}`);
  }
  if (!Number.isSafeInteger(init.seed)) return err(`seed must be a safe integer, got ${init.seed}`);
  const top = maxLabel(init.labels);
  const numClasses = init.numClasses ?? top + 1;
  if (!isCount(numClasses, 1, MAX_CLASSES) || top >= numClasses) {
    return err(`numClasses must be an integer in [${top + 1}, ${MAX_CLASSES}], got ${numClasses}`);
  }
  const problem = checkWeights(init.weights, init.numClients) ?? checkScheme(init, numClasses);
  return problem === undefined ? ok(undefined) : err(problem);
}

/** Splits `total` into integer parts proportional to `weights` (sum > 0), summing to `total` exactly. */
export function proportionalSizes(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const sizes = exact.map(Math.floor);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  // Largest remainder first; ties go to the lower index, so the result is deterministic.
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    sizes[i] = (sizes[i] ?? 0) + 1;
    left--;
  }
  return sizes;
}

/** Cuts `indices` into consecutive pieces of the given sizes, appending piece j to `out[targets[j]]`. */
function deal(indices: Int32Array, sizes: readonly number[], targets: readonly number[], out: number[][]): void {
  let at = 0;
  sizes.forEach((size, j) => {
    const bucket = out[targets[j] ?? 0];
    for (let k = at; k < at + size; k++) bucket?.push(indices[k] ?? 0);
    at += size;
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function iid(init: PartitionInit, rng: Rng, weights: readonly number[]): number[][] {
  const all = rng.fork('iid').shuffle(Int32Array.from(range(init.labels.length)));
  const out = range(init.numClients).map((): number[] => []);
  deal(all, proportionalSizes(all.length, weights), range(init.numClients), out);
  return out;
}

/** Dirichlet(alpha) proportions times weights, renormalised; underflow (tiny alpha) falls back safely. */
function dirichletShares(alpha: number, weights: readonly number[], rng: Rng): number[] {
  const g = weights.map(() => rng.gamma(alpha));
  const q = g.map((x, j) => x * (weights[j] ?? 0));
  if (q.some((x) => x > 0)) return q;
  // All zero happens when every gamma draw underflows (alpha ~ 0.01) or lands on zero-weight clients:
  // give the class to one client, drawn in proportion to the weights (the alpha -> 0 limit).
  const pick = pickWeighted(weights, rng);
  return weights.map((_, j) => (j === pick ? 1 : 0));
}

/** An index drawn with probability proportional to `weights` (sum > 0). */
function pickWeighted(weights: readonly number[], rng: Rng): number {
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < weights.length; j++) {
    u -= weights[j] ?? 0;
    if (u < 0) return j;
  }
  // Float round-off can leave u at 0 after the loop: take the last client with a positive weight.
  let last = 0;
  weights.forEach((w, j) => {
    if (w > 0) last = j;
  });
  return last;
}

/** counts[c][j]: samples of class c that client j gets. */
type CountMatrix = number[][];

const clientTotals = (counts: CountMatrix, numClients: number): number[] =>
  range(numClients).map((j) => counts.reduce((s, row) => s + (row[j] ?? 0), 0));

function dirichletCounts(init: PartitionInit, groups: readonly Int32Array[], weights: readonly number[], rng: Rng) {
  const alpha = init.alpha ?? 1; // validated present
  const min = init.minPerClient ?? DEFAULT_MIN_PER_CLIENT;
  let counts: CountMatrix = [];
  for (let attempt = 0; attempt < DIRICHLET_MAX_ATTEMPTS; attempt++) {
    const arng = rng.fork(`dirichlet-attempt-${attempt}`);
    counts = groups.map((g) => proportionalSizes(g.length, dirichletShares(alpha, weights, arng)));
    if (Math.min(...clientTotals(counts, init.numClients)) >= min) return counts;
  }
  topUp(counts, init.numClients, min);
  return counts;
}

/** Moves single samples from the largest client (its most plentiful class) to clients below `min`. */
function topUp(counts: CountMatrix, numClients: number, min: number): void {
  const totals = clientTotals(counts, numClients);
  for (let j = 0; j < numClients; j++) {
    while ((totals[j] ?? 0) < min) {
      const donor = argMax(totals);
      const c = argMax(counts.map((row) => row[donor] ?? 0));
      const row = counts[c];
      if (row === undefined || donor === j) return; // unreachable when validated: n >= numClients·min
      row[donor] = (row[donor] ?? 0) - 1;
      row[j] = (row[j] ?? 0) + 1;
      totals[donor] = (totals[donor] ?? 0) - 1;
      totals[j] = (totals[j] ?? 0) + 1;
    }
  }
}

/** Index of the largest value; ties go to the lowest index. */
function argMax(xs: readonly number[]): number {
  let best = 0;
  xs.forEach((x, i) => {
    if (x > (xs[best] ?? -Infinity)) best = i;
  });
  return best;
}

function dirichlet(init: PartitionInit, groups: readonly Int32Array[], rng: Rng, weights: readonly number[]) {
  const counts = dirichletCounts(init, groups, weights, rng);
  const out = range(init.numClients).map((): number[] => []);
  groups.forEach((g, c) => {
    deal(g, counts[c] ?? [], range(init.numClients), out);
  });
  return out;
}

/** Classes of client i: perm[(i·k + j) mod C] for j < k. */
export function labelsOfClient(perm: readonly number[], client: number, k: number): number[] {
  return range(k).map((j) => perm[(client * k + j) % perm.length] ?? 0);
}

function byLabels(init: PartitionInit, groups: readonly Int32Array[], rng: Rng, weights: readonly number[]) {
  const numClasses = groups.length;
  const k = init.labelsPerClient ?? 1; // validated present
  const perm = rng.fork('labels-permutation').shuffle(range(numClasses));
  const holders = range(numClasses).map((): number[] => []);
  for (let i = 0; i < init.numClients; i++) {
    for (const c of labelsOfClient(perm, i, k)) holders[c]?.push(i);
  }
  const out = range(init.numClients).map((): number[] => []);
  groups.forEach((g, c) => {
    const who = holders[c] ?? [];
    if (who.length === 0) return; // class unused: numClients·k < numClasses
    const w = who.map((i) => weights[i] ?? 0);
    deal(g, proportionalSizes(g.length, w.some((x) => x > 0) ? w : w.map(() => 1)), who, out);
  });
  return out;
}

/**
 * Partitions the training split among clients; see the module comment for the schemes.
 * @returns one Int32Array of training-split indices per client, in a seeded random order.
 * @throws PartitionError if `validatePartitionInit(init)` fails.
 * @example
 * const parts = partition({ scheme: 'dirichlet', labels: ds.train.labels, numClients: 20, seed: 7, alpha: 0.1 });
 */
export function partition(init: PartitionInit): Int32Array[] {
  const valid = validatePartitionInit(init);
  if (!valid.ok) throw new PartitionError(valid.error);
  const rng = createRng(init.seed);
  const weights = init.weights ?? range(init.numClients).map(() => 1);
  const numClasses = init.numClasses ?? maxLabel(init.labels) + 1;
  const groups = indicesByClass(init.labels);
  while (groups.length < numClasses) groups.push(new Int32Array(0));
  const classRng = rng.fork('class-order');
  for (const g of groups) classRng.shuffle(g);
  let lists: number[][];
  switch (init.scheme) {
    case 'iid':
      lists = iid(init, rng, weights);
      break;
    case 'dirichlet':
      lists = dirichlet(init, groups, rng, weights);
      break;
    case 'labels':
      lists = byLabels(init, groups, rng, weights);
      break;
  }
  const orderRng = rng.fork('client-order');
  return lists.map((list) => orderRng.shuffle(Int32Array.from(list)));
}
