/**
 * Shared fixtures of the DASO coordinator tests (roles/coordinator/daso-reducer.test.ts, daso-rtt.test.ts): a coordinator
 * reducer for a small DASO run with the given options, and builders for the events and checks they use.
 */
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import type { DeviceInfo, Message } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { testConfig } from './run-config.ts';
import type { DasoOptions } from '../roles/coordinator/daso-reducer.ts';
import { createCoordinatorReducer, type CoordinatorCommand, type CoordinatorEvent } from '../roles/coordinator/reducer.ts';
import type { CoordinatorState } from '../roles/coordinator/state.ts';

export const dasoTestConfig = testConfig({ runId: 'run1', algo: 'daso', epochs: 6, globalBatch: 8, optimizer: 'sgd-momentum' });
/** 40 training labels: 5 batches of 8 per epoch. */
export const dasoTestLabels = Uint8Array.from({ length: 40 }, (_, i) => i % 10);
export const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(peerIdFrom) as [PeerId, PeerId, PeerId, PeerId];

/** A reducer for a 6-epoch run (warmup 1, cooldown 1, max gs 8, bf16, or `overrides`) with `rttThresholdMs`, and `run` to fold events. */
export function dasoKit(rttThresholdMs: number | null, overrides: Partial<DasoOptions> = {}) {
  const options: DasoOptions = { warmupEpochs: 1, cooldownEpochs: 1, maxGlobalSkips: 8, wire: 'bf16', rttThresholdMs, ...overrides };
  const reduce = createCoordinatorReducer({ self: peerIdFrom('swarm-r-coordinator'), room: 'r', trainLabels: dasoTestLabels, paramSizes: [2, 1], daso: options });
  const run = (s: CoordinatorState, events: CoordinatorEvent[]): { state: CoordinatorState; commands: CoordinatorCommand[] } => {
    const commands: CoordinatorCommand[] = [];
    for (const e of events) { const out = reduce(s, e); s = out.state; commands.push(...out.commands); }
    return { state: s, commands };
  };
  return { reduce, run };
}

const device = (hints: Partial<DeviceInfo>): DeviceInfo => ({ backend: 'wasm', adapter: '', reason: 't', samplesPerSec: 100, memoryBytes: 0, selfTestPassed: true, userAgent: 't', ...hints });
export const hello = (from: PeerId, hints: Partial<DeviceInfo> = {}): CoordinatorEvent => ({ type: 'message', from, now: 0, msg: { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: 'r', device: device(hints) } });
/** The messages of one type among `cs`'s sends, with their addressees. */
export const sent = (cs: CoordinatorCommand[], type: Message['type']): { to: PeerId; msg: Message }[] =>
  cs.flatMap((c) => (c.type === 'send' && c.msg.type === type ? [{ to: c.to, msg: c.msg }] : []));
