import { describe, expect, it } from 'vitest';
import type { WireTensor } from './wire-tensor.ts';
import { MAX_GLOBAL_BATCH, MAX_MEMBERS, MAX_SHORT_STRING_CHARS, MAX_TEXT_CHARS, parseMessage } from './validate.ts';

const f32 = (shape: readonly number[], data: Float32Array): WireTensor => ({ dtype: 'float32', shape, data });
const i32 = (shape: readonly number[], data: Int32Array): WireTensor => ({ dtype: 'int32', shape, data });

const DEVICE = {
  backend: 'webgpu',
  adapter: 'apple m2',
  reason: 'fastest of 3 measured',
  samplesPerSec: 1800,
  memoryBytes: 0,
  selfTestPassed: true,
  userAgent: 'UA',
};
const HELLO = { type: 'hello', protocolVersion: 1, role: 'worker', room: 'room-1', device: DEVICE };
const CONFIG = {
  runId: 'run-1',
  algo: 'dp',
  dataset: 'fashion-mnist',
  model: 'cnn',
  optimizer: 'sgd-momentum',
  learningRate: 0.01,
  epochs: 5,
  globalBatch: 128,
  seed: -7,
  partition: 'labels',
  alpha: 1,
  labelsPerClient: 2,
  clients: 0,
  trainLimit: 0,
  groups: 1,
  localEpochs: 1,
  localBatch: 32,
  masking: false,
  aggregation: 'mean',
};
const ASSIGN = { type: 'assign', config: CONFIG, indices: 0, clientIds: 1, offsets: 2, clientGroups: 3 };
/** The assign's sections after `indices`: one client holding all three rows, group 0. */
const ONE_CLIENT = [i32([1], Int32Array.of(0)), i32([2], Int32Array.of(0, 3)), i32([1], Int32Array.of(0))];
const INDICES = [i32([3], Int32Array.of(4, 0, 9)), ...ONE_CLIENT];
const GRADS = { type: 'gradients', runId: 'run-1', step: 3, count: 32, lossSum: 20.5, grads: [0, 1] };
const TWO = [f32([2], Float32Array.of(1, 2)), f32([1, 1], Float32Array.of(3))];
const PROGRESS = { type: 'progress', runId: 'run-1', phase: 'training', epoch: 0, step: 0, loss: 2.3, testAccuracy: 0 };

/** `base` with one field (a dotted path) replaced. */
function edit(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, rest] = path.split(/\.(.*)/s) as [string, string | undefined];
  if (rest === undefined) return { ...base, [head]: value };
  return { ...base, [head]: edit(base[head] as Record<string, unknown>, rest, value) };
}

function outcome(u: unknown, sections: readonly WireTensor[] = []): string {
  const r = parseMessage(u, sections);
  return r.ok ? 'ok' : `${r.error.code}: ${r.error.detail}`;
}

describe('parseMessage accepts valid messages', () => {
  it('rebuilds a message with the same fields and resolves tensor references', () => {
    const r = parseMessage(GRADS, TWO);
    expect(r).toEqual({ ok: true, value: { ...GRADS, grads: TWO } });
    expect(r.ok && r.value.type === 'gradients' && r.value.grads[1]).toBe(TWO[1]); // same object: no copy
  });

  it('drops unknown extra fields, at the top and nested', () => {
    const r = parseMessage({ ...edit(HELLO, 'device.gpuTemp', 80), extra: { deep: true } }, []);
    expect(r).toEqual({ ok: true, value: HELLO });
  });

  it.each([
    ['epochs', 1], ['epochs', 1000], ['globalBatch', MAX_GLOBAL_BATCH], ['learningRate', 10], ['alpha', 1000],
    ['labelsPerClient', 10], ['labelsPerClient', 1], ['seed', Number.MAX_SAFE_INTEGER], ['runId', 'r'.repeat(64)],
  ])('accepts the boundary config.%s = %s', (field, value) => {
    expect(outcome(edit(ASSIGN, `config.${field}`, value), INDICES)).toBe('ok');
  });

  it('accepts the boundary sizes of strings and member lists', () => {
    const members = Array.from({ length: MAX_MEMBERS }, (_, i) => `w${i}`);
    expect(outcome({ type: 'welcome', protocolVersion: 1, coordinator: 'c', members })).toBe('ok');
    expect(outcome({ type: 'error', code: 'c'.repeat(MAX_SHORT_STRING_CHARS), detail: 'd'.repeat(MAX_TEXT_CHARS) })).toBe('ok');
    expect(outcome(edit(PROGRESS, 'testAccuracy', 1))).toBe('ok');
    expect(outcome(edit(edit(PROGRESS, 'testAccuracy', null), 'loss', null))).toBe('ok'); // not measured yet
  });
});

