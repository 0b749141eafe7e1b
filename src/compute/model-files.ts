/**
 * Model files in the standard TensorFlow.js Layers format (model.json + weights.bin): a trained functional
 * model (models.ts) is exported as an equivalent `tf.sequential` taking flat [batch, 784] images, so
 * `tf.loadLayersModel` can run it anywhere; a file is read back into our ordered parameter tensors to
 * evaluate or continue training.
 *
 * Loading treats the file as untrusted and never deserialises its topology (which could ask for huge layers):
 * it checks the architecture against our own model's, and every weight's dtype, shape and values against the
 * ModelDef, then cuts the float32 weights out of the weight data itself.
 *
 * @example
 *   await saveModelArtifacts(getModel('mlp'), snapshot.params, 'downloads://swarm-mnist-mlp');
 *   const params = await loadModelParams(getModel('mlp'), tf.io.browserFiles([jsonFile, binFile]));
 *   if (params.ok) replica.setParams(params.value.map((t) => t.dataSync() as Float32Array));
 */
import * as tf from '@tensorflow/tfjs';
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import type { ModelDef } from './models.ts';
import { IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES } from './models.ts';

/** The file's weights may not exceed this (our models are ~0.4 MB); bounds what an untrusted file allocates. */
export const MAX_MODEL_FILE_BYTES = 256 * 2 ** 20;
/** Written into userDefinedMetadata, so a loader can say which of our models a file holds. */
const METADATA_KEY = 'swarmModel';

/** Layer name of a parameter: our names are '<layer>/kernel' and '<layer>/bias', as tfjs-layers names weights. */
function layerName(def: ModelDef, index: number): string {
  const spec = def.params[index];
  if (spec === undefined) throw new RangeError(`${def.name} has no parameter ${index}`);
  return spec.name.slice(0, spec.name.lastIndexOf('/'));
}

/**
 * A tf.sequential computing exactly `def.forward`, with weights named as def.params (zero-initialised: the
 * caller sets them). The caller disposes it.
 */
export function buildLayersModel(def: ModelDef): tf.Sequential {
  const init = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  const model = tf.sequential({ name: `swarm_${def.name}` });
  switch (def.name) {
    case 'mlp':
      model.add(tf.layers.dense({ ...init, name: layerName(def, 0), inputShape: [IMAGE_PIXELS], units: def.params[1]?.shape[0] ?? 0, activation: 'relu' }));
      model.add(tf.layers.dense({ ...init, name: layerName(def, 2), units: NUM_CLASSES }));
      break;
    case 'cnn': {
      // models.ts: conv 3x3 'same' + bias → relu → 2x2 max-pool stride 2 'valid', twice; NHWC flatten → dense.
      const conv = (i: number) => tf.layers.conv2d({
        ...init, name: layerName(def, i), filters: def.params[i + 1]?.shape[0] ?? 0, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu',
      });
      const pool = () => tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid' });
      model.add(tf.layers.reshape({ inputShape: [IMAGE_PIXELS], targetShape: [IMAGE_SIDE, IMAGE_SIDE, 1] }));
      model.add(conv(0));
      model.add(pool());
      model.add(conv(2));
      model.add(pool());
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ ...init, name: layerName(def, 4), units: NUM_CLASSES }));
      break;
    }
  }
  return model;
}

/**
 * Writes `params` (in def.params order) as a Layers model through `handler`: an IOHandler (e.g.
 * `tf.io.withSaveHandler`) or a URL such as 'downloads://swarm-mnist-mlp'.
 * @throws RangeError when `params` do not fit `def` (a programmer error); rejects when the handler fails.
 */
