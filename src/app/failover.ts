/**
 * Coordinator failover, carried out in a worker tab (policy in roles/failover.ts). When the coordinator of a
 * data-parallel run goes away mid-run, every worker in the announced order stops its worker and looks for a
 * new coordinator at the room's coordinator id; from its rank's slot on (the deputy at once) it also tries
 * to claim that id itself. The tab that gets it continues the run as the coordinator from its own replica
 * (step, model, optimizer moments) and waits a few seconds for the others; every other tab joins it as a
 * worker and receives the model with the next start. While the old coordinator's id is still registered
 * (a crashed tab the signalling server has not noticed yet) tabs keep trying until FAILOVER_GIVE_UP_MS.
 *
 * @example
 * const next = await failOver({ worker, transport, plan, join: (o) => joinRoom({ ...base, ...o }), log });
 */
import type { Transport } from '../transport/transport.ts';
import type { WorkerRuntime } from '../roles/worker/runtime.ts';
import type { RunSnapshot } from '../roles/coordinator/runtime.ts';
import { FAILOVER_REJOIN_MS, type FailoverPlan } from '../roles/failover.ts';
import type { Membership } from './join-room.ts';

/** A failover that has produced no coordinator by then gives up (the run then ends on this tab). */
export const FAILOVER_GIVE_UP_MS = 30_000;
/** Pause between claim-or-join rounds while the old coordinator's id is still registered. */
const RETRY_MS = 500;
/** One attempt to reach a new coordinator: a LAN link opens in well under a second. */
const JOIN_ATTEMPT_MS = 2000;

export interface JoinOptions {
  readonly role: 'coordinator' | 'worker';
  readonly resume?: RunSnapshot;
  readonly minPeers: number;
  readonly autostart: boolean;
  /** Worker: one connection attempt of at most this long (no retry loop: failover retries itself). */
  readonly connectTimeoutMs?: number;
}

export interface FailoverInit {
  readonly worker: WorkerRuntime;
  readonly transport: Transport;
  readonly plan: FailoverPlan;
  readonly join: (o: JoinOptions) => Promise<Membership>;
  readonly log: (level: 'info' | 'warn' | 'error', text: string) => void;
  readonly now?: () => number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs this tab's part of a failover; resolves with its new membership (coordinator or worker). */
export async function failOver(init: FailoverInit): Promise<Membership> {
  const now = init.now ?? Date.now;
  const started = now();
  const snapshot = await init.worker.replicaSnapshot();
  init.worker.stop();
  await init.transport.close();
  if (snapshot === null) throw new Error('no replica to continue the run from');
  init.log('warn', `coordinator lost at step ${snapshot.step}: failover rank ${init.plan.rank} (may claim the coordinator id after ${init.plan.delayMs} ms)`);
  for (;;) {
    // Before its slot a tab only looks for a new coordinator; from its slot on it also tries to be it.
    if (now() - started >= init.plan.delayMs) {
      try {
        const m = await init.join({ role: 'coordinator', resume: snapshot, minPeers: init.plan.expectedPeers, autostart: true });
        if (m.role === 'coordinator') {
          init.log('info', `took over as coordinator ${now() - started} ms after the loss; continuing at step ${snapshot.step}`);
          const c = m.coordinator;
          // Survivors that died too must not hold the run: resume with whoever re-joined by then.
          setTimeout(() => { if (c.host.getState().phase === 'recruiting') c.requestStart(); }, FAILOVER_REJOIN_MS);
        }
        return m;
      } catch (e) {
        // Taken (by a new coordinator, or the old one not yet released), or the server briefly unreachable:
        // look for a coordinator, then try again, until FAILOVER_GIVE_UP_MS.
        const taken = e instanceof Error && e.message.includes('already has a coordinator');
        if (!taken) init.log('warn', `could not claim the coordinator id: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    try {
      const m = await init.join({ role: 'worker', minPeers: 0, autostart: false, connectTimeoutMs: JOIN_ATTEMPT_MS });
      init.log('info', `joined the new coordinator ${now() - started} ms after the loss`);
      return m;
    } catch (e) {
      if (now() - started > FAILOVER_GIVE_UP_MS) throw new Error(`failover found no coordinator within ${FAILOVER_GIVE_UP_MS} ms: ${String(e)}`);
    }
    await sleep(RETRY_MS);
  }
}
