/**
 * Commands the role reducers emit. Reducers never send, wait or compute: they return commands as data, and
 * the runtime (the imperative shell) carries them out in order. This keeps every protocol decision
 * testable without fakes (the y-protocols move applied to whole roles).
 */
import type { PeerId } from '../core/ids.ts';
import type { Message } from '../protocol/messages.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export type CommonCommand =
  | { readonly type: 'send'; readonly to: PeerId; readonly msg: Message }
  | { readonly type: 'disconnect'; readonly peer: PeerId; readonly reason: string }
  | { readonly type: 'log'; readonly level: LogLevel; readonly text: string };

/**
 * Membership timing (PeerJS close events are unreliable, so silence decides). Heartbeats every 0.5 s; the
 * coordinator drops a worker silent for 4 s, so a lost worker is detected within 4.5 s (timeout + one
 * tick). Long messages count as signs of life while they arrive (transport 'peer-active'), and a tab that
 * was itself blocked grants its peers a fresh grace period, so only real silence counts.
 *
 * Why not 2.5 s (detection within 3 s): on the 2-core CI machine the first masked FedACnnL e2e, four tabs
 * cold-starting and uploading Gram matrices into one coordinator, lost a healthy worker at 2.5 s in one CI
 * run of two, with no stall logged on either side (the coordinator's inbound backlog, not silence); at 4 s
 * it passed every run. See docs/RELIABILITY.md.
 *
 * Workers give a silent coordinator longer: a coordinator's solve (K-FAC inverses, a layer's Cholesky) may
 * hold its event loop for seconds on a slow device, and losing the coordinator costs the run, not one worker.
 */
export const HEARTBEAT_INTERVAL_MS = 500;
export const PEER_TIMEOUT_MS = 4000;
export const COORDINATOR_TIMEOUT_MS = 8000;

export const log = (level: LogLevel, text: string): CommonCommand => ({ type: 'log', level, text });
export const send = (to: PeerId, msg: Message): CommonCommand => ({ type: 'send', to, msg });
