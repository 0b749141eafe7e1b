/**
 * A short numeric self-test of the active tfjs backend: known matmuls, known gradients and a float32
 * range check, each compared with values computed here in float64. Some GPUs compute wrong results
 * (float16 paths, driver bugs); a tab must pass this before it is given work.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** The tfjs namespace (`import * as tf from '@tensorflow/tfjs'`), passed in so tests can use Node's. */
export type Tf = typeof tfjs;

/** The result of {@link runSelfTest}. */
export interface SelfTestResult {
  readonly passed: boolean;
  /** On success the checks run and the worst error; on failure the first failing check and its values. */
  readonly detail: string;
}

/**
 * Largest allowed error, relative to max(1, |expected|). 1e-3 is tfjs's own float32 test epsilon
 * (test_util.testEpsilon); float16 backends miss it on the checks below.
 */
const TOLERANCE = 1e-3;

/** One check: a name, tensors computed on the backend (owned by the caller), and the float64 truth. */
interface Check {
  readonly name: string;
  readonly got: tfjs.Tensor;
  readonly want: readonly number[];
}

/** Row-major product of an m×k and a k×n matrix in float64. */
function matmul64(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p] ?? 0;
      for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] ?? 0) + aip * (b[p * n + j] ?? 0);
    }
  }
  return out;
}

function transpose64(a: readonly number[], rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j] ?? 0;
  return out;
}

/** Deterministic small values in [-1, 1] (exact in float32), so no RNG is needed. */
const pattern = (count: number, salt: number): number[] =>
  Array.from({ length: count }, (_, i) => (((i * 7 + salt * 13) % 17) - 8) / 8);

function matmulChecks(tf: Tf): Check[] {
  // 3×3 · 3×2 with small integers: the product is exact in any float format.
  const a = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const b = [1, 0, 0, 1, 2, -1];
  // 24×40 · 40×16: large enough to cross the tiles of GPU matmul kernels (tile sizes 4-32).
  const [m, k, n] = [24, 40, 16];
  const c = pattern(m * k, 1);
  const d = pattern(k * n, 2);
  return [
    { name: 'matmul 3x3·3x2', got: tf.matMul(tf.tensor2d(a, [3, 3]), tf.tensor2d(b, [3, 2])), want: [7, -1, 16, -1, 25, -1] },
    { name: `matmul ${m}x${k}·${k}x${n}`, got: tf.matMul(tf.tensor2d(c, [m, k]), tf.tensor2d(d, [k, n])), want: matmul64(c, d, m, k, n) },
  ];
}

function gradientChecks(tf: Tf): Check[] {
  // d/dw Σ (w·x)² = 2·w·x²
  const w = [1, -2, 3];
  const x = [0.5, 1, -2];
  const gElem = tf.grad((wt: tfjs.Tensor) => tf.sum(tf.square(tf.mul(wt, tf.tensor1d(x)))))(tf.tensor1d(w));
  // d/dW Σ (X·W)² = 2·Xᵀ·X·W for a dense layer: exercises the transposed matmuls of backprop.
  const [rows, ins, outs] = [5, 4, 3];
  const xm = pattern(rows * ins, 3);
  const wm = pattern(ins * outs, 4);
  const gDense = tf.grad((wt: tfjs.Tensor) => tf.sum(tf.square(tf.matMul(tf.tensor2d(xm, [rows, ins]), wt as tfjs.Tensor2D))))(
    tf.tensor2d(wm, [ins, outs]),
  );
  const wantDense = matmul64(transpose64(xm, rows, ins), matmul64(xm, wm, rows, ins, outs), ins, rows, outs).map((v) => 2 * v);
  return [
    { name: 'grad of Σ(w·x)²', got: gElem, want: w.map((wi, i) => 2 * wi * (x[i] ?? 0) ** 2) },
    { name: 'grad of dense Σ(XW)²', got: gDense, want: wantDense },
    softmaxCrossEntropyCheck(tf),
  ];
}

/** d/dz of −Σ y·log softmax(z) is softmax(z) − y per row. */
function softmaxCrossEntropyCheck(tf: Tf): Check {
  const z = [2, 1, -1, 0.5, 0.5, 3];
  const y = [1, 0, 0, 0, 0, 1];
  const got = tf.grad((zt: tfjs.Tensor) => tf.neg(tf.sum(tf.mul(tf.tensor2d(y, [2, 3]), tf.logSoftmax(zt)))))(tf.tensor2d(z, [2, 3]));
  const want: number[] = [];
  for (let r = 0; r < 2; r++) {
    const row = z.slice(r * 3, r * 3 + 3);
    const total = row.reduce((s, v) => s + Math.exp(v), 0);
    row.forEach((v, j) => want.push(Math.exp(v) / total - (y[r * 3 + j] ?? 0)));
  }
  return { name: 'grad of softmax cross-entropy', got, want };
}

/** exp(12) ≈ 162,755 overflows float16 (max 65,504): a backend that silently computes in half fails here. */
function rangeCheck(tf: Tf): Check {
  return { name: 'float32 range exp(12)', got: tf.exp(tf.scalar(12)), want: [Math.exp(12)] };
}

/** Compares one check's values; returns an error message, or the worst relative error. */
function compare(name: string, got: ArrayLike<number>, want: readonly number[]): string | number {
  if (got.length !== want.length) return `${name}: got ${got.length} values, want ${want.length}`;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] ?? Number.NaN;
    const w = want[i] ?? Number.NaN;
    if (!Number.isFinite(g)) return `${name}: non-finite value ${g} at [${i}] (want ${w})`;
    const error = Math.abs(g - w) / Math.max(1, Math.abs(w));
    if (!(error <= TOLERANCE)) return `${name}: error ${error.toExponential(1)} at [${i}] (got ${g}, want ${w})`;
    worst = Math.max(worst, error);
  }
  return worst;
}

/**
 * Runs the self-test on the active backend (call after `tf.setBackend(...)` and `await tf.ready()`).
 * Never throws; a kernel that throws fails the test. Disposes every tensor it creates.
 *
 * @example
 * const { passed, detail } = await runSelfTest(tf); // passed: true, detail: "5 checks ok, max rel error 1.2e-7"
 */
export async function runSelfTest(tf: Tf): Promise<SelfTestResult> {
  let checks: Check[] = [];
  try {
    tf.tidy(() => {
      // Only the checked outputs survive the tidy; every intermediate tensor is freed with it.
      const all = [...matmulChecks(tf), ...gradientChecks(tf), rangeCheck(tf)];
      all.forEach((c) => tf.keep(c.got));
      checks = all;
    });
    let worst = 0;
    for (const check of checks) {
      const outcome = compare(check.name, await check.got.data(), check.want);
      if (typeof outcome === 'string') return { passed: false, detail: outcome };
      worst = Math.max(worst, outcome);
    }
    return { passed: true, detail: `${checks.length} checks ok, max rel error ${worst.toExponential(1)}` };
  } catch (e) {
    return { passed: false, detail: `self-test threw: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    checks.forEach((c) => {
      c.got.dispose();
    });
  }
}
