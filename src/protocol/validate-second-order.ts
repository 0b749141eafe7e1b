/**
 * Validation of the second-order messages (algos 'dho2' and 'kfac', protocol 5), split out like
 * validate-daso.ts. Shapes and ranges are checked here; lengths against the shard layout, finiteness and the
 * order of ops are checked by the receiver, which knows the layout (core/optim/shard-owner.ts, the
 * coordinator's second-order conductor).
 */
import { MAX_DIM } from './frame.ts';
import type * as M from './messages.ts';
import type { Fields } from './validate-fields.ts';
import type { WireTensor } from './wire-tensor.ts';

/** Most shard owners: as `welcome.members`. */
export const MAX_OWNERS = 1024;
/** Most K-FAC factor tensors in one reply: two per dense layer, far above any model here. */
export const MAX_FACTOR_TENSORS = 64;
/** Longest refusal text. */
export const MAX_REPLY_ERROR_CHARS = 200;

const OPS: Readonly<Record<M.ShardOpName, true>> = {
  'draw-start': true, 'append-row': true, 'set-hvp': true, project: true, subtract: true, 'form-ritz': true, 'scale-ritz': true,
  install: true, 'clear-basis': true, 'step-project': true, 'step-base': true, 'step-finish': true, extrapolate: true, anchor: true, eigvecs: true,
  'kfac-install': true, 'kfac-precondition': true,
};
const BASES: Readonly<Record<M.BaseKind, true>> = { sgd: true, 'heavy-ball': true, adam: true };
const KINDS: Readonly<Record<M.CurvatureKind, true>> = { 'hvp-begin': true, hvp: true, 'hvp-end': true, 'kfac-factors': true };

/** A rank-1 or rank-2 tensor of `dtype` (possibly empty). */
function vectorOrMatrix(f: Fields, key: string, dtype: 'float32' | 'float64'): WireTensor {
  const t = f.tensor(key, dtype);
  f.require(key, t.shape.length === 1 || t.shape.length === 2, 'a rank-1 or rank-2 tensor', `rank ${t.shape.length}`);
  return t;
}

export function parseShardPlan(f: Fields): M.ShardPlanMsg {
  const m: M.ShardPlanMsg = {
    type: 'shard-plan', runId: f.id('runId'), epoch: f.count('epoch'), owners: f.ids('owners', MAX_OWNERS),
    sizes: f.shaped('sizes', 'int32', [MAX_OWNERS]), base: f.oneOf('base', BASES),
    learningRate: f.num('learningRate', 0, 10, true), newtonRate: f.num('newtonRate', 0, 10),
    clip: f.num('clip', 1, 1e6), decay: f.num('decay', 0, 1), eigenvalueShift: f.num('eigenvalueShift', -1e6, 1e6),
    extrapolationSigma: f.num('extrapolationSigma', 0, 1), damping: f.num('damping', 0, 1e6),
  };
  f.require('owners', m.owners.length >= 1 && new Set(m.owners).size === m.owners.length, 'distinct ids, at least one', 'a repeated one or none');
  f.require('sizes', Array.from(m.sizes.data).every((s) => s >= 1), 'positive sizes', 'a size below 1');
  return m;
}

export function parseShardOp(f: Fields): M.ShardOpMsg {
  const m: M.ShardOpMsg = {
    type: 'shard-op', runId: f.id('runId'), planEpoch: f.count('planEpoch'), seq: f.count('seq'), op: f.oneOf('op', OPS),
    arg: f.num('arg', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    values: vectorOrMatrix(f, 'values', 'float64'), vector: vectorOrMatrix(f, 'vector', 'float32'),
  };
  return m;
}

export function parseShardReply(f: Fields): M.ShardReplyMsg {
  const m: M.ShardReplyMsg = {
    type: 'shard-reply', runId: f.id('runId'), seq: f.count('seq'),
    values: vectorOrMatrix(f, 'values', 'float64'), vector: vectorOrMatrix(f, 'vector', 'float32'),
    heldFloats: f.num('heldFloats', 0, Number.MAX_SAFE_INTEGER), error: f.str('error', MAX_REPLY_ERROR_CHARS),
  };
  return m;
}

export function parseCurvatureRequest(f: Fields, maxRows: number): M.CurvatureRequestMsg {
  const m: M.CurvatureRequestMsg = {
    type: 'curvature-request', runId: f.id('runId'), seq: f.count('seq'), kind: f.oneOf('kind', KINDS),
    seed: f.int('seed', 0, 2 ** 32 - 1), rows: f.int('rows', 0, maxRows), vector: vectorOrMatrix(f, 'vector', 'float32'),
  };
  f.require('vector', m.vector.shape.length === 1, 'a rank-1 tensor', `rank ${m.vector.shape.length}`);
  return m;
}

export function parseCurvatureReply(f: Fields, maxRows: number): M.CurvatureReplyMsg {
  const factors = f.tensors('factors', 'float64');
  f.require('factors', factors.length <= MAX_FACTOR_TENSORS && factors.every((t) => t.shape.length === 1 && t.data.length <= MAX_DIM), `at most ${MAX_FACTOR_TENSORS} rank-1 tensors`, factors.length);
  const m: M.CurvatureReplyMsg = {
    type: 'curvature-reply', runId: f.id('runId'), seq: f.count('seq'), count: f.int('count', 0, maxRows),
    vector: vectorOrMatrix(f, 'vector', 'float32'), factors, error: f.str('error', MAX_REPLY_ERROR_CHARS),
  };
  return m;
}

/** Largest ρ accepted: far above what residual balancing reaches from ρ₀ ≤ 100 in a run. */
export const MAX_ADMM_RHO = 1e6;
/** Most local steps in one ADMM round. */
export const MAX_ADMM_STEPS = 10_000;

export function parseAdmmRound(f: Fields, maxBatch: number): M.AdmmRoundMsg {
  const m: M.AdmmRoundMsg = {
    type: 'admm-round', runId: f.id('runId'), round: f.count('round'), step: f.count('step'), steps: f.int('steps', 1, MAX_ADMM_STEPS),
    batchSize: f.int('batchSize', 0, maxBatch), rho: f.num('rho', 0, MAX_ADMM_RHO), newtonRate: f.num('newtonRate', 0, 10), clip: f.num('clip', 1, 1e6),
    restart: f.bool('restart'), anchor: f.tensors('anchor', 'float32'),
  };
  f.require('anchor', m.restart === (m.anchor.length === 0), 'empty exactly when restart', m.anchor.length);
  return m;
}

export function parseAdmmUpdate(f: Fields, maxCount: number): M.AdmmUpdateMsg {
  const m: M.AdmmUpdateMsg = {
    type: 'admm-update', runId: f.id('runId'), round: f.count('round'), count: f.int('count', 1, maxCount),
    lossSum: f.num('lossSum', 0, Number.MAX_VALUE), params: f.tensors('params', 'float32'),
  };
  return m;
}

export function parseAdmmCurvature(f: Fields): M.AdmmCurvatureMsg {
  const m: M.AdmmCurvatureMsg = {
    type: 'admm-curvature', runId: f.id('runId'), snapshotStep: f.count('snapshotStep'),
    eigvals: f.shaped('eigvals', 'float64', [MAX_DIM]), eigvecs: f.tensor('eigvecs', 'float32'),
  };
  f.require('eigvecs', m.eigvecs.shape.length === 2 && m.eigvecs.shape[0] === m.eigvals.data.length, `float32 [${m.eigvals.data.length}, n]`, m.eigvecs.shape.join('x'));
  return m;
}