describe('parseMessage rejects bad fields with invalid-field and the field path', () => {
  it.each([
    ['heartbeat.sentAt', { type: 'heartbeat', sentAt: Number.NaN }],
    ['heartbeat.sentAt', { type: 'heartbeat', sentAt: Number.POSITIVE_INFINITY }],
    ['heartbeat.sentAt', { type: 'heartbeat', sentAt: '5' }],
    ['heartbeat.sentAt', { type: 'heartbeat' }],
    ['gradients.count', edit(GRADS, 'count', -1)],
    ['gradients.count', edit(GRADS, 'count', 1.5)],
    ['gradients.count', edit(GRADS, 'count', MAX_GLOBAL_BATCH + 1)],
    ['gradients.step', edit(GRADS, 'step', 2 ** 53)],
    ['gradients.lossSum', edit(GRADS, 'lossSum', Number.NEGATIVE_INFINITY)],
    ['gradients.runId', edit(GRADS, 'runId', '')],
    ['hello.protocolVersion', edit(HELLO, 'protocolVersion', 256)],
    ['hello.role', edit(HELLO, 'role', 'boss')],
    ['hello.room', edit(HELLO, 'room', 'has space')],
    ['hello.room', edit(HELLO, 'room', 'r'.repeat(65))],
    ['hello.device', edit(HELLO, 'device', null)],
    ['hello.device.backend', edit(HELLO, 'device.backend', 'metal')],
    ['hello.device.backend', edit(HELLO, 'device.backend', 'toString')],
    ['hello.device.samplesPerSec', edit(HELLO, 'device.samplesPerSec', Number.NaN)],
    ['hello.device.memoryBytes', edit(HELLO, 'device.memoryBytes', -1)],
    ['hello.device.selfTestPassed', edit(HELLO, 'device.selfTestPassed', 1)],
    ['hello.device.userAgent', edit(HELLO, 'device.userAgent', 'u'.repeat(MAX_TEXT_CHARS + 1))],
    ['welcome.members', { type: 'welcome', protocolVersion: 1, coordinator: 'c', members: 'w1' }],
    ['welcome.members', { type: 'welcome', protocolVersion: 1, coordinator: 'c', members: Array(MAX_MEMBERS + 1).fill('w') }],
    ['welcome.members[1]', { type: 'welcome', protocolVersion: 1, coordinator: 'c', members: ['w1', '-bad'] }],
    ['incompatible.reason', { type: 'incompatible', reason: 'too-old', protocolVersion: 1 }],
    ['assign.config.epochs', edit(ASSIGN, 'config.epochs', 0)],
    ['assign.config.epochs', edit(ASSIGN, 'config.epochs', 1001)],
    ['assign.config.globalBatch', edit(ASSIGN, 'config.globalBatch', MAX_GLOBAL_BATCH + 1)],
    ['assign.config.learningRate', edit(ASSIGN, 'config.learningRate', 0)],
    ['assign.config.learningRate', edit(ASSIGN, 'config.learningRate', 10.5)],
    ['assign.config.alpha', edit(ASSIGN, 'config.alpha', 0)],
    ['assign.config.alpha', edit(ASSIGN, 'config.alpha', 1000.5)],
    ['assign.config.labelsPerClient', edit(ASSIGN, 'config.labelsPerClient', 11)],
    ['assign.config.seed', edit(ASSIGN, 'config.seed', 2 ** 53)],
    ['assign.config.algo', edit(ASSIGN, 'config.algo', 'fedsgd')],
    ['assign.config.clients', edit(ASSIGN, 'config.clients', 1001)],
    ['assign.config.groups', edit(ASSIGN, 'config.groups', 0)],
    ['assign.config.masking', edit(ASSIGN, 'config.masking', 'yes')],
    ['assign.config.dataset', edit(ASSIGN, 'config.dataset', 'cifar10')],
    ['progress.testAccuracy', edit(PROGRESS, 'testAccuracy', 1.01)],
    ['progress.loss', edit(PROGRESS, 'loss', 'x')],
    ['progress.phase', edit(PROGRESS, 'phase', 'p'.repeat(MAX_SHORT_STRING_CHARS + 1))],
    ['done.ok', { type: 'done', runId: 'r', ok: 'yes', reason: '' }],
  ])('%s', (path, u) => {
    const isIndices = (u as { type: string }).type === 'assign';
    const isGrads = (u as { type: string }).type === 'gradients';
    expect(outcome(u, isIndices ? INDICES : isGrads ? TWO : [])).toMatch(new RegExp(`^invalid-field: ${path.replace(/[.[\]]/g, '\\$&')}:`));
  });
});

