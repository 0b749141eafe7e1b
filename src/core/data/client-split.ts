/**
 * A federated client's rows (spec §4.7: "each client keeps 20 % of its data as a local test set drawn from
 * its own distribution"): it trains on its partition, and its local test set is drawn from the held-out TEST
 * split with the client's own label proportions (a quarter as many rows as it holds, i.e. 20 % of train +
 * test), so every row of the training split still trains and FedACnnL stays partition-invariant. pFedACnnL
 * also holds out a validation tenth of the partition, per class, to choose λ on.
 * Seeded by (run seed, client id) so the coordinator and the hosting tab agree without sending the split.
 */
import { createRng } from '../rng.ts';

/** Validation share of a client's partition, per class (pFedACnnL only). */
export const CLIENT_VALIDATION_FRACTION = 0.1;
/** Local test rows per partition row: 0.25 makes the local test set 20 % of (partition + test). */
export const CLIENT_TEST_RATIO = 0.25;

/** A client's rows: `train` and `validation` index the training split, `test` the test split. */
export interface ClientRows {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/** Arguments of `splitClientRows`. */
export interface ClientSplitInit {
  /** The client's partition: indices into the training split. */
  readonly indices: Int32Array;
  readonly trainLabels: Uint8Array;
  readonly testLabels: Uint8Array;
  readonly seed: number;
  readonly clientId: number;
  /** Hold out a validation tenth of each class (pFedACnnL). */
  readonly validation: boolean;
}

function byClass(indices: ArrayLike<number>, labels: Uint8Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] ?? 0;
    const y = labels[i] ?? 0;
    const list = out.get(y);
    if (list) list.push(i);
    else out.set(y, [i]);
  }
  return out;
}

/**
 * Per class c with n_c partition rows: round(0.1·n_c) to validation (when asked; a class of one row trains),
 * the rest to train, and round(0.25·n_c) test-split rows of class c (at most all of them) to the local test.
 * @example
 * const { train, validation, test } = splitClientRows({ indices, trainLabels, testLabels, seed, clientId: 3, validation: true });
 */
export function splitClientRows(init: ClientSplitInit): ClientRows {
  const rng = createRng(init.seed).fork(`client-rows/${init.clientId}`);
  const own = byClass(init.indices, init.trainLabels);
  const testPool = byClass(Int32Array.from({ length: init.testLabels.length }, (_, i) => i), init.testLabels);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const y of [...own.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle([...(own.get(y) ?? [])]);
    const nVal = init.validation && rows.length >= 2 ? Math.round(rows.length * CLIENT_VALIDATION_FRACTION) : 0;
    validation.push(...rows.slice(0, nVal));
    train.push(...rows.slice(nVal));
    const pool = rng.shuffle([...(testPool.get(y) ?? [])]);
    test.push(...pool.slice(0, Math.min(pool.length, Math.round(rows.length * CLIENT_TEST_RATIO))));
  }
  // Shuffled once more so a minibatch of the train rows mixes classes.
  return { train: Int32Array.from(rng.shuffle(train)), validation: Int32Array.from(validation), test: Int32Array.from(test) };
}
