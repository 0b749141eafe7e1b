/**
 * Types of the per-layer least-squares statistics (A = XᵀX packed, B = XᵀT, n) shared by the accumulator
 * (`gram.ts`), the validator (`gram-check.ts`) and the solvers.
 */

/** The dimensions a contribution must have to be added to a sum. */
export interface GramShape {
  /** Columns of X, the bias column included when `bias`. */
  readonly dIn: number;
  /** Columns of T (the layer's outputs). */
  readonly dOut: number;
  /** Whether the last column of X is the constant 1. */
  readonly bias: boolean;
}

/** One client's (or a sum of clients') statistics for one layer. Arrays are owned by the holder. */
export interface GramStats extends GramShape {
  /** Rows accumulated. */
  readonly count: number;
  /** Upper triangle of A = XᵀX, packed row by row (`packed-symmetric.ts`), dIn(dIn+1)/2 entries. */
  readonly aUpper: Float64Array;
  /** B = XᵀT, dIn×dOut row-major. */
  readonly b: Float64Array;
}

/** Why a contribution was refused. */
export type GramErrorKind = 'shape' | 'non-finite' | 'count' | 'not-psd' | 'bias';

/** A refused contribution: a kind to branch on and a message that names the offending entry. */
export interface GramError {
  readonly kind: GramErrorKind;
  readonly message: string;
}