export async function saveModelArtifacts(
  def: ModelDef,
  params: readonly (tf.Tensor | Float32Array)[],
  handler: tf.io.IOHandler | string,
): Promise<tf.io.SaveResult> {
  if (params.length !== def.params.length) throw new RangeError(`${def.name} has ${def.params.length} parameters, got ${params.length}`);
  def.params.forEach((spec, i) => {
    const p = params[i];
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const got = p === undefined ? -1 : p instanceof Float32Array ? p.length : p.size;
    if (got !== size) throw new RangeError(`parameter ${spec.name} must hold ${size} values, got ${got}`);
  });
  // Checked all before creating any tensor, so a throw leaks nothing.
  const tensors = def.params.map((spec, i) => {
    const p = params[i] ?? new Float32Array(0);
    return p instanceof Float32Array ? tf.tensor(p, [...spec.shape]) : tf.reshape(p, [...spec.shape]);
  });
  const model = buildLayersModel(def);
  try {
    model.setWeights(tensors);
    model.setUserDefinedMetadata({ [METADATA_KEY]: def.name });
    return await model.save(handler);
  } finally {
    model.dispose();
    tf.dispose(tensors);
  }
}

/** Config keys that change what a layer computes (names, initialisers and dtypes do not). */
const ARCHITECTURE_KEYS = [
  'units', 'activation', 'use_bias', 'filters', 'kernel_size', 'strides', 'padding', 'pool_size', 'target_shape',
  'data_format', 'dilation_rate', 'batch_input_shape',
];

/** One line per layer: class and computing config; null when `topology` is not a Sequential-style topology. */
function architecture(topology: unknown): string[] | null {
  const rec = (u: unknown): Record<string, unknown> | null => (typeof u === 'object' && u !== null && !Array.isArray(u) ? u as Record<string, unknown> : null);
  const top = rec(rec(topology)?.model_config) ?? rec(topology);
  const config: unknown = top?.config;
  const layers: unknown = Array.isArray(config) ? config : rec(config)?.layers;
  if (!Array.isArray(layers)) return null;
  return (layers as unknown[]).map((layer) => {
    const cfg = rec(rec(layer)?.config) ?? {};
    const picked = ARCHITECTURE_KEYS.filter((k) => k in cfg).map((k) => [k, cfg[k]]);
    return `${String(rec(layer)?.class_name)} ${JSON.stringify(picked)}`;
  });
}

