/**
 * The worker's side of the second-order methods' shard operations (algos 'dho2' and 'kfac'): it keeps the
 * curvature state this tab owns, a core ShardOwner for DHO2 or the factor inverses of its K-FAC layers, and
 * answers each `shard-op` with a `shard-reply`. Every op is checked (plan epoch, lengths, finiteness) by the
 * owner code; a bad op is refused with a reason, never thrown, and leaves the state usable.
 */
import { flatten } from '../../core/math/flat-params.ts';
import { createFosi } from '../../core/optim/fosi.ts';
import { checkFactorSums, invertFactors, preconditionLayer, type KfacInverse } from '../../core/optim/kfac.ts';
import { packedLength } from '../../core/analytic/packed-symmetric.ts';
import { ShardOwner } from '../../core/optim/shard-owner.ts';
import { assertNever, err, ok, type Result } from '../../core/result.ts';
import type { Algo, ShardOpMsg, ShardPlanMsg, ShardReplyMsg } from '../../protocol/messages.ts';
import { f32, f64 } from '../../protocol/wire-tensor.ts';
import { MLP_DENSE_LAYERS } from '../../compute/kfac-stats.ts';

interface Answer {
  readonly values?: Float64Array;
  readonly vector?: Float32Array;
}

const EMPTY: Answer = {};

export class ShardHost {
  private planEpoch = -1;
  private owner: ShardOwner | null = null;
  private readonly kfac = new Map<number, KfacInverse>();
  private damping = 0;
  private kfacFloats = 0;

  constructor(private readonly self: string, private readonly algo: Algo, private readonly n: number) {}

  /** Installs a plan; owners of the previous plan drop their state (the coordinator re-planned). */
  plan(msg: ShardPlanMsg): Result<void, string> {
    this.planEpoch = msg.epoch;
    this.owner = null;
    this.kfac.clear();
    this.kfacFloats = 0;
    this.damping = msg.damping;
    const p = msg.owners.indexOf(this.self);
    if (p < 0 || this.algo === 'kfac') return ok(undefined);
    const sizes = Array.from(msg.sizes.data);
    if (sizes.length !== msg.owners.length || sizes.reduce((a, b) => a + b, 0) !== this.n) return err(`shard sizes do not cover the ${this.n} parameters`);
    const offset = sizes.slice(0, p).reduce((a, b) => a + b, 0);
    const lr = msg.learningRate;
    const base = msg.base === 'adam' ? { kind: 'adam' as const, lr } : msg.base === 'sgd' ? { kind: 'sgd' as const, lr } : { kind: 'heavy-ball' as const, lr };
    const fosi = createFosi({ base, alpha: msg.newtonRate, clip: msg.clip, decay: msg.decay, eigenvalueShift: msg.eigenvalueShift }).config;
    this.owner = new ShardOwner({ n: this.n, offset, size: sizes[p] ?? 0, fosi, ...(msg.extrapolationSigma > 0 ? { extrapolation: { sigma: msg.extrapolationSigma } } : {}) });
    return ok(undefined);
  }

  /** Floats of curvature state held now (float64 counted twice). */
  heldFloats(): number {
    return this.owner?.curvatureFloats().total ?? this.kfacFloats;
  }

  /** Carries out one op; the reply says why if it was refused. */
  answer(msg: ShardOpMsg): ShardReplyMsg {
    const r = msg.planEpoch !== this.planEpoch ? err(`op for plan ${msg.planEpoch}, this tab has plan ${this.planEpoch}`) : this.run(msg);
    const a = r.ok ? r.value : EMPTY;
    const values = a.values ?? new Float64Array(0);
    const vector = a.vector ?? new Float32Array(0);
    return {
      type: 'shard-reply', runId: msg.runId, seq: msg.seq, values: f64([values.length], values), vector: f32([vector.length], vector),
      heldFloats: this.heldFloats(), error: r.ok ? '' : r.error.slice(0, 200),
    };
  }

