import { describe, expect, it } from 'vitest';
import { parseBackendName } from './backend-name.ts';

describe('parseBackendName', () => {
  it('accepts every backend name, ignoring case and spaces', () => {
    expect(parseBackendName('webgpu')).toEqual({ ok: true, value: 'webgpu' });
    expect(parseBackendName(' WASM ')).toEqual({ ok: true, value: 'wasm' });
    expect(parseBackendName('cpu')).toEqual({ ok: true, value: 'cpu' });
    expect(parseBackendName('webgl')).toEqual({ ok: true, value: 'webgl' });
  });

  it('rejects anything else without throwing', () => {
    const bad = parseBackendName('tensorflow');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toBe('"tensorflow" is not one of webgpu, webgl, wasm, cpu');
    expect(parseBackendName(null).ok).toBe(false);
    expect(parseBackendName(42).ok).toBe(false);
    expect(parseBackendName('').ok).toBe(false);
  });
});
