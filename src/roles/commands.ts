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
 * coordinator drops a worker silent for 2.5 s, so a lost worker is detected within 3 s (timeout + one tick,
 * the target). Long messages count as signs of life while they arrive (transport 'peer-active'), and
 * a tab that was itself blocked grants its peers a fresh grace period, so only real silence counts.
 *
 * 2.5 s leaves a worker 2 s of event-loop stall beyond the heartbeat interval. It was 4 s while a healthy
 * worker was now and then dropped for silence; that was a data channel stuck in one direction, which link
 * resume (transport/peerjs-link.ts, 1 s stall → new connection in ~50 ms) now repairs well inside 2.5 s, and
 * the longest worker stalls (pFedACnnL client reports, 2.0 s) are sliced into pauses. The role host logs any
 * stall above half the timeout, so a tab that comes close says so.
 *
 * Workers give a silent coordinator longer: a coordinator's solve (K-FAC inverses, a layer's Cholesky) may
 * hold its event loop for seconds on a slow device, and losing the coordinator costs the run, not one worker.
 */
export const HEARTBEAT_INTERVAL_MS = 500;
export const PEER_TIMEOUT_MS = 2500;
export const COORDINATOR_TIMEOUT_MS = 8000;

export const log = (level: LogLevel, text: string): CommonCommand => ({ type: 'log', level, text });
export const send = (to: PeerId, msg: Message): CommonCommand => ({ type: 'send', to, msg });