  private run(msg: ShardOpMsg): Result<Answer, string> {
    if (msg.op === 'kfac-install' || msg.op === 'kfac-precondition') return this.runKfac(msg);
    const o = this.owner;
    if (o === null) return err('this tab owns no DHO2 shard');
    const values = msg.values.data instanceof Float64Array ? msg.values.data : new Float64Array(0);
    const vector = msg.vector.data instanceof Float32Array ? msg.vector.data : new Float32Array(0);
    switch (msg.op) {
      case 'draw-start': return map(o.drawStart(msg.arg >>> 0), (x) => ({ values: Float64Array.of(x) }));
      case 'append-row': return map(o.appendRow(msg.arg), (row) => ({ vector: row }));
      case 'set-hvp': return map(o.setHvp(msg.arg, vector), (x) => ({ values: prepend(x.dot, x.projections) }));
      case 'project': return ok({ values: o.project() });
      case 'subtract': return map(o.subtract(values), (x) => ({ values: prepend(x.norm2, x.projections) }));
      case 'form-ritz': {
        const [r, m] = [msg.values.shape[0] ?? 0, msg.values.shape[1] ?? 0];
        if (msg.values.shape.length !== 2) return err('form-ritz needs an [r, m] coefficient matrix');
        const coeffs = Array.from({ length: r }, (_, j) => values.slice(j * m, (j + 1) * m));
        return map(o.formRitz(coeffs), (norms) => ({ values: norms }));
      }
      case 'scale-ritz': return map(o.scaleRitz(values), () => EMPTY);
      case 'install': return map(o.install(values, msg.arg, values.length - msg.arg), () => EMPTY);
      case 'clear-basis': o.clearBasis(); return ok(EMPTY);
      case 'step-project': return map(o.stepProject(vector), (a) => ({ values: a }));
      case 'step-base': return map(o.stepBase(values), (e) => ({ values: e }));
      case 'step-finish': return map(o.stepFinish(values), (d) => ({ vector: d }));
      case 'anchor': o.anchor(); return ok(EMPTY);
      case 'extrapolate': return map(o.extrapolate(), (d) => ({ vector: d }));
      // Consensus ADMM: the installed V_p rows back to back ([r, size]), gathered into full rows for local steps.
      case 'eigvecs': return ok({ vector: flatten(o.eigvecs) });
      default: return assertNever(msg.op);
    }
  }

  private runKfac(msg: ShardOpMsg): Result<Answer, string> {
    if (this.algo !== 'kfac') return err('not a K-FAC run');
    const layer = msg.arg;
    const dims = Number.isInteger(layer) ? MLP_DENSE_LAYERS[layer] : undefined;
    if (dims === undefined) return err(`no layer ${layer}`);
    if (msg.op === 'kfac-install') {
      const v = msg.values.data instanceof Float64Array ? msg.values.data : new Float64Array(0);
      const [pa, pg] = [packedLength(dims.dIn), packedLength(dims.dOut)];
      if (v.length !== 1 + pa + pg) return err(`factors of layer ${layer}: ${v.length} values, expected ${1 + pa + pg}`);
      const f = checkFactorSums({ dIn: dims.dIn, dOut: dims.dOut, count: v[0] ?? 0, aUpper: v.slice(1, 1 + pa), gUpper: v.slice(1 + pa) }, dims.dIn, dims.dOut);
      if (!f.ok) return err(f.error);
      const inv = invertFactors(f.value, this.damping);
      if (!inv.ok) return err(inv.error);
      this.kfac.set(layer, inv.value);
      this.kfacFloats = [...this.kfac.keys()].reduce((s, l) => s + 2 * ((MLP_DENSE_LAYERS[l]?.dIn ?? 0) ** 2 + (MLP_DENSE_LAYERS[l]?.dOut ?? 0) ** 2), 0);
      return ok(EMPTY);
    }
    const inv = this.kfac.get(layer);
    if (inv === undefined) return err(`no factors for layer ${layer} yet`);
    const g = msg.vector.data instanceof Float32Array ? msg.vector.data : new Float32Array(0);
    if (g.length !== dims.dIn * dims.dOut || !g.every(Number.isFinite)) return err(`layer ${layer} gradient: bad length or a non-finite value`);
    return ok({ vector: preconditionLayer(inv, g) });
  }
}

function map<T, U>(r: Result<T, string>, f: (x: T) => U): Result<U, string> {
  return r.ok ? ok(f(r.value)) : r;
}

function prepend(x: number, rest: Float64Array): Float64Array {
  const out = new Float64Array(1 + rest.length);
  out[0] = x;
  out.set(rest, 1);
  return out;
}
