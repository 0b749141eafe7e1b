/**
 * The automation surface: URL parameters that configure (and can start) a run without clicks. Parsing is
 * pure (URLSearchParams in, config out) and forgiving: a bad value falls back to the default and is
 * reported in `problems`, so a typo never leaves a tab blank.
 */
import { AGGREGATION_RULES, type AggregationRule } from '../core/math/robust-aggregate.ts';
import { DHO2_DEFAULTS, KFAC_DEFAULTS, type Dho2Options, type KfacOptions } from '../core/optim/second-order-options.ts';
import type { Algo, BackendName, DatasetName, ModelName, OptimizerName, PartitionScheme, Role } from '../protocol/messages.ts';

export interface UrlConfig {
  readonly room: string | null;
  readonly role: Role | null;
  readonly algo: Algo;
  readonly dataset: DatasetName;
  readonly model: ModelName;
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly epochs: number;
  readonly globalBatch: number;
  readonly minPeers: number;
  readonly seed: number;
  readonly backend: BackendName | null;
  readonly autostart: boolean;
  readonly partition: PartitionScheme;
  readonly alpha: number;
  readonly labelsPerClient: number;
  /** Federated runs: clients in total (0 = one per tab), rows used (0 = all), pFedACnnL groups, FedAvg's local work, masking. */
  readonly clients: number;
  readonly trainLimit: number;
  readonly groups: number;
  readonly localEpochs: number;
  readonly localBatch: number;
  readonly masking: boolean;
  /** dp: how the coordinator combines gradients (`?aggregate=mean|clip|trimmed|median`, default mean). */
  readonly aggregation: AggregationRule;
  /** DASO: the explicit `?group=` label (tabs with the same label form one group), or null. */
  readonly group: string | null;
  /** DASO: `?emulateGlobalLink=50ms,10MBps` delays sends to workers of other groups (bench and e2e only). */
  readonly emulateGlobalLink: GlobalLinkProfile | null;
  /** DASO schedule, wire and grouping options (`dasoWarmup`, `dasoCooldown`, `dasoMaxGs`, `dasoWire`, `dasoRttMs`). */
  readonly daso: DasoUrlOptions;
  /** Second-order options (algos 'dho2', 'kfac'), as roles/second-order-options.ts (structural: platform/ does not import roles/). */
  readonly dho2: Dho2UrlOptions;
  readonly kfac: KfacUrlOptions;
  readonly problems: readonly string[];
}

/**
 * DHO2 URL parameters: `dho2Variant` (sync|parallel|admm), `dho2Extrapolate`, `dho2K`, `dho2Order`, `dho2Refresh`,
 * `dho2Warmup`, `dho2Alpha`, `dho2Clip`, `dho2CurvBatch`, `dho2CurvTabs`, and for 'admm' `dho2AdmmSteps` (K, local
 * steps per round) and `dho2AdmmRho` (ρ₀, the starting penalty).
 */
export type Dho2UrlOptions = Dho2Options;
/** K-FAC URL parameters: `kfacEvery`, `kfacDamping`, `kfacBatch`. */
export type KfacUrlOptions = KfacOptions;

/** A link profile as transport/link-emulation.ts's LinkProfile (structural: platform/ does not import transport/). */
export interface GlobalLinkProfile {
  readonly latencyMs: number;
  readonly bytesPerSecond: number;
}

export interface DasoUrlOptions {
  readonly warmupEpochs: number;
  readonly cooldownEpochs: number;
  readonly maxGlobalSkips: number;
  readonly wire: 'bf16' | 'fp16' | 'fp32';
  /** `dasoRttMs=T`: measure round-trip times before the plan and merge devices closer than T ms; null = off. */
  readonly rttThresholdMs: number | null;
}

/** Room names become part of PeerJS ids, which allow only [A-Za-z0-9_-]. */
const ROOM_RE = /^[A-Za-z0-9_-]{1,40}$/;

export const DEFAULTS = {
  dataset: 'mnist', model: 'mlp', optimizer: 'adam', epochs: 3, globalBatch: 128, minPeers: 0, seed: 1,
  partition: 'iid', alpha: 0.5, labelsPerClient: 2, clients: 0, trainLimit: 0, groups: 4, localEpochs: 1, localBatch: 32,
} as const;

/**
 * DASO defaults: the small-scale reproduction of ALGORITHMS.md 3.9 (warmup = cooldown = 2 epochs, max_gs 8,
 * bf16 global messages).
 */
