/**
 * pFedACnnL in one process (spec §4.4, the "lower layers global, head per group" variant): train every
 * layer with FedACnnL on all clients, group the clients by label histogram, solve a head per group on the
 * group's summed head statistics, then give each client its personalised head
 * W_k = (A_k + (λ+γ)I)⁻¹(B_k + λW_anchor), λ picked on the client's own validation rows (`personalize.ts`).
 *
 * The anchor is the group head (pFedACnnL v1's group meta-model) or the global head (v2: "bridges the gap
 * between the global model and the individual data distribution"), whichever gives the better validation
 * accuracy, ties to the global one. Measured on MNIST (20 clients, linear head): a group head alone is
 * trained on a fraction of the rows and loses to the global head under mild skew (Dirichlet 0.5), while
 * under strong skew it wins; trying both costs one more solve per grid point. With `groups: 1` the two
 * anchors coincide.
 *
 * @example
 * const r = trainPFedAcnnl(train, validation, { ...fedInit, groups: 4 });
 * if (r.ok) r.value.clients[k].w; // client k's head; hidden layers are r.value.global.layers
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { forwardAnalytic, trainFedAcnnl } from './fedacnnl.ts';
import type { AnalyticModel, ClientData, FedAcnnlError, FedAcnnlInit } from './fedacnnl.ts';
import { sumGramStats } from './gram.ts';
import type { GramStats } from './gram-stats.ts';
import { chooseLambda, groupClients, labelHistogram } from './personalize.ts';
import { scaledGamma, solveRidge } from './ridge.ts';

/** Options of `trainPFedAcnnl`: FedACnnL's plus the grouping and the λ grid. */
export interface PFedAcnnlInit extends FedAcnnlInit {
  /** M, the number of groups (1: one meta-model, the global head re-solved). */
  readonly groups: number;
  /** Multiples of tr(A_k)/d to try (see `chooseLambda`); default its grid. */
  readonly lambdaGrid?: readonly number[];
}

/** One client's personalised head. */
export interface PersonalHead {
  readonly group: number;
  /** The model W_k was pulled towards. */
  readonly anchor: 'group' | 'global';
  /** The chosen λ (absolute; Infinity = the group head). */
  readonly lambda: number;
  /** The head, dIn×numClasses with the bias as last row. */
  readonly w: Float64Array;
  /** Accuracy on the validation rows at the chosen λ. */
  readonly validationAccuracy: number;
}

/** The global model, the group heads and each client's personal head. */
export interface PFedAcnnlResult {
  readonly global: AnalyticModel;
  readonly groupHeads: readonly Float64Array[];
  readonly clients: readonly PersonalHead[];
}

function groupHead(headStats: readonly GramStats[], members: readonly number[], gamma0: number): Result<Float64Array, string> {
  const first = headStats[0];
  if (first === undefined) return err('no clients');
  const sum = sumGramStats(first, members.map((k) => headStats[k] ?? first));
  if (!sum.ok) return err(sum.error.message);
  const solved = solveRidge(sum.value, { gamma: scaledGamma(sum.value, gamma0) });
  return solved.ok ? ok(solved.value.w) : err(solved.error.message);
}

/** Trains FedACnnL, then groups and personalises the head (module comment). */
export function trainPFedAcnnl(train: readonly ClientData[], validation: readonly ClientData[], init: PFedAcnnlInit): Result<PFedAcnnlResult, FedAcnnlError> {
  const fed = trainFedAcnnl(train, init);
  if (!fed.ok) return fed;
  const { model, headStats } = fed.value;
  const head = model.layers.length - 1;
  const fail = (message: string): Result<never, FedAcnnlError> => err({ layer: head, message });
  const groups = groupClients(train.map((c) => labelHistogram(c.labels, init.numClasses)), { groups: init.groups, seed: init.seed });
  const groupHeads: Float64Array[] = [];
  for (let g = 0; g < Math.max(...groups, 0) + 1; g++) {
    const w = groupHead(headStats, train.map((_, k) => k).filter((k) => groups[k] === g), init.gamma0);
    if (!w.ok) return fail(`group ${g}: ${w.error}`);
    groupHeads.push(w.value);
  }
  const globalHead = model.layers[head]?.w ?? new Float64Array(0);
  const clients: PersonalHead[] = [];
  for (const [k, local] of headStats.entries()) {
    const group = groups[k] ?? 0;
    const v = validation[k] ?? { x: new Float64Array(0), rows: 0, labels: [] };
    const base = {
      local,
      gamma: scaledGamma(local, init.gamma0),
      validation: { x: forwardAnalytic(model, v.x, v.rows, head), rows: v.rows, labels: v.labels },
      ...(init.lambdaGrid ? { grid: init.lambdaGrid } : {}),
    };
    const toGlobal = chooseLambda({ ...base, groupW: globalHead });
    const toGroup = chooseLambda({ ...base, groupW: groupHeads[group] ?? globalHead });
    if (!toGlobal.ok) return fail(`client ${k}: ${toGlobal.error.message}`);
    if (!toGroup.ok) return fail(`client ${k}: ${toGroup.error.message}`);
    const useGroup = toGroup.value.accuracy > toGlobal.value.accuracy;
    const pick = useGroup ? toGroup.value : toGlobal.value;
    clients.push({ group, anchor: useGroup ? 'group' : 'global', lambda: pick.lambda, w: pick.w, validationAccuracy: pick.accuracy });
  }
  return ok({ global: model, groupHeads, clients });
}
