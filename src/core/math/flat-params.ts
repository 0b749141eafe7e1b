/**
 * Flat parameter vectors: the model's tensors concatenated in model order (what DHO2's shards slice and what
 * an HVP consumes), and back.
 *
 * @example
 * const flat = flatten([w, b]);            // w.length + b.length floats
 * const [w2, b2] = unflatten(flat, [w.length, b.length]);
 */

/** Concatenates arrays in order into one new Float32Array. */
export function flatten(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Splits `flat` into copies of lengths `sizes`.
 * @throws RangeError when the sizes do not add up to flat.length (a programmer error).
 */
export function unflatten(flat: Float32Array, sizes: readonly number[]): Float32Array[] {
  const total = sizes.reduce((s, x) => s + x, 0);
  if (total !== flat.length) throw new RangeError(`sizes add up to ${total}, the vector has ${flat.length}`);
  let off = 0;
  return sizes.map((n) => {
    const part = flat.slice(off, off + n);
    off += n;
    return part;
  });
}
