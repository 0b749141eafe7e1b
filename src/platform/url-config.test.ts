import { describe, expect, it } from 'vitest';
import { coordinatorIdFor, parseUrlConfig } from './url-config.ts';

describe('parseUrlConfig', () => {
  it('reads every automation parameter', () => {
    const c = parseUrlConfig(new URLSearchParams('room=lab1&role=coordinator&algo=dp&dataset=fashion-mnist&model=cnn&epochs=5&minPeers=3&seed=42&backend=wasm&autostart=1&batch=256&optimizer=sgd-momentum&lr=0.1&partition=dirichlet&alpha=0.3&labels=3'));
    expect(c).toMatchObject({
      room: 'lab1', role: 'coordinator', algo: 'dp', dataset: 'fashion-mnist', model: 'cnn', epochs: 5, minPeers: 3,
      seed: 42, backend: 'wasm', autostart: true, globalBatch: 256, optimizer: 'sgd-momentum', learningRate: 0.1,
      partition: 'dirichlet', alpha: 0.3, labelsPerClient: 3, problems: [],
    });
  });
  it('falls back to defaults and reports bad values', () => {
    const c = parseUrlConfig(new URLSearchParams('room=bad room!&epochs=-2&dataset=cifar&backend=auto&minPeers=1.5'));
    expect(c.room).toBeNull();
    expect(c.epochs).toBe(3);
    expect(c.dataset).toBe('mnist');
    expect(c.backend).toBeNull();
    expect(c.minPeers).toBe(0);
    expect(c.problems).toHaveLength(4);
    expect(c.autostart).toBe(false);
  });
  it('accepts algo=fedacnnl and refuses an unknown algorithm', () => {
    expect(parseUrlConfig(new URLSearchParams('algo=fedacnnl')).algo).toBe('fedacnnl');
    const bad = parseUrlConfig(new URLSearchParams('algo=fedsgd'));
    expect(bad.algo).toBe('dp');
    expect(bad.problems).toHaveLength(1);
  });
  it('derives a valid PeerJS id for the coordinator', () => {
    expect(coordinatorIdFor('lab-1')).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
  });
});
