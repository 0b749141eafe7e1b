/**
 * Text for the federated cards (clients, layers): personalisation gain in percentage points, pFedACnnL's λ,
 * short peer ids and the analytic layer states. Pure functions, no DOM, so the wording is unit-tested apart
 * from the tables that show it.
 */
import { formatSignificant, MISSING } from './format.ts';
import type { AnalyticProgress } from './snapshot.ts';

/** Algorithms whose runs solve the model layer by layer in closed form (their "steps" are layers). */
const ANALYTIC_ALGOS: ReadonlySet<string> = new Set(['fedacnnl', 'pfedacnnl']);

/** True for a layer-wise analytic run (`step`/`stepsPerEpoch` are solved layers / layers). */
export function isAnalyticAlgo(algo: string): boolean {
  return ANALYTIC_ALGOS.has(algo);
}

/**
 * Gain of the personal model over the global one, in percentage points (unrounded); null when either
 * accuracy is missing.
 * @example gainPoints(0.9, 0.935) // 3.5 (points, unrounded)
 */
export function gainPoints(globalAccuracy: number | null, personalAccuracy: number | null): number | null {
  if (globalAccuracy === null || personalAccuracy === null) return null;
  const pts = (personalAccuracy - globalAccuracy) * 100;
  return Number.isFinite(pts) ? pts : null;
}

/**
 * A gain in points: "+3.5 pts", "−1.2 pts", "0.0 pts" (no sign when it rounds to zero), "–" when missing.
 * @example formatGain(3.456) // "+3.5 pts"
 */
export function formatGain(points: number | null): string {
  if (points === null || !Number.isFinite(points)) return MISSING;
  const text = Math.abs(points).toFixed(1);
  // A gain that rounds to 0.0 gets no sign: "+0.0" would claim a direction the digits do not show.
  if (text === '0.0') return '0.0 pts';
  return `${points > 0 ? '+' : '−'}${text} pts`;
}

/** The sign of a gain as shown (1, -1 or 0 when it rounds to 0.0 or is missing), for colouring. */
export function gainSign(points: number | null): -1 | 0 | 1 {
  // Same rounding as formatGain, so a "0.0 pts" cell is never coloured as a gain or a loss.
  if (points === null || !Number.isFinite(points) || Math.abs(points).toFixed(1) === '0.0') return 0;
  return points > 0 ? 1 : -1;
}

/**
 * pFedACnnL's λ (a multiple of tr(A_k)/d) with 3 significant digits. A null λ means ∞ (the group's anchor,
 * no personal ridge) when the client has a personal accuracy, and "no λ at all" otherwise.
 * @example formatLambda(0.0125, 0.9) // "0.0125"; formatLambda(null, 0.9) // "∞"; formatLambda(null, null) // "–"
 */
export function formatLambda(lambda: number | null, personalAccuracy: number | null): string {
  if (lambda !== null) return formatSignificant(lambda, 3);
  return personalAccuracy === null ? MISSING : '∞';
}

/** Ids up to this length are shown whole. */
const SHORT_ID_MAX = 14;
/** Characters kept from the start and the end of a longer id: the start tells a room's own ids apart, the end the suffixes. */
const SHORT_ID_HEAD = 8;
const SHORT_ID_TAIL = 4;

/**
 * A peer id shortened in the middle so a table column stays narrow (the full id goes in a tooltip).
 * @example shortPeerId('3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2') // "3f2a9c41…b1e2"
 */
export function shortPeerId(id: string): string {
  return id.length <= SHORT_ID_MAX ? id : `${id.slice(0, SHORT_ID_HEAD)}…${id.slice(-SHORT_ID_TAIL)}`;
}

/** What a layer of an analytic run is doing. */
export type LayerState = 'solved' | 'collecting' | 'waiting';

/**
 * The state of layer `index`: layers below `solved` are solved; the next one is collecting while tabs are
 * expected to send its statistics; the rest (and the next one before any tab is asked) are waiting.
 */
export function layerState(a: AnalyticProgress, index: number): LayerState {
  if (index < a.solved) return 'solved';
  return index === a.solved && a.expected > 0 ? 'collecting' : 'waiting';
}

/** The state column's words: "solved", "collecting 2 of 3 tabs", "waiting". */
export function layerStateText(a: AnalyticProgress, index: number): string {
  const state = layerState(a, index);
  if (state !== 'collecting') return state;
  return `collecting ${a.received} of ${a.expected} ${a.expected === 1 ? 'tab' : 'tabs'}`;
}