describe('parseMessage checks tensor fields', () => {
  const grads = (refs: unknown): Record<string, unknown> => edit(GRADS, 'grads', refs);

  it.each([
    ['a reference past the sections', grads([0, 2]), TWO, 'gradients.grads[1]'],
    ['a fractional reference', grads([0, 0.5]), TWO, 'gradients.grads[1]'],
    ['a string reference', grads(['0', 1]), TWO, 'gradients.grads[0]'],
    ['a section used twice', grads([1, 1]), TWO, 'gradients.grads[1]'],
    ['grads not an array', grads(0), TWO, 'gradients.grads'],
    ['int32 grads (wrong dtype)', grads([0]), [i32([1], Int32Array.of(1))], 'gradients.grads[0]'],
    ['a dtype that lies about its data', grads([0]), [{ dtype: 'float32', shape: [1], data: Int32Array.of(1) } as unknown as WireTensor], 'gradients.grads[0]'],
    ['shape/data mismatch', grads([0]), [f32([2, 2], Float32Array.of(1, 2, 3))], 'gradients.grads[0]'],
    ['a non-integer dim', grads([0]), [f32([0.5], new Float32Array(0))], 'gradients.grads[0]'],
    ['float32 indices', ASSIGN, [f32([1], Float32Array.of(1)), ...ONE_CLIENT], 'assign.indices'],
    ['rank-2 indices', ASSIGN, [i32([1, 2], Int32Array.of(1, 2)), ...ONE_CLIENT], 'assign.indices'],
    ['a negative index', ASSIGN, [i32([2], Int32Array.of(1, -1)), ...ONE_CLIENT], 'assign.indices'],
    ['offsets that do not end at the index count', ASSIGN, [i32([4], Int32Array.of(1, 2, 3, 4)), ...ONE_CLIENT], 'assign.offsets'],
    ['decreasing offsets', ASSIGN, [i32([3], Int32Array.of(1, 2, 3)), i32([2], Int32Array.of(0, 1)), i32([3], Int32Array.of(0, 2, 1)), i32([2], Int32Array.of(0, 0))], 'assign.offsets'],
    ['a group per client missing', ASSIGN, [i32([3], Int32Array.of(1, 2, 3)), i32([1], Int32Array.of(0)), i32([2], Int32Array.of(0, 3)), i32([2], Int32Array.of(0, 0))], 'assign.clientGroups'],
  ] as const)('rejects %s', (_name, u, sections, path) => {
    expect(outcome(u, sections)).toMatch(new RegExp(`^invalid-field: ${path.replace(/[.[\]]/g, '\\$&')}:`));
  });

  it('rejects a section that no field references as malformed', () => {
    expect(outcome(grads([0]), TWO)).toMatch(/^malformed: section 1 /);
  });

  it('accepts empty tensor lists and tensors of zero elements', () => {
    expect(outcome(grads([]))).toBe('ok');
    expect(outcome(grads([0]), [f32([0, 7], new Float32Array(0))])).toBe('ok');
  });
});

describe('parseMessage rejects what is not a message', () => {
  it.each([
    ['null', null, 'malformed'],
    ['an array', [HELLO], 'malformed'],
    ['a number', 7, 'malformed'],
    ['no type', { sentAt: 1 }, 'unknown-type'],
    ['an unknown type', { type: 'gossip' }, 'unknown-type'],
    ['a prototype key as type', { type: 'toString' }, 'unknown-type'],
    ['a numeric type', { type: 4, sentAt: 1 }, 'unknown-type'],
  ])('%s → %s', (_name, u, code) => {
    expect(outcome(u)).toMatch(new RegExp(`^${code}: `));
  });
});
