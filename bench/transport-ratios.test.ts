import { describe, expect, it } from 'vitest';
import type { BenchRun } from './result-types.ts';
import { nonTrainingRun } from './suite-context.ts';
import { summariseTransport } from './transport-ratios.ts';

const KIB = 1024;
function run(method: 'raw-datachannel' | 'peerjs-transport', round: number, mbps: number, chunkBytes = 0): BenchRun {
  return {
    ...nonTrainingRun(method, `${method} ${round} ${chunkBytes}`, 1, 3), bytesSent: 1_001_000, round, throughputMBps: mbps,
    phase: round === 0 ? 'sweep' : 'main',
    totalBytes: 1_000_000, chunkBytes, seconds: 2, encodeMs: 150, decodeMs: 50, peakBytesPerTab: 10,
  };
}

describe('summariseTransport', () => {
  const runs = [
    run('raw-datachannel', 1, 20), run('peerjs-transport', 1, 15),
    run('raw-datachannel', 2, 10), run('peerjs-transport', 2, 16),
    run('raw-datachannel', 3, 18), run('peerjs-transport', 3, 30),
    run('peerjs-transport', 0, 9, 16 * KIB), run('peerjs-transport', 0, 12, 64 * KIB), run('peerjs-transport', 0, 27, 256 * KIB),
    run('peerjs-transport', 0, 11, 16 * KIB), run('peerjs-transport', 0, 1, 16 * KIB), run('raw-datachannel', 0, 99, 64 * KIB),
  ];

  it('divides the median project throughput by the median raw throughput of the main rounds only', () => {
    const out = summariseTransport(runs, [], 0);
    expect(out.ratios.transportVsRaw).toBeCloseTo(16 / 18);
    expect(out.ratios.chunk16KiBVsRaw).toBeCloseTo(9 / 18); // median of 9, 11, 1
    expect(out.ratios.chunk256KiBVsRaw).toBeCloseTo(27 / 18);
    expect(out.ratioTargets.transportVsRaw).toMatchObject({ target: 0.85, direction: 'min' });
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
  });

  it('explains a miss: codec share, framing overhead and the fastest chunk size', () => {
    const slow = runs.map((r) => (r.method === 'peerjs-transport' && r.round !== 0 ? { ...r, throughputMBps: 9 } : r));
    const out = summariseTransport(slow, ['first'], 0);
    expect(out.ratios.transportVsRaw).toBeCloseTo(0.5);
    expect(out.notes[0]).toBe('first');
    expect(out.notes.join('\n')).toMatch(/below the 0\.85 target/);
    expect(out.notes.join('\n')).toContain('took 10% of each project round');
    expect(out.notes.join('\n')).toContain('adds 0.10% bytes');
    expect(out.notes.join('\n')).toContain('project chunk-size sweep, median MB/s: 16 KiB 9.0, 64 KiB 12.0, 256 KiB 27.0; fastest: 256 KiB');
    expect(out.notes.join('\n')).toContain('raw message-size sweep, median MB/s: 64 KiB 99.0; fastest: 64 KiB');
  });

  it('gives null ratios when a side was not measured, and raises each run to the page heap peak', () => {
    const out = summariseTransport(runs.filter((r) => r.method === 'peerjs-transport'), [], 500);
    expect(out.ratios.transportVsRaw).toBeNull();
    expect(out.runs.every((r) => r.peakBytesPerTab === 500)).toBe(true);
  });
});
