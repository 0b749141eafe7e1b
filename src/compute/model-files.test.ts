import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.ts';
import { loadModelParams, saveModelArtifacts } from './model-files.ts';
import type { ModelDef } from './models.ts';
import { getModel, IMAGE_PIXELS, initialParams } from './models.ts';

let tensorsAtStart = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tensorsAtStart = tf.memory().numTensors;
});
afterAll(() => {
  // Every test disposes what it made: nothing here or in model-files.ts may leak.
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
});

/** He-initialised weights with random (non-zero) biases, so a bias mix-up would show. */
function trainedLike(def: ModelDef, seed: number): Float32Array[] {
  const rng = createRng(seed + 100);
  return initialParams(def, seed).map((p, i) => (def.params[i]!.fanIn === 0 ? p.map(() => rng.normal() * 0.5) : p));
}

async function save(def: ModelDef, params: readonly (tf.Tensor | Float32Array)[]): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await saveModelArtifacts(def, params, tf.io.withSaveHandler((a) => { saved = a; return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }); }));
  if (saved === undefined) throw new Error('nothing saved');
  return saved;
}

async function expectErr(def: ModelDef, a: tf.io.IOHandler | tf.io.ModelArtifacts, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const r = await loadModelParams(def, a);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

const withWeights = (a: tf.io.ModelArtifacts, edit: (f: Float32Array) => void): tf.io.ModelArtifacts => {
  const f = new Float32Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  edit(f);
  return { ...a, weightData: f.buffer };
};

describe('model files', () => {
  for (const name of ['mlp', 'cnn'] as const) {
    it(`${name}: tf.loadLayersModel of the exported file predicts exactly what def.forward does`, async () => {
      const def = getModel(name);
      const params = trainedLike(def, 5).map((p, i) => tf.tensor(p, [...def.params[i]!.shape]));
      const before = tf.memory().numTensors;
      const artifacts = await save(def, params);
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const x = tf.randomUniform([16, IMAGE_PIXELS], 0, 1, 'float32', 9);
      const [ours, theirs] = tf.tidy(() => [def.forward(params, x as tf.Tensor2D), model.predict(x) as tf.Tensor]);
      expect(theirs.shape).toEqual([16, 10]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(ours)).dataSync()[0]!);
      expect(scale).toBeGreaterThan(0.1); // the comparison is not between two near-zero outputs
      expect(diff).toBeLessThan(1e-5);
      tf.dispose([x, ours, theirs, ...params]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before - params.length);
    });

    it(`${name}: save then load gives back identical parameters in model order`, async () => {
      const def = getModel(name);
      const params = trainedLike(def, 6);
      const artifacts = await save(def, params);
      expect(artifacts.weightSpecs?.map((s) => s.name)).toEqual(def.params.map((p) => p.name));
      for (const source of [tf.io.fromMemory(artifacts), artifacts]) {
        const r = await loadModelParams(def, source);
        if (!r.ok) throw new Error(r.error);
        expect(r.value.map((t) => t.shape)).toEqual(def.params.map((p) => [...p.shape]));
        // Byte equality (a deep toEqual over 100k floats is slow): bit-identical values, NaN-safe.
        const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        r.value.forEach((t, i) => { expect(Buffer.compare(bytes(t.dataSync() as Float32Array), bytes(params[i]!))).toBe(0); });
        tf.dispose(r.value);
      }
    });
  }

  it('refuses a file of the other model, naming the mismatch', async () => {
    const cnnFile = await save(getModel('cnn'), trainedLike(getModel('cnn'), 1));
    await expectErr(getModel('mlp'), cnnFile, /holds a 'cnn' model, this run uses 'mlp'/);
    const anonymous = { ...cnnFile, userDefinedMetadata: undefined };
    await expectErr(getModel('mlp'), anonymous, /weight 0 'conv1\/kernel' has shape \[3, 3, 1, 8\], the mlp model's 'dense1\/kernel' is \[784, 128\]/);
  });

  it('refuses a file whose layers compute something else, even with the right weight shapes', async () => {
    const def = getModel('mlp');
    const a = await save(def, trainedLike(def, 2));
    const sigmoid = JSON.parse(JSON.stringify(a.modelTopology).replace('"relu"', '"sigmoid"')) as object;
    await expectErr(def, { ...a, modelTopology: sigmoid }, /layer 0 .*sigmoid.* differs from the mlp model's .*relu/);
    await expectErr(def, { ...a, modelTopology: { class_name: 'Sequential' } }, /no Sequential model topology/);
  });

  it('refuses damaged weights and unreadable files without leaking', async () => {
    const def = getModel('mlp');
    const a = await save(def, trainedLike(def, 3));
    const bytes = tf.io.CompositeArrayBuffer.join(a.weightData);
    await expectErr(def, { ...a, weightData: bytes.slice(0, bytes.byteLength - 4) }, /weight data ends before weight 'dense2\/bias'/);
    await expectErr(def, { ...a, weightData: new Uint8Array(bytes.byteLength + 8).buffer }, /8 bytes more/);
    await expectErr(def, withWeights(a, (f) => { f[5] = Number.NaN; }), /'dense1\/kernel' holds a non-finite value/);
    await expectErr(def, { ...a, weightSpecs: a.weightSpecs!.map((s, i) => (i === 1 ? { ...s, dtype: 'int32' as const } : s)) }, /'dense1\/bias' is not plain float32/);
    await expectErr(def, { ...a, weightSpecs: a.weightSpecs!.slice(0, 3) }, /3 weights, the mlp model needs 4/);
    await expectErr(def, { ...a, weightData: undefined }, /no weights/);
    await expectErr(def, { ...a, format: 'graph-model' }, /not a TensorFlow.js Layers model/);
    await expectErr(def, { load: () => Promise.reject(new Error('bad JSON')) }, /cannot read the model file: bad JSON/);
    await expectErr(def, { save: () => Promise.reject(new Error('unused')) }, /cannot load/);
  });

  it('save refuses parameters that do not fit the model', async () => {
    const def = getModel('mlp');
    const params = trainedLike(def, 4);
    await expect(saveModelArtifacts(def, params.slice(1), tf.io.withSaveHandler(() => Promise.reject(new Error('unreached'))))).rejects.toThrow(RangeError);
    await expect(saveModelArtifacts(def, [params[0]!, params[0]!, params[2]!, params[3]!], tf.io.withSaveHandler(() => Promise.reject(new Error('unreached'))))).rejects.toThrow(/dense1\/bias must hold 128 values/);
  });
});
