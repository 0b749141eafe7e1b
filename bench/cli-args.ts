/**
 * `npm run bench -- --suite NAME [--tabs N] [--out DIR] [--seed S] [--quick] ...`: argument parsing, pure.
 */
import { err, ok, type Result } from '../src/core/result.ts';
import { SUITE_NAMES, type SuiteName } from './result-types.ts';

/** Everything a bench invocation was asked to do. */
export interface BenchOptions {
  /** Suites to run, in order (`all` expands to every suite). */
  readonly suites: readonly SuiteName[];
  /** Most tabs a swarm opens (baseline runs 1, 2 and 4 tabs, analytic 4, capped by this). */
  readonly tabs: number;
  readonly out: string;
  readonly seed: number;
  /** Fewer epochs and rounds: a smoke run of one suite in under two minutes. */
  readonly quick: boolean;
  /** False with --no-build: never run `npm run build`, even when dist/ looks stale. */
  readonly build: boolean;
  readonly dataset: 'mnist' | 'fashion-mnist';
  /** Baseline and daso epochs; null = the suite's default (baseline 3, or 1 with --quick; daso 15 (ALGORITHMS.md 3.9), or 2 with --quick). */
  readonly epochs: number | null;
  /** Baseline target accuracy; null = 0.9 for MNIST, 0.8 for Fashion-MNIST. */
  readonly target: number | null;
  /** Baseline `?backend=` for every tab ('auto' = the app's own choice). */
  readonly backend: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  readonly help: boolean;
}

/** Defaults; `tabs: 4` is the largest swarm the baseline suite measures. */
export const DEFAULT_OPTIONS: BenchOptions = {
  suites: [],
  tabs: 4,
  out: 'bench-results',
  seed: 1,
  quick: false,
  build: true,
  dataset: 'mnist',
  epochs: null,
  target: null,
  backend: 'auto',
  help: false,
};

/** Usage text for --help and for argument errors. */
export const USAGE = `usage: npm run bench -- --suite transport|backends|baseline|analytic|daso|dho2|chaos|all [options]
  --tabs N        most tabs: baseline runs 1, 2, 4 capped by N; analytic runs 4 capped by N (default 4); daso always 2 x 2;
                  dho2 trains with 4 and measures curvature memory with 1, 2, 4, 8 capped by N (8 only with --tabs 8); chaos always 5 + a rogue page
  --out DIR       where NAME.json and NAME.html go (default bench-results)
  --seed S        seed for model init, partitions and sampling (default 1)
  --quick         fewer epochs / rounds: a smoke run (< 2 min per suite; analytic: MNIST, 2 splits, 3 FedAvg rounds; daso: 2 epochs x 3 methods;
                  dho2: Fashion-MNIST only, 1 epoch x 6 methods; chaos: 2 epochs, so the coordinator is closed in the last one)
  --no-build      never run npm run build (by default it runs when dist/ is missing or older than src/)
  --dataset D     mnist | fashion-mnist (baseline, daso, chaos; default mnist; dho2 runs both)
  --epochs E      baseline epochs (default 3, 1 with --quick); daso epochs (default 15, 2 with --quick); dho2 epochs (default 3, 1 with --quick);
                  chaos epochs (default 3, 2 with --quick; 1 closes no tab)
  --target A      baseline target test accuracy (default 0.9 MNIST, 0.8 Fashion-MNIST)
  --backend B     baseline, daso, dho2 and chaos ?backend= for every tab: auto | webgpu | webgl | wasm | cpu (default auto)`;

const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
const DATASETS = ['mnist', 'fashion-mnist'] as const;

function oneOf<T extends string>(values: readonly T[], v: string): v is T {
  return (values as readonly string[]).includes(v);
}

function parseSuites(v: string): Result<readonly SuiteName[], string> {
  if (v === 'all') return ok(SUITE_NAMES);
  const names = v.split(',').map((s) => s.trim());
  const bad = names.filter((n) => !oneOf(SUITE_NAMES, n));
  if (bad.length > 0) return err(`unknown suite ${bad.join(', ')}: expected ${SUITE_NAMES.join(', ')} or all`);
  return ok([...new Set(names as SuiteName[])]);
}

function intIn(flag: string, v: string, min: number, max: number): Result<number, string> {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) return err(`${flag} ${v}: expected an integer in [${min}, ${max}]`);
  return ok(n);
}

type Setter = (o: BenchOptions, v: string) => Result<BenchOptions, string>;

const map = <T>(r: Result<T, string>, f: (v: T) => BenchOptions): Result<BenchOptions, string> => (r.ok ? ok(f(r.value)) : r);

/** Flags that take a value. Upper bounds only catch typos: 64 tabs is far past what 2 cores can run. */
const VALUE_FLAGS: Readonly<Record<string, Setter>> = {
  '--suite': (o, v) => map(parseSuites(v), (suites) => ({ ...o, suites })),
  '--tabs': (o, v) => map(intIn('--tabs', v, 1, 64), (tabs) => ({ ...o, tabs })),
  '--out': (o, v) => (v.trim() === '' ? err('--out needs a folder') : ok({ ...o, out: v })),
  '--seed': (o, v) => map(intIn('--seed', v, 0, 2 ** 31 - 1), (seed) => ({ ...o, seed })),
  '--epochs': (o, v) => map(intIn('--epochs', v, 1, 1000), (epochs) => ({ ...o, epochs })),
  '--target': (o, v) => {
    const n = Number(v);
    return v.trim() !== '' && n > 0 && n <= 1 ? ok({ ...o, target: n }) : err(`--target ${v}: expected a number in (0, 1]`);
  },
  '--dataset': (o, v) => (oneOf(DATASETS, v) ? ok({ ...o, dataset: v }) : err(`--dataset ${v}: expected ${DATASETS.join(' or ')}`)),
  '--backend': (o, v) => (oneOf(BACKENDS, v) ? ok({ ...o, backend: v }) : err(`--backend ${v}: expected ${BACKENDS.join(', ')}`)),
};

const SWITCHES: Readonly<Record<string, (o: BenchOptions) => BenchOptions>> = {
  '--quick': (o) => ({ ...o, quick: true }),
  '--no-build': (o) => ({ ...o, build: false }),
  '--help': (o) => ({ ...o, help: true }),
  '-h': (o) => ({ ...o, help: true }),
};

/**
 * Parses the arguments after `npm run bench --` (`--flag value` or `--flag=value`). Never throws.
 * @returns the options, or an error message (print it with USAGE). `--suite` is required unless --help.
 * @example parseBenchArgs(['--suite', 'baseline', '--tabs', '2', '--quick'])
 */
export function parseBenchArgs(argv: readonly string[]): Result<BenchOptions, string> {
  let o = DEFAULT_OPTIONS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const switchFn = SWITCHES[flag];
    if (switchFn !== undefined && flag === arg) {
      o = switchFn(o);
      continue;
    }
    const setter = VALUE_FLAGS[flag];
    if (setter === undefined) return err(`unknown argument ${arg}`);
    const value = flag === arg ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) return err(`${flag} needs a value`);
    const next = setter(o, value);
    if (!next.ok) return next;
    o = next.value;
  }
  if (!o.help && o.suites.length === 0) return err('--suite is required');
  return ok(o);
}
