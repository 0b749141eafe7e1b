/**
 * SwarmStatus builders for the dashboard's DOM tests: a mid-run data-parallel coordinator, a worker, and
 * the federated parts (clients, analytic layer progress). Only tests import this file.
 */
import type { AnalyticProgress, ClientRow, DeviceRow, SecondOrderSnapshot, SwarmStatus } from './snapshot.ts';

/** A healthy member device with an IID-looking 1,000-row partition. */
export function device(id: string, over: Partial<DeviceRow> = {}): DeviceRow {
  return {
    id, backend: 'wasm', adapter: '', reason: 'fastest of 3 measured', samplesPerSec: 2310.4, memoryBytes: 8 * 1024 ** 3,
    selfTestPassed: true, partitionSize: 1000, labelHistogram: [100, 98, 110, 95, 101, 99, 104, 97, 100, 96],
    batchShare: 64, active: true, lastSeenMs: 12_400, ...over,
  };
}

/** A coordinator training a data-parallel run, epoch 2 of 5. */
export function coordinator(over: Partial<SwarmStatus> = {}): SwarmStatus {
  return {
    role: 'coordinator', peerId: 'coord-1', room: 'blue-otter', joinUrl: 'https://10.0.0.2:8443/?room=blue-otter',
    algo: 'dp', dataset: 'mnist', model: 'mlp', backend: 'wasm', backendReason: 'wasm was fastest of 3 measured',
    adapter: '', samplesPerSec: 2310.4, memoryBytes: 8 * 1024 ** 3, selfTestPassed: true,
    backendMeasurements: [
      { backend: 'webgpu', available: true, samplesPerSec: 301, note: 'swiftshader' },
      { backend: 'wasm', available: true, samplesPerSec: 2310, note: '' },
      { backend: 'webgl', available: false, samplesPerSec: null, note: 'no context' },
    ],
    peers: ['w-a', 'w-b'], phase: 'training', epoch: 2, epochs: 5, step: 812, stepsPerEpoch: 469,
    loss: 0.234567, testAccuracy: 0.9234, bytesSent: 48_312_000, bytesReceived: 1536,
    devices: [device('coord-1'), device('w-a', { backend: 'webgpu', samplesPerSec: 5400 }), device('w-b', { active: false, selfTestPassed: false })],
    curve: [[5, 0.5], [10, 0.9234]], lossCurve: [[1, 2.3], [2, 1.1], [3, 0.234567]],
    startedAt: 1_000, endedAt: 62_000, error: null,
    log: [{ at: new Date(2024, 0, 1, 9, 5, 7).getTime(), level: 'info', text: 'hello' }],
    clients: [], analytic: null, meanLocalAccuracy: null, meanPersonalAccuracy: null,
    ...over,
  };
}

/** A worker that has joined the coordinator above. */
export function worker(over: Partial<SwarmStatus> = {}): SwarmStatus {
  return coordinator({ role: 'worker', peerId: 'w-a', phase: 'joined', devices: [], peers: ['coord-1'], curve: [[10, 0.9]], ...over });
}

/** A federated client that has not reported yet. */
export function client(id: number, over: Partial<ClientRow> = {}): ClientRow {
  return {
    id, host: 'w-a', rows: 600, labelHistogram: [300, 0, 0, 0, 0, 0, 0, 0, 0, 300], group: 0,
    globalAccuracy: null, personalAccuracy: null, lambda: null, ...over,
  };
}

/** A 3-layer analytic run with layer 1 solved and layer 2 collecting 1 of 3 tabs' statistics. */
export function analytic(over: Partial<AnalyticProgress> = {}): AnalyticProgress {
  return { solved: 1, layers: 3, received: 1, expected: 3, groups: 1, masked: false, layerInputs: [785, 257, 129], ...over };
}

/**
 * A DHO2 coordinator's second-order status mid-run: three shards of a 100,000-coordinate model split by speed,
 * a Lanczos job at iteration 7 of 20 on two devices, and three installed eigenvalues (ascending).
 */
export function secondOrder(over: Partial<SecondOrderSnapshot> = {}): SecondOrderSnapshot {
  return {
    algo: 'dho2', variant: 'sync', extrapolate: false,
    shards: [
      { peer: 'coord-1', size: 50_000, heldFloats: 1_000_000, peakFloats: 1_200_000 },
      { peer: 'w-a', size: 30_000, heldFloats: 600_000, peakFloats: 720_000 },
      { peer: '3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2', size: 20_000, heldFloats: 0, peakFloats: 480_000 },
    ],
    job: { snapshotStep: 120, iteration: 7, order: 20, workers: ['w-a', '3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2'] },
    eigvals: [0.5, 3.25, 41.23456], eigenStep: 100, installs: 4, dropped: 1, lastJobSeconds: 12.5, ownFloats: 1_000_000,
    ...over,
  };
}
