import { describe, expect, it } from 'vitest';
import { DHO2_DEFAULTS } from '../core/optim/second-order-options.ts';
import { parseUrlConfig } from './url-config.ts';

const parse = (query: string) => parseUrlConfig(new URLSearchParams(query));

describe('parseUrlConfig, DHO2 parameters', () => {
  it('defaults every DHO2 option, the ADMM ones included', () => {
    const c = parse('algo=dho2');
    expect(c.dho2).toEqual(DHO2_DEFAULTS);
    expect([c.dho2.admmLocalSteps, c.dho2.admmRho]).toEqual([8, 0.1]);
    expect(c.problems).toEqual([]);
  });

  it('accepts every variant, consensus ADMM included, with its K and ρ₀', () => {
    for (const v of ['sync', 'parallel', 'admm'] as const) expect(parse(`dho2Variant=${v}`).dho2.variant).toBe(v);
    const c = parse('algo=dho2&dho2Variant=admm&dho2AdmmSteps=16&dho2AdmmRho=0.25&dho2K=4');
    expect(c.dho2).toMatchObject({ variant: 'admm', admmLocalSteps: 16, admmRho: 0.25, k: 4 });
    expect(c.problems).toEqual([]);
  });

  it('accepts the boundaries: K in [1, 1000], ρ₀ in (0, 100]', () => {
    expect(parse('dho2AdmmSteps=1').dho2.admmLocalSteps).toBe(1);
    expect(parse('dho2AdmmSteps=1000').dho2.admmLocalSteps).toBe(1000);
    expect(parse('dho2AdmmRho=100').dho2.admmRho).toBe(100);
    expect(parse('dho2AdmmRho=1e-9').dho2.admmRho).toBe(1e-9);
    expect(parse('dho2AdmmSteps=1&dho2AdmmRho=100').problems).toEqual([]);
  });

  it.each([
    ['dho2Variant=consensus', 'variant', DHO2_DEFAULTS.variant],
    ['dho2AdmmSteps=0', 'admmLocalSteps', DHO2_DEFAULTS.admmLocalSteps],
    ['dho2AdmmSteps=1001', 'admmLocalSteps', DHO2_DEFAULTS.admmLocalSteps],
    ['dho2AdmmSteps=2.5', 'admmLocalSteps', DHO2_DEFAULTS.admmLocalSteps],
    ['dho2AdmmSteps=', 'admmLocalSteps', DHO2_DEFAULTS.admmLocalSteps],
    ['dho2AdmmRho=0', 'admmRho', DHO2_DEFAULTS.admmRho],
    ['dho2AdmmRho=-0.1', 'admmRho', DHO2_DEFAULTS.admmRho],
    ['dho2AdmmRho=100.5', 'admmRho', DHO2_DEFAULTS.admmRho],
    ['dho2AdmmRho=Infinity', 'admmRho', DHO2_DEFAULTS.admmRho],
    ['dho2AdmmRho=abc', 'admmRho', DHO2_DEFAULTS.admmRho],
  ] as const)('%s falls back to the default and is reported', (query, field, fallback) => {
    const c = parse(query);
    expect(c.dho2[field]).toBe(fallback);
    expect(c.problems).toHaveLength(1);
    expect(c.problems[0]).toContain(query.split('=')[0]);
    expect(c.problems[0]).toContain(`using ${fallback}`);
  });

  it('names the open lower bound of ρ₀ in its report', () => {
    expect(parse('dho2AdmmRho=0').problems).toEqual(['dho2AdmmRho=0 is not a number in (0, 100]; using 0.1']);
    expect(parse('dho2AdmmSteps=0').problems).toEqual(['dho2AdmmSteps=0 is not an integer in [1, 1000]; using 8']);
  });
});
