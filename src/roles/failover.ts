/**
 * Coordinator failover policy (pure): which runs can continue without their coordinator, and in what order
 * the workers try to take over. The coordinator announces the order (`succession`, coordinator/reducer.ts);
 * when it goes away mid-run, each listed worker waits its rank's slot, then tries to claim the room's
 * coordinator id on the signalling server. The server hands an id to one tab only, so even when slots
 * overlap (a slow tab, a dead deputy) exactly one tab becomes the coordinator; the others join it as
 * workers. app/failover.ts carries it out.
 *
 * @example
 * const plan = failoverPlan(worker.host.getState(), self); // null: this tab cannot take over
 * if (plan !== null) await sleep(plan.delayMs);
 */
import type { Algo } from '../protocol/messages.ts';
import type { WorkerState } from './worker/state.ts';

/**
 * Data-parallel runs only: every worker's replica holds the whole model and optimizer state after each
 * step, so any worker can continue the run. DHO2 and K-FAC keep curvature in shard owners and DASO and the
 * federated algorithms plan the run at its start: they still end when the coordinator goes away.
 */
export const FAILOVER_ALGOS: readonly Algo[] = ['dp'];

/**
 * Time each rank gets to claim the coordinator id before the next rank tries: long enough for a tab to
 * notice the loss (the data channel's close, ~1 s) and open a PeerJS peer (~0.5 s on a LAN).
 */
export const FAILOVER_RANK_SLOT_MS = 3000;

/** How long the new coordinator waits for the other survivors to re-join before it resumes without them. */
export const FAILOVER_REJOIN_MS = 6000;

export interface FailoverPlan {
  /** 0 = the deputy. */
  readonly rank: number;
  /** Wait this long after the loss before trying to claim the coordinator id. */
  readonly delayMs: number;
  /** Workers expected to re-join the new coordinator (the other survivors in the order). */
  readonly expectedPeers: number;
}

/** This worker's part in a failover, or null when its run cannot fail over (or it is not in the order). */
export function failoverPlan(s: WorkerState, self: string): FailoverPlan | null {
  if (s.phase !== 'failed' || !s.coordinatorLost || s.config === null || !FAILOVER_ALGOS.includes(s.config.algo)) return null;
  const rank = s.succession.indexOf(self);
  if (rank < 0) return null;
  return { rank, delayMs: rank * FAILOVER_RANK_SLOT_MS, expectedPeers: s.succession.length - 1 };
}