const referenceArchitectures = new Map<string, string[]>();
function referenceArchitecture(def: ModelDef): string[] {
  let arch = referenceArchitectures.get(def.name);
  if (arch === undefined) {
    const model = buildLayersModel(def);
    arch = architecture(model.toJSON(null, false)) ?? [];
    model.dispose();
    referenceArchitectures.set(def.name, arch);
  }
  return arch;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const isDim = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 && d <= MAX_MODEL_FILE_BYTES;

/** Float32 weights of the file's model group in def order, or why the file does not fit `def`. */
function readWeights(def: ModelDef, a: tf.io.ModelArtifacts): Result<Float32Array[], string> {
  const specs: unknown = a.weightSpecs;
  if (!Array.isArray(specs) || a.weightData === undefined) return err('the file has no weights');
  const data = tf.io.CompositeArrayBuffer.join(a.weightData);
  if (data.byteLength > MAX_MODEL_FILE_BYTES) return err(`weights are ${data.byteLength} bytes > ${MAX_MODEL_FILE_BYTES}`);
  const out: Float32Array[] = [];
  let offset = 0;
  for (const raw of specs as unknown[]) {
    const s = raw as Partial<tf.io.WeightsManifestEntry> | null;
    const shape: unknown = s?.shape;
    if (!Array.isArray(shape) || !(shape as unknown[]).every(isDim)) return err(`weight '${String(s?.name)}' has no valid shape`);
    if (s?.dtype !== 'float32' || s.quantization !== undefined) return err(`weight '${String(s?.name)}' is not plain float32 (got ${String(s?.dtype)}${s?.quantization ? ', quantized' : ''})`);
    const size = (shape as number[]).reduce((x, y) => Math.min(x * y, MAX_MODEL_FILE_BYTES), 1);
    if (offset + 4 * size > data.byteLength) return err(`weight data ends before weight '${String(s.name)}'`);
    if (s.group === undefined || s.group === 'model') {
      const spec = def.params[out.length];
      if (spec === undefined) return err(`the file has more weights than the ${def.name} model's ${def.params.length}`);
      if (shapeText(shape as number[]) !== shapeText(spec.shape)) {
        return err(`weight ${out.length} '${String(s.name)}' has shape ${shapeText(shape as number[])}, the ${def.name} model's '${spec.name}' is ${shapeText(spec.shape)}`);
      }
      const values = new Float32Array(data.slice(offset, offset + 4 * size));
      if (!values.every(Number.isFinite)) return err(`weight '${String(s.name)}' holds a non-finite value`);
      out.push(values);
    }
    offset += 4 * size;
  }
  if (out.length !== def.params.length) return err(`the file has ${out.length} weights, the ${def.name} model needs ${def.params.length}`);
  return offset === data.byteLength ? ok(out) : err(`weight data has ${data.byteLength - offset} bytes more than its specs describe`);
}

/** Why artifacts are not a Layers model of `def`'s architecture and weights, or the weights in def order. */
function checkArtifacts(def: ModelDef, a: tf.io.ModelArtifacts): Result<Float32Array[], string> {
  if (a.format !== undefined && a.format !== 'layers-model') return err(`not a TensorFlow.js Layers model (format '${a.format}')`);
  const declared = a.userDefinedMetadata?.[METADATA_KEY];
  if (typeof declared === 'string' && declared !== def.name) return err(`the file holds a '${declared.slice(0, 40)}' model, this run uses '${def.name}'`);
  const weights = readWeights(def, a);
  if (!weights.ok) return weights;
  const arch = architecture(a.modelTopology);
  if (arch === null) return err('the file has no Sequential model topology');
  const want = referenceArchitecture(def);
  const i = want.findIndex((line, k) => arch[k] !== line);
  if (i >= 0 || arch.length !== want.length) {
    const at = i >= 0 ? i : Math.min(arch.length, want.length);
    return err(`the file's layer ${at} (${arch[at]?.slice(0, 200) ?? 'none'}) differs from the ${def.name} model's (${want[at] ?? 'none'})`);
  }
  return weights;
}

/** Artifacts carry data fields; a handler carries `load` and/or `save` functions. */
const isIoHandler = (u: tf.io.IOHandler | tf.io.ModelArtifacts): u is tf.io.IOHandler => 'load' in u || 'save' in u;

/**
 * Reads a Layers model file (e.g. `tf.io.browserFiles([json, bin])`, `tf.io.fromMemory(artifacts)`, or the
 * artifacts themselves) as parameters of `def`, in def.params order; the caller owns the returned tensors.
 * Never throws: a failing handler, a different model or malformed weights give err.
 */
export async function loadModelParams(def: ModelDef, handlerOrArtifacts: tf.io.IOHandler | tf.io.ModelArtifacts): Promise<Result<tf.Tensor[], string>> {
  let artifacts: tf.io.ModelArtifacts;
  try {
    if (!isIoHandler(handlerOrArtifacts)) artifacts = handlerOrArtifacts;
    else if (handlerOrArtifacts.load !== undefined) artifacts = await handlerOrArtifacts.load();
    else return err('the IOHandler cannot load');
  } catch (e) {
    return err(`cannot read the model file: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const weights = checkArtifacts(def, artifacts);
    return weights.ok ? ok(def.params.map((spec, i) => tf.tensor(weights.value[i] ?? [], [...spec.shape]))) : weights;
  } catch (e) {
    // Defensive: the checks above read only validated fields, but artifacts come from arbitrary JSON.
    return err(`malformed model file: ${e instanceof Error ? e.message : String(e)}`);
  }
}