export const DASO_URL_DEFAULTS: DasoUrlOptions = { warmupEpochs: 2, cooldownEpochs: 2, maxGlobalSkips: 8, wire: 'bf16', rttThresholdMs: null };

/** `50ms,10MBps` (also `0ms`, `200ms,1.5MBps`, `20ms,500KBps`): one-way latency, then an optional bandwidth cap. */
const LINK_RE = /^(\d+(?:\.\d+)?)ms(?:,(\d+(?:\.\d+)?)(K|M|G)Bps)?$/;
const BYTE_UNITS = { K: 1e3, M: 1e6, G: 1e9 } as const;

/** Parses an `emulateGlobalLink` value; null when it does not match `<ms>ms[,<n>(K|M|G)Bps]`. */
export function parseLinkProfile(v: string): GlobalLinkProfile | null {
  const m = LINK_RE.exec(v.trim());
  if (m === null) return null;
  const latencyMs = Number(m[1]);
  const rate = m[2] === undefined ? Infinity : Number(m[2]) * BYTE_UNITS[(m[3] ?? 'M') as keyof typeof BYTE_UNITS];
  return rate > 0 ? { latencyMs, bytesPerSecond: rate } : null;
}

/** Default learning rates: Adam's usual 1e-3 is slow on 3 epochs of 8k samples; 2e-3 converges reliably. */
const DEFAULT_LR: Readonly<Record<OptimizerName, number>> = { adam: 0.002, 'sgd-momentum': 0.05, sgd: 0.05 };

