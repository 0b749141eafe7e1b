/**
 * `npm run data`: converts the npm data set packages into the compact binary assets the app loads,
 * `public/data/<name>.bin` (format: src/core/data/dataset.ts). Generated, never committed (gitignored).
 *
 * What the packages really hold (checked against the installed files, not their READMEs):
 * - `mnist` 1.1.0, `src/digits/<class>.json` = `{"data": number[]}`, 784 grey values in [0, 1] per sample,
 *   stored as v/255 rounded to 3 decimals (round(v·255) recovers the byte). 10,000 samples, but NOT 1,000
 *   per class: 863 (class 5) to 1,127 (class 1).
 * - `fashion-mnist` 1.1.0, `src/clothes/<class>.json` = `{"data": number[][]}`, one array per sample of
 *   784 integers in 0..255 (not [0, 1]). 7,000 images per class (70,000); class 0's file also holds two
 *   empty arrays (70,002 entries), which are skipped.
 *
 * Held-out test split (seeded, stratified, see src/core/data/split.ts): MNIST 200 per class (8,000 train /
 * 2,000 test); Fashion-MNIST 1,000 per class (60,000 / 10,000, the original's sizes). Both splits are
 * shuffled with a fixed seed, so train batches are not sorted by class.
 *
 * Skips a data set whose asset is newer than its source package.json and than this script and the core
 * files it uses (prints "up to date"); `--force` rebuilds. Writes to a temp file and renames, so an
 * interrupted run never leaves a truncated asset that looks up to date.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeDatasetAsset } from '../src/core/data/dataset.ts';
import type { DatasetName, Split } from '../src/core/data/dataset.ts';
import { stratifiedSplit } from '../src/core/data/split.ts';
import { createRng } from '../src/core/rng.ts';

/** MNIST-style images are 28×28. */
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const NUM_CLASSES = 10;
/** Root of all split seeds. Arbitrary but fixed: changing it changes every held-out test split. */
const DATA_SPLIT_SEED = 20_251_122;

/** How one package stores its samples. */
export type SourceLayout =
  /** `{data: number[]}`: all samples of the class back to back, values in [0, 1]. */
  | 'flat-unit'
  /** `{data: number[][]}`: one 784-array per sample, integer values in 0..255; empty arrays skipped. */
  | 'nested-byte';

interface Source {
  readonly name: DatasetName;
  readonly pkg: string;
  readonly dir: string;
  readonly layout: SourceLayout;
  readonly testPerClass: number;
}

const SOURCES: readonly Source[] = [
  { name: 'mnist', pkg: 'mnist', dir: 'src/digits', layout: 'flat-unit', testPerClass: 200 },
  { name: 'fashion-mnist', pkg: 'fashion-mnist', dir: 'src/clothes', layout: 'nested-byte', testPerClass: 1000 },
];

/** Thrown when a source file does not have the layout this script expects. */
export class SourceFormatError extends Error {
  static readonly NAME = 'SourceFormatError';
  constructor(message: string) {
    super(message);
    this.name = SourceFormatError.NAME;
  }
}

/** The samples of one class file as bytes. */
export interface ClassPixels {
  readonly pixels: Uint8Array;
  readonly count: number;
  /** Empty sample arrays that were skipped (`nested-byte` only). */
  readonly skipped: number;
}

function toByte(v: unknown, layout: SourceLayout, where: string): number {
  if (typeof v !== 'number') throw new SourceFormatError(`${where}: non-number ${JSON.stringify(v)}`);
  if (layout === 'flat-unit') {
    if (!(v >= 0 && v <= 1)) throw new SourceFormatError(`${where}: ${v} is outside [0, 1]`);
    return Math.round(v * 255);
  }
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new SourceFormatError(`${where}: ${v} is not a byte`);
  return v;
}

/**
 * Converts one parsed class file (`{data: …}`) into uint8 pixels, checking every value.
 * @throws SourceFormatError on any unexpected shape or value.
 */
