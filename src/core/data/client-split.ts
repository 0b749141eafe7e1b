/**
 * A federated client's own rows split three ways (spec §4.7: "each client keeps 20 % of its data as a local
 * test set drawn from its own distribution"): train (statistics / local SGD), validation (pFedACnnL picks λ
 * on it) and local test (the client's accuracy under the global and the personal model). Per class, so the
 * three parts follow the client's label distribution; seeded by (run seed, client id) so the coordinator and
 * the hosting tab agree without sending the split.
 */
import { createRng } from '../rng.ts';

/** Fractions of each class: validation 10 %, local test 20 %, the rest (70 %) trains. */
export const CLIENT_VALIDATION_FRACTION = 0.1;
export const CLIENT_TEST_FRACTION = 0.2;

/** Index lists into the training split, disjoint, together the client's rows. */
export interface ClientRows {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/**
 * Splits `indices` (a client's rows of the training split, `labels` indexed by them) class by class:
 * round(n_c·0.2) rows to test, round(n_c·0.1) to validation, the rest to train; a class with one row trains.
 * @example
 * const { train, validation, test } = splitClientRows(indices, labels, seed, clientId);
 */
export function splitClientRows(indices: Int32Array, labels: Uint8Array, seed: number, clientId: number): ClientRows {
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const y = labels[i] ?? 0;
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  const rng = createRng(seed).fork(`client-rows/${clientId}`);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle(byClass.get(y) ?? []);
    const nTest = rows.length < 2 ? 0 : Math.round(rows.length * CLIENT_TEST_FRACTION);
    const nVal = rows.length < 2 ? 0 : Math.round(rows.length * CLIENT_VALIDATION_FRACTION);
    test.push(...rows.slice(0, nTest));
    validation.push(...rows.slice(nTest, nTest + nVal));
    train.push(...rows.slice(nTest + nVal));
  }
  // Shuffled once more so a minibatch of the train rows mixes classes.
  return { train: Int32Array.from(rng.shuffle(train)), validation: Int32Array.from(validation), test: Int32Array.from(test) };
}
