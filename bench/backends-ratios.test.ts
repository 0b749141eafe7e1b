import { describe, expect, it } from 'vitest';
import { summariseBackends } from './backends-ratios.ts';

const measured = [
  { backend: 'webgpu', loop: 300, fit: 320 },
  { backend: 'webgl', loop: 1500, fit: 1700 },
  { backend: 'wasm', loop: 6000, fit: 6500 },
  { backend: 'cpu', loop: null, fit: null },
];

describe('summariseBackends', () => {
  it('compares the chosen backend with the fastest, and the loop with model.fit', () => {
    const out = summariseBackends('webgl', measured, [], []);
    expect(out.ratios.chosenVsFastest).toBeCloseTo(1500 / 6000);
    expect(out.ratios.loopVsModelFit).toBeCloseTo(1500 / 1700);
    expect(out.ratios.loopVsModelFitWasm).toBeCloseTo(6000 / 6500);
    expect(out.ratios.loopVsModelFitCpu).toBeNull();
    expect(out.ratioTargets.chosenVsFastest).toMatchObject({ target: 0.9, direction: 'min' });
    expect(out.ratioTargets.loopVsModelFit).toMatchObject({ target: 0.8, direction: 'min' });
    expect(out.notes.at(-1)).toContain('fastest backend for the project loop: wasm');
  });

  it('is 1 when the choice is the fastest, and null when the chosen backend was not measured', () => {
    expect(summariseBackends('wasm', measured, [], []).ratios.chosenVsFastest).toBe(1);
    expect(summariseBackends('cpu', measured, [], []).ratios.chosenVsFastest).toBeNull();
  });
});