export function classPixelsFromJson(json: unknown, layout: SourceLayout, where: string): ClassPixels {
  const data: unknown = typeof json === 'object' && json !== null && 'data' in json ? json.data : undefined;
  if (!Array.isArray(data)) throw new SourceFormatError(`${where}: no "data" array`);
  if (layout === 'flat-unit') {
    if (data.length % PIXELS !== 0) throw new SourceFormatError(`${where}: ${data.length} values is not a multiple of ${PIXELS}`);
    const pixels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) pixels[i] = toByte(data[i], layout, where);
    return { pixels, count: data.length / PIXELS, skipped: 0 };
  }
  const rows = data.filter((row) => !(Array.isArray(row) && row.length === 0));
  const pixels = new Uint8Array(rows.length * PIXELS);
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== PIXELS) throw new SourceFormatError(`${where}: sample ${r} is not ${PIXELS} values`);
    for (let p = 0; p < PIXELS; p++) pixels[r * PIXELS + p] = toByte(row[p], layout, where);
  });
  return { pixels, count: rows.length, skipped: data.length - rows.length };
}

/** Reads every class file of a source, one at a time (each JSON text is dropped after parsing). */
function readPool(src: Source, pkgDir: string): { images: Uint8Array; labels: Uint8Array; skipped: number } {
  const parts: ClassPixels[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const file = path.join(pkgDir, src.dir, `${c}.json`);
    parts.push(classPixelsFromJson(JSON.parse(readFileSync(file, 'utf8')), src.layout, file));
  }
  const total = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  parts.forEach((p, c) => {
    images.set(p.pixels, at * PIXELS);
    labels.fill(c, at, at + p.count);
    at += p.count;
  });
  return { images, labels, skipped: parts.reduce((n, p) => n + p.skipped, 0) };
}

/** Copies the pool samples at `indices`, in that order, into a new split. */
function gather(pool: { images: Uint8Array; labels: Uint8Array }, indices: Int32Array): Split {
  const images = new Uint8Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((i, k) => {
    images.set(pool.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = pool.labels[i] ?? 0;
  });
  return { images, labels, count: indices.length };
}

const mtimeMs = (file: string): number => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1; // missing
  }
};

const MIB = 1024 * 1024;

function buildOne(src: Source, outDir: string, force: boolean, inputs: readonly string[]): void {
  const started = performance.now();
  const pkgJson = createRequire(import.meta.url).resolve(`${src.pkg}/package.json`);
  const out = path.join(outDir, `${src.name}.bin`);
  const outTime = mtimeMs(out);
  if (!force && outTime > Math.max(...[pkgJson, ...inputs].map(mtimeMs))) {
    console.log(`${src.name}: up to date (${(statSync(out).size / MIB).toFixed(1)} MiB, ${out})`);
    return;
  }
  const pool = readPool(src, path.dirname(pkgJson));
  const seed = createRng(DATA_SPLIT_SEED).fork(src.name).seed;
  const split = stratifiedSplit({ labels: pool.labels, testPerClass: src.testPerClass, seed });
  const bytes = encodeDatasetAsset({
    name: src.name,
    width: SIDE,
    height: SIDE,
    numClasses: NUM_CLASSES,
    train: gather(pool, split.train),
    test: gather(pool, split.test),
  });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const skipped = pool.skipped > 0 ? `, ${pool.skipped} empty source entries skipped` : '';
  console.log(
    `${src.name}: ${split.train.length} train / ${split.test.length} test, ` +
      `${(bytes.length / MIB).toFixed(1)} MiB -> ${out} (${secs} s${skipped})`,
  );
}

/** Entry point: `tsx scripts/build-data.ts [--force]`. */
export function main(argv: readonly string[]): void {
  const here = fileURLToPath(import.meta.url);
  const root = path.resolve(path.dirname(here), '..');
  const outDir = path.join(root, 'public', 'data');
  mkdirSync(outDir, { recursive: true });
  // The asset also depends on this script and on the format, split and RNG code: rebuild when they change.
  const inputs = [here, ...['data/dataset.ts', 'data/split.ts', 'rng.ts'].map((f) => path.join(root, 'src/core', f))];
  for (const src of SOURCES) buildOne(src, outDir, argv.includes('--force'), inputs);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