export function parseUrlConfig(q: URLSearchParams): UrlConfig {
  const problems: string[] = [];
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = q.get(key);
    if (v === null) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${key}=${v} is not one of ${allowed.join('|')}; using ${fallback}`);
    return fallback;
  };
  /** An integer (or, `int` false, a number) in [min, max], or (min, max] when `minExclusive`. */
  const num = (key: string, fallback: number, min: number, max: number, int = true, minExclusive = false): number => {
    const v = q.get(key);
    if (v === null) return fallback;
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n) && (minExclusive ? n > min : n >= min) && n <= max && (!int || Number.isInteger(n))) return n;
    problems.push(`${key}=${v} is not ${int ? 'an integer' : 'a number'} in ${minExclusive ? '(' : '['}${min}, ${max}]; using ${fallback}`);
    return fallback;
  };
  const rawRoom = q.get('room');
  let room: string | null = null;
  if (rawRoom !== null) {
    if (ROOM_RE.test(rawRoom)) room = rawRoom;
    else problems.push(`room=${rawRoom} must be 1-40 of [A-Za-z0-9_-]; a new room is made`);
  }
  const roleRaw = q.get('role');
  const role = roleRaw === null ? null : oneOf<Role>('role', ['coordinator', 'worker'], 'worker');
  const backendRaw = q.get('backend');
  let backend: BackendName | null = null;
  if (backendRaw !== null && backendRaw !== 'auto') {
    const names: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
    if (names.includes(backendRaw)) backend = backendRaw as BackendName;
    else problems.push(`backend=${backendRaw} is not one of webgpu|webgl|wasm|cpu|auto; choosing automatically`);
  }
  const algo = oneOf<Algo>('algo', ['dp', 'fedacnnl', 'pfedacnnl', 'fedavg', 'daso', 'dho2', 'kfac'], 'dp');
  // FedAvg's local optimizer is plain SGD (spec §4.7: lr 0.05, 1 local epoch) unless one is asked for.
  const optimizer = oneOf<OptimizerName>('optimizer', ['adam', 'sgd-momentum', 'sgd'], algo === 'fedavg' ? 'sgd' : DEFAULTS.optimizer);
  const flag = (key: string): boolean => q.get(key) === '1' || q.get(key) === 'true';
  const groupRaw = q.get('group');
  let group: string | null = null;
  if (groupRaw !== null) {
    if (ROOM_RE.test(groupRaw)) group = groupRaw;
    else problems.push(`group=${groupRaw} must be 1-40 of [A-Za-z0-9_-]; no explicit group`);
  }
  const linkRaw = q.get('emulateGlobalLink');
  const emulateGlobalLink = linkRaw === null ? null : parseLinkProfile(linkRaw);
  if (linkRaw !== null && emulateGlobalLink === null) problems.push(`emulateGlobalLink=${linkRaw} is not like 50ms,10MBps; no emulation`);
  const daso: DasoUrlOptions = {
    warmupEpochs: num('dasoWarmup', DASO_URL_DEFAULTS.warmupEpochs, 0, 1000),
    cooldownEpochs: num('dasoCooldown', DASO_URL_DEFAULTS.cooldownEpochs, 0, 1000),
    maxGlobalSkips: num('dasoMaxGs', DASO_URL_DEFAULTS.maxGlobalSkips, 1, 1024),
    wire: oneOf('dasoWire', ['bf16', 'fp16', 'fp32'], DASO_URL_DEFAULTS.wire),
    // Off unless asked: tabs of two browsers on one computer are < 5 ms apart and would merge (ALGORITHMS.md 3.8).
    rttThresholdMs: q.has('dasoRttMs') ? num('dasoRttMs', 5, 0, 1000, false, true) : DASO_URL_DEFAULTS.rttThresholdMs,
  };
  const d = DHO2_DEFAULTS;
  const dho2: Dho2UrlOptions = {
    variant: oneOf('dho2Variant', ['sync', 'parallel', 'admm'], d.variant), extrapolate: flag('dho2Extrapolate'), extrapolationSigma: d.extrapolationSigma,
    k: num('dho2K', d.k, 1, 64), order: num('dho2Order', d.order, 0, 512), refreshEvery: num('dho2Refresh', d.refreshEvery, 1, 100_000),
    warmup: num('dho2Warmup', d.warmup, 1, 100_000), newtonRate: num('dho2Alpha', d.newtonRate, 0, 10, false), clip: num('dho2Clip', d.clip, 0, 1000, false),
    curvatureBatch: num('dho2CurvBatch', d.curvatureBatch, 1, 65536), curvatureTabs: num('dho2CurvTabs', d.curvatureTabs, 1, 256),
    // ρ₀ must be positive: with ρ = 0 the local problems decouple and residual balancing (ρ·τ, ρ/τ) can never move it.
    admmLocalSteps: num('dho2AdmmSteps', d.admmLocalSteps, 1, 1000), admmRho: num('dho2AdmmRho', d.admmRho, 0, 100, false, true),
  };
  const kfac: KfacUrlOptions = {
    every: num('kfacEvery', KFAC_DEFAULTS.every, 1, 100_000), damping: num('kfacDamping', KFAC_DEFAULTS.damping, 1e-8, 1e3, false),
    statsBatch: num('kfacBatch', KFAC_DEFAULTS.statsBatch, 1, 65536),
  };
  return {
    room, role, algo, dho2, kfac,
    dataset: oneOf<DatasetName>('dataset', ['mnist', 'fashion-mnist'], DEFAULTS.dataset),
    model: oneOf<ModelName>('model', ['mlp', 'cnn'], DEFAULTS.model),
    optimizer,
    learningRate: num('lr', DEFAULT_LR[optimizer], 1e-6, 10, false),
    epochs: num('epochs', DEFAULTS.epochs, 1, 1000),
    globalBatch: num('batch', DEFAULTS.globalBatch, 1, 65536),
    minPeers: num('minPeers', DEFAULTS.minPeers, 0, 256),
    seed: num('seed', DEFAULTS.seed, 0, 2 ** 31 - 1),
    backend,
    autostart: flag('autostart'),
    partition: oneOf<PartitionScheme>('partition', ['iid', 'dirichlet', 'labels'], DEFAULTS.partition),
    alpha: num('alpha', DEFAULTS.alpha, 1e-3, 1000, false),
    labelsPerClient: num('labels', DEFAULTS.labelsPerClient, 1, 10),
    clients: num('clients', DEFAULTS.clients, 0, 1000),
    trainLimit: num('trainLimit', DEFAULTS.trainLimit, 0, 1_000_000),
    groups: num('groups', DEFAULTS.groups, 1, 16),
    localEpochs: num('localEpochs', DEFAULTS.localEpochs, 1, 1000),
    localBatch: num('localBatch', DEFAULTS.localBatch, 1, 65536),
    masking: flag('masking'),
    aggregation: oneOf<AggregationRule>('aggregate', AGGREGATION_RULES, 'mean'),
    group, emulateGlobalLink, daso,
    problems,
  };
}

/** The PeerJS id a room's coordinator registers: whoever gets it first is the coordinator. */
export function coordinatorIdFor(room: string): string {
  return `swarm-${room}-coordinator`;
}
