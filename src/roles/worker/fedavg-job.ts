/**
 * The worker's side of FedAvg (algo 'fedavg'), with no reducer state: which clients this tab hosts (from
 * its `assign`), one round of local training over all of them, and their local test accuracies for the
 * final `client-report`. The runtime calls these; the coordinator only ever sees the tab's sample-weighted
 * mean of its clients' parameters, which is exactly what it would compute from the clients one by one.
 */
import { trainLocally } from '../../compute/local-sgd.ts';
import type { ModelDef } from '../../compute/models.ts';
import { Replica } from '../../compute/replica.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { splitClientRows, type ClientRows } from '../../core/data/client-split.ts';
import type { Split } from '../../core/data/dataset.ts';
import { weightedMean } from '../../core/math/weighted-mean.ts';
import { createRng } from '../../core/rng.ts';
import type { RunConfig } from '../../protocol/messages.ts';

/** A federated client this tab hosts: its run-wide id, pFedACnnL group, and its own rows split three ways. */
export interface HostedClient {
  readonly id: number;
  readonly group: number;
  readonly rows: ClientRows;
}

/** The tab's part of an `assign`, as arrays (validated by the protocol: offsets rise from 0 to indices.length). */
export interface HostedAssign {
  readonly indices: Int32Array;
  readonly offsets: Int32Array;
  readonly clientIds: Int32Array;
  readonly clientGroups: Int32Array;
}

/**
 * The hosted clients of an assign, each with its rows (train, optional validation, local test from the test
 * split) by (seed, client id), the same split every tab and the coordinator would compute.
 */
export function hostedClients(assign: HostedAssign, labels: { train: Uint8Array; test: Uint8Array }, seed: number, validation: boolean): HostedClient[] {
  return Array.from(assign.clientIds, (id, c) => {
    const indices = assign.indices.subarray(assign.offsets[c] ?? 0, assign.offsets[c + 1] ?? 0);
    return { id, group: assign.clientGroups[c] ?? 0, rows: splitClientRows({ indices, trainLabels: labels.train, testLabels: labels.test, seed, clientId: id, validation }) };
  });
}

export interface FedAvgRoundJob {
  readonly model: ModelDef;
  /** The round's global parameters (float32, model order). */
  readonly params: readonly Float32Array[];
  readonly clients: readonly HostedClient[];
  /** The data set's training split (the clients' rows index into it). */
  readonly train: Split;
  readonly config: RunConfig;
  readonly round: number;
  /** Awaited between minibatches (a yield to the event loop, so heartbeats keep flowing). */
  readonly onBatch?: () => Promise<void>;
}

export interface FedAvgRoundResult {
  /** Training rows over all hosted clients (the tab's FedAvg weight); 0 when none has any. */
  readonly count: number;
  /** Σ of the clients' last-epoch loss sums. */
  readonly lossSum: number;
  /** Row-weighted mean of the clients' trained parameters; the round's parameters (copied) when count is 0. */
  readonly params: Float32Array[];
}

/** The seed of client `clientId`'s local shuffles in round `round`: distinct per (run, round, client). */
export const localSeed = (runSeed: number, round: number, clientId: number): number =>
  createRng(runSeed).fork(`fedavg/round-${round}/client-${clientId}`).seed;

/**
 * One FedAvg round on this tab: every hosted client runs ClientUpdate (config.localEpochs epochs of plain
 * SGD, batch config.localBatch, rate config.learningRate) from `params` on its train rows, one after the
 * other; the result is their row-weighted mean, as the coordinator would weight them.
 * @throws RangeError / BatchIndexError when `params` or the clients' rows do not fit the model or split
 *   (the runtime checks the round's message against the model first).
 */
export async function runFedAvgRound(job: FedAvgRoundJob): Promise<FedAvgRoundResult> {
  const { config } = job;
  const parts: { weight: number; arrays: Float32Array[] }[] = [];
  let lossSum = 0;
  for (const c of job.clients) {
    const n = c.rows.train.length;
    if (n === 0) continue; // an empty client has no weight in the mean
    const { x, y } = toFloatBatch(job.train, c.rows.train, 0, n);
    const out = await trainLocally({
      model: job.model, params: job.params, x, y, epochs: config.localEpochs, batch: config.localBatch,
      learningRate: config.learningRate, seed: localSeed(config.seed, job.round, c.id), onBatch: job.onBatch,
    });
    parts.push({ weight: out.count, arrays: out.params });
    lossSum += out.lossSum;
  }
  const count = parts.reduce((n, p) => n + p.weight, 0);
  if (count === 0) return { count: 0, lossSum: 0, params: job.params.map((p) => p.slice()) };
  return { count, lossSum, params: weightedMean(parts) };
}

/**
 * Each client's accuracy on its own local test rows under `params` (NaN for a client without test rows),
 * in `clients` order: the "global model, local test" column of the client report.
 */
export async function localAccuracies(model: ModelDef, params: readonly Float32Array[], clients: readonly HostedClient[], test: Split): Promise<number[]> {
  // Any optimizer would do (nothing is trained); 'sgd' keeps no slots.
  const replica = new Replica(model, { name: 'sgd', learningRate: 0 }, params, null, 0);
  try {
    const out: number[] = [];
    for (const c of clients) {
      const n = c.rows.test.length;
      if (n === 0) { out.push(Number.NaN); continue; }
      const { x, y } = toFloatBatch(test, c.rows.test, 0, n);
      out.push(await replica.accuracy(x, y));
    }
    return out;
  } finally {
    replica.dispose();
  }
}
