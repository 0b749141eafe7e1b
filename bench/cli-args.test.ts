import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseBenchArgs } from './cli-args.ts';

describe('parseBenchArgs', () => {
  it('parses a full command line, both --flag value and --flag=value', () => {
    const r = parseBenchArgs(['--suite', 'baseline', '--tabs=2', '--out', 'x/y', '--seed', '7', '--quick', '--no-build', '--dataset', 'fashion-mnist', '--epochs', '2', '--target=0.75', '--backend', 'wasm']);
    expect(r).toEqual({
      ok: true,
      value: { ...DEFAULT_OPTIONS, suites: ['baseline'], tabs: 2, out: 'x/y', seed: 7, quick: true, build: false, dataset: 'fashion-mnist', epochs: 2, target: 0.75, backend: 'wasm' },
    });
  });

  it('uses the defaults for everything not given', () => {
    const r = parseBenchArgs(['--suite', 'transport']);
    expect(r.ok && r.value).toEqual({ ...DEFAULT_OPTIONS, suites: ['transport'] });
    expect(DEFAULT_OPTIONS).toMatchObject({ tabs: 4, out: 'bench-results', seed: 1, quick: false, build: true });
  });

  it('expands all to every suite in order, and accepts a comma list without duplicates', () => {
    const all = parseBenchArgs(['--suite', 'all']);
    expect(all.ok && all.value.suites).toEqual(['transport', 'backends', 'baseline', 'analytic', 'daso', 'dho2', 'chaos']);
    const list = parseBenchArgs(['--suite', 'backends,transport,backends']);
    expect(list.ok && list.value.suites).toEqual(['backends', 'transport']);
  });

  it.each([
    [['--tabs', '2'], '--suite is required'],
    [['--suite', 'nope'], 'unknown suite nope'],
    [['--suite', 'transport', '--tabs', '0'], '--tabs 0'],
    [['--suite', 'transport', '--tabs', '2.5'], '--tabs 2.5'],
    [['--suite', 'transport', '--seed', '-1'], '--seed -1'],
    [['--suite', 'transport', '--target', '1.5'], '--target 1.5'],
    [['--suite', 'transport', '--backend', 'tpu'], '--backend tpu'],
    [['--suite', 'transport', '--dataset', 'cifar'], '--dataset cifar'],
    [['--suite', 'transport', '--frobnicate'], 'unknown argument --frobnicate'],
    [['--suite'], '--suite needs a value'],
    [['--suite', 'transport', '--quick=1'], 'unknown argument --quick=1'],
  ])('rejects %j', (argv, message) => {
    const r = parseBenchArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it('knows the analytic suite', () => {
    const r = parseBenchArgs(['--suite=analytic', '--quick', '--tabs', '2']);
    expect(r.ok && r.value).toEqual({ ...DEFAULT_OPTIONS, suites: ['analytic'], quick: true, tabs: 2 });
  });

  it('knows the daso suite, with --epochs', () => {
    const r = parseBenchArgs(['--suite', 'daso', '--quick', '--epochs=3']);
    expect(r.ok && r.value).toEqual({ ...DEFAULT_OPTIONS, suites: ['daso'], quick: true, epochs: 3 });
  });

  it('knows the dho2 suite, with --tabs 8 for the 8-device memory figure', () => {
    const r = parseBenchArgs(['--suite', 'dho2', '--quick', '--tabs', '8']);
    expect(r.ok && r.value).toEqual({ ...DEFAULT_OPTIONS, suites: ['dho2'], quick: true, tabs: 8 });
  });

  it('knows the chaos suite, alone or in a list', () => {
    const r = parseBenchArgs(['--suite', 'chaos', '--quick', '--backend', 'wasm']);
    expect(r.ok && r.value).toEqual({ ...DEFAULT_OPTIONS, suites: ['chaos'], quick: true, backend: 'wasm' });
    const list = parseBenchArgs(['--suite', 'baseline,chaos']);
    expect(list.ok && list.value.suites).toEqual(['baseline', 'chaos']);
  });

  it('accepts --help without a suite', () => {
    const r = parseBenchArgs(['--help']);
    expect(r.ok && r.value.help).toBe(true);
  });
});
