/**
 * Per-client label histograms of a partition, for the dashboard and for tests of label skew.
 */

/** One client's share of the training split. */
export interface ClientSummary {
  /** Number of samples. */
  readonly count: number;
  /** `histogram[c]`: samples of class c. Length = `numClasses`. */
  readonly histogram: readonly number[];
  /** Number of classes with at least one sample. */
  readonly distinctLabels: number;
}

/** The label make-up of every client of a partition. */
export interface PartitionSummary {
  readonly numClasses: number;
  readonly clients: readonly ClientSummary[];
}

/**
 * Counts the labels each client holds.
 * @param parts per-client indices into `labels` (as returned by `partition`).
 * @param labels the training split's labels.
 * @param numClasses histogram length (default: largest label + 1).
 * @returns plain numbers only, so it can be cloned into UI state or sent as JSON.
 * @throws RangeError if an index is outside `labels` (the parts do not belong to these labels).
 * @example
 * describePartition([Int32Array.of(0, 1)], Uint8Array.of(3, 3)).clients[0]?.histogram; // [0, 0, 0, 2]
 */
export function describePartition(
  parts: readonly Int32Array[],
  labels: Uint8Array,
  numClasses?: number,
): PartitionSummary {
  let top = -1;
  for (const label of labels) if (label > top) top = label;
  const classes = numClasses ?? top + 1;
  const clients = parts.map((indices): ClientSummary => {
    const histogram = new Array<number>(classes).fill(0);
    for (const i of indices) {
      const label = labels[i];
      if (label === undefined) throw new RangeError(`index ${i} is outside the ${labels.length} labels`);
      histogram[label] = (histogram[label] ?? 0) + 1;
    }
    return { count: indices.length, histogram, distinctLabels: histogram.filter((n) => n > 0).length };
  });
  return { numClasses: classes, clients };
}
