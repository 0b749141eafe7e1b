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

/** Membership timing: heartbeats every second; a peer silent for 4 s is gone (PeerJS close events are unreliable). */
export const HEARTBEAT_INTERVAL_MS = 1000;
export const PEER_TIMEOUT_MS = 4000;

export const log = (level: LogLevel, text: string): CommonCommand => ({ type: 'log', level, text });
export const send = (to: PeerId, msg: Message): CommonCommand => ({ type: 'send', to, msg });
