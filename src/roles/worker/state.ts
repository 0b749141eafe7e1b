/** Worker state: plain data, rendered by the UI and advanced only by the reducer. */
import type { PeerId } from '../../core/ids.ts';
import type { RunConfig } from '../../protocol/messages.ts';

export type WorkerPhase = 'connecting' | 'joined' | 'training' | 'done' | 'failed';

export interface WorkerState {
  readonly phase: WorkerPhase;
  readonly coordinator: PeerId;
  readonly config: RunConfig | null;
  readonly partitionSize: number;
  /** Federated clients this tab hosts (1 in a 'dp' run). */
  readonly clients: number;
  readonly members: readonly string[];
  readonly step: number;
  readonly epoch: number;
  /** Step whose gradient this worker is computing or has sent; null when idle. */
  readonly working: number | null;
  readonly loss: number;
  readonly testAccuracy: number;
  readonly lastSeenCoordinator: number;
  readonly failure: string | null;
  /** Failover order of the run (`succession` messages): remote workers, rank 0 first; [] = no failover. */
  readonly succession: readonly string[];
  /** The run failed because the coordinator went away mid-run (closed or silent), not for a reason of its own. */
  readonly coordinatorLost: boolean;
}
