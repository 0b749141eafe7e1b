/**
 * A tensor as it travels on the wire: CPU-resident by type (a typed array, never a tf.Tensor), so
 * "only CPU data goes on the wire" is a compile-time fact. Converting from tfjs happens in compute/.
 */
/**
 * uint16 carries half-precision payloads (bf16/fp16 bit patterns, see core/numeric/half-precision.ts);
 * float64 carries sums that must not round (FedACnnL's Gram statistics and solved weights).
 */
export type WireDtype = 'float32' | 'float64' | 'int32' | 'uint16' | 'uint8';

export interface WireTensorOf<D extends WireDtype, A> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: A;
}

export type WireTensor =
  | WireTensorOf<'float32', Float32Array>
  | WireTensorOf<'float64', Float64Array>
  | WireTensorOf<'int32', Int32Array>
  | WireTensorOf<'uint16', Uint16Array>
  | WireTensorOf<'uint8', Uint8Array>;

/** Number of elements a shape holds (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export const f32 = (shape: readonly number[], data: Float32Array): WireTensor => ({ dtype: 'float32', shape, data });
export const f64 = (shape: readonly number[], data: Float64Array): WireTensor => ({ dtype: 'float64', shape, data });
export const i32 = (shape: readonly number[], data: Int32Array): WireTensor => ({ dtype: 'int32', shape, data });
export const u8 = (shape: readonly number[], data: Uint8Array): WireTensor => ({ dtype: 'uint8', shape, data });
