/**
 * The coordinator tab's model files: a checkpoint in IndexedDB at every epoch's end, resuming the room's
 * run from the newest one when the room is opened again, and TF.js model files (download, load to evaluate
 * or to start a run from). Step-based runs only (dp, dho2, kfac): their model is the coordinator replica.
 *
 * @example
 * const persist = await ModelPersistence.open(room, (level, text) => log(level, text));
 * const resume = await persist.resumable(cfg);       // null: start afresh
 * new CoordinatorRuntime({ …, resume: resume?.snapshot, onCheckpoint: (s) => persist.save(config, s) });
 */
import * as tf from '@tensorflow/tfjs';
import type { Algo, RunConfig } from '../protocol/messages.ts';
import { getModel, type ModelDef } from '../compute/models.ts';
import { loadModelParams, saveModelArtifacts } from '../compute/model-files.ts';
import { Replica } from '../compute/replica.ts';
import type { RunSnapshot } from '../roles/coordinator/runtime.ts';
import { CheckpointStore, createIndexedDbBackend } from '../platform/checkpoint-store.ts';
import type { Checkpoint, CheckpointTensor } from '../platform/checkpoint-codec.ts';

/** Runs whose whole model is the coordinator replica, so a checkpoint of it is the run. */
export const CHECKPOINTED_ALGOS: readonly Algo[] = ['dp', 'dho2', 'kfac'];

export type Logger = (level: 'info' | 'warn' | 'error', text: string) => void;

export interface Resumable {
  readonly config: RunConfig;
  readonly snapshot: RunSnapshot;
  readonly savedAt: number;
}

const named = (def: ModelDef, arrays: readonly Float32Array[], prefix: (i: number) => string): CheckpointTensor[] =>
  arrays.map((data, i) => {
    const spec = def.params[i % def.params.length];
    return { name: `${prefix(i)}${spec?.name ?? String(i)}`, shape: spec?.shape ?? [data.length], data };
  });

/** True when `arrays` has one array per parameter of `def` (repeated `times` times), each of the right size. */
function fits(def: ModelDef, arrays: readonly CheckpointTensor[], times: number): boolean {
  if (arrays.length !== def.params.length * times) return false;
  return arrays.every((t, i) => t.data.length === (def.params[i % def.params.length]?.shape.reduce((a, b) => a * b, 1) ?? -1));
}

export class ModelPersistence {
  /** The newest checkpoint this tab saved or resumed from: epoch and time. */
  checkpoint: { readonly epoch: number; readonly savedAt: number } | null = null;
  resumedFromEpoch: number | null = null;

  private constructor(private readonly room: string, private readonly store: CheckpointStore | null, private readonly log: Logger) {}

  /** Opens the room's checkpoint store; without IndexedDB (private mode, old browser) it keeps nothing and says so. */
  static open(room: string, log: Logger): ModelPersistence {
    try {
      if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available');
      const store = new CheckpointStore(createIndexedDbBackend(), 2, (key, reason) => { log('warn', `checkpoint ${key} skipped: ${reason}`); });
      return new ModelPersistence(room, store, log);
    } catch (e) {
      log('warn', `no checkpoints in this tab: ${e instanceof Error ? e.message : String(e)}`);
      return new ModelPersistence(room, null, log);
    }
  }

  /**
   * The room's newest checkpoint, when it continues a run like the one `wanted` asks for (same algorithm,
   * data set and model) that has epochs left; null otherwise (then a new run starts and overwrites it).
   */
  async resumable(wanted: RunConfig): Promise<Resumable | null> {
    if (this.store === null || !CHECKPOINTED_ALGOS.includes(wanted.algo)) return null;
    const r = await this.store.latest(this.room);
    if (!r.ok) {
      this.log('warn', `cannot read this room's checkpoints: ${r.error}`);
      return null;
    }
    const c = r.value;
    if (c === null) return null;
    const same = c.config.algo === wanted.algo && c.config.dataset === wanted.dataset && c.config.model === wanted.model;
    if (!same || c.epoch >= c.config.epochs) return null;
    const def = getModel(c.config.model);
    const slotsPer = c.slots.length / Math.max(1, def.params.length);
    if (!fits(def, c.params, 1) || !Number.isInteger(slotsPer) || !fits(def, c.slots, slotsPer)) {
      this.log('warn', `the room's checkpoint of epoch ${c.epoch} does not fit the ${c.config.model} model: starting afresh`);
      return null;
    }
    const optimizerStep = c.step; // one optimizer update per step in every checkpointed algorithm
    return { config: c.config, savedAt: c.savedAt, snapshot: { step: c.step, epoch: c.epoch, optimizerStep, params: c.params.map((t) => t.data), slots: c.slots.map((t) => t.data) } };
  }

  /** This tab became the coordinator and continues `r`. */
  noteResumed(r: Resumable): void {
    this.resumedFromEpoch = r.snapshot.epoch;
    this.checkpoint = { epoch: r.snapshot.epoch, savedAt: r.savedAt };
    this.log('info', `resuming this room's run from its checkpoint of epoch ${r.snapshot.epoch} (saved ${new Date(r.savedAt).toLocaleString()})`);
  }

  /** Stores `s` as the room's newest checkpoint (in the background; failures are logged, never thrown). */
  save(config: RunConfig, s: RunSnapshot): void {
    if (this.store === null) return;
    const def = getModel(config.model);
    const per = def.params.length;
    const c: Checkpoint = {
      room: this.room, runId: config.runId, config, epoch: s.epoch, step: s.step, savedAt: Date.now(),
      params: named(def, s.params, () => ''), slots: named(def, s.slots, (i) => `slot${Math.floor(i / per)}/`),
    };
    this.store.save(c).then(
      () => { this.checkpoint = { epoch: c.epoch, savedAt: c.savedAt }; this.log('info', `checkpoint of epoch ${c.epoch} saved in this browser`); },
      (e: unknown) => { this.log('warn', `checkpoint of epoch ${c.epoch} not saved: ${e instanceof Error ? e.message : String(e)}`); },
    );
  }
}

/** Downloads `params` as a TF.js Layers model (model.json + weights.bin), loadable with tf.loadLayersModel. */
export async function downloadModel(config: RunConfig, params: readonly Float32Array[]): Promise<void> {
  await saveModelArtifacts(getModel(config.model), params, `downloads://swarm-${config.dataset}-${config.model}`);
}

/** Reads a model.json + weights file pair chosen by the user into `model`'s parameters (validated). */
export async function readModelFiles(model: RunConfig['model'], files: readonly File[]): Promise<{ ok: true; params: Float32Array[] } | { ok: false; error: string }> {
  const json = files.find((f) => f.name.endsWith('.json'));
  const weights = files.filter((f) => f !== json);
  if (json === undefined || weights.length === 0) return { ok: false, error: 'choose the model.json file and its weights .bin file together' };
  const r = await loadModelParams(getModel(model), tf.io.browserFiles([json, ...weights]));
  if (!r.ok) return { ok: false, error: r.error };
  const params = await Promise.all(r.value.map(async (t) => (await t.data()) as Float32Array));
  for (const t of r.value) t.dispose();
  return { ok: true, params };
}

/** Test accuracy of `params` on the given test rows (a throwaway replica). */
export async function accuracyOf(model: RunConfig['model'], params: readonly Float32Array[], x: Float32Array, y: Uint8Array): Promise<number> {
  const replica = new Replica(getModel(model), { name: 'sgd', learningRate: 0 }, params, null, 0);
  try {
    return await replica.accuracy(x, y);
  } finally {
    replica.dispose();
  }
}
