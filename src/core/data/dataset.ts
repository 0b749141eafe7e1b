/**
 * In-memory data sets and their binary asset format (`public/data/<name>.bin`, written by
 * `scripts/build-data.ts`, read by `src/platform/load-dataset.ts`). The format lives here only.
 *
 * Layout, all integers little-endian, HEADER_BYTES = 48:
 *
 * | offset | size | field                                                   |
 * |-------:|-----:|---------------------------------------------------------|
 * |      0 |    4 | magic, ASCII 'SWDS'                                     |
 * |      4 |    2 | format version (u16) = DATASET_FORMAT_VERSION            |
 * |      6 |    2 | header length in bytes (u16) = 48                       |
 * |      8 |    2 | image width (u16)                                       |
 * |     10 |    2 | image height (u16)                                      |
 * |     12 |    2 | number of classes (u16), 1..256                          |
 * |     14 |    2 | reserved, 0                                             |
 * |     16 |    4 | train count (u32)                                       |
 * |     20 |    4 | test count (u32)                                        |
 * |     24 |   16 | data set name, ASCII, NUL-padded                        |
 * |     40 |    8 | reserved, 0                                             |
 * |     48 |      | train pixels (u8, train·w·h), train labels (u8, train), |
 * |        |      | test pixels (u8, test·w·h), test labels (u8, test)      |
 *
 * Pixels are grey values 0..255 (0 = background), row-major, one image after another. The file length
 * must be exactly 48 + (train + test)·(w·h + 1).
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';

/** Names of the data sets the project ships (same strings as the protocol's `DatasetName`). */
export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
/** One of `DATASET_NAMES`. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** One part of a data set. `images` holds `count` images of w·h uint8 pixels; `labels` holds `count` classes. */
export interface Split {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** A labelled image data set with a training and a held-out test split. */
export interface Dataset {
  readonly name: DatasetName;
  readonly width: number;
  readonly height: number;
  readonly numClasses: number;
  readonly train: Split;
  readonly test: Split;
}

/** The 4 magic bytes, 'SWDS' ("swarm data set"). */
export const DATASET_MAGIC = 'SWDS';
/** Bump when the layout changes; the parser accepts only this version. */
export const DATASET_FORMAT_VERSION = 1;
/** Fixed header length; the body starts here. */
export const DATASET_HEADER_BYTES = 48;
/** Offset and size of the NUL-padded name field. */
const NAME_OFFSET = 24;
const NAME_BYTES = 16;
/** Sanity limit on an image side, far above any data set we ship (guards absurd allocations). */
const MAX_SIDE = 4096;
/** Labels are stored as u8, so at most 256 classes. */
const MAX_CLASSES = 256;

/** True when `s` names a shipped data set. */
export function isDatasetName(s: unknown): s is DatasetName {
  return typeof s === 'string' && (DATASET_NAMES as readonly string[]).includes(s);
}

/** Thrown by `encodeDatasetAsset` when given an inconsistent data set (a programmer error). */
export class DatasetEncodeError extends Error {
  static readonly NAME = 'DatasetEncodeError';
  constructor(message: string) {
    super(message);
    this.name = DatasetEncodeError.NAME;
  }
}

/** Bytes of one split in the body: pixels then labels. */
const splitBytes = (count: number, pixels: number): number => count * (pixels + 1);

function checkSplitForEncode(split: Split, pixels: number, numClasses: number, what: string): void {
  if (split.images.length !== split.count * pixels || split.labels.length !== split.count) {
    throw new DatasetEncodeError(`${what}: lengths do not match count ${split.count}`);
  }
  for (const label of split.labels) {
    if (label >= numClasses) throw new DatasetEncodeError(`${what}: label ${label} >= ${numClasses} classes`);
  }
}

/**
 * Serialises a data set into the asset format above.
 * @throws DatasetEncodeError if lengths, labels, sizes or the name are inconsistent.
 */
export function encodeDatasetAsset(ds: Dataset): Uint8Array {
  const pixels = ds.width * ds.height;
  const sideOk = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
  if (!sideOk(ds.width) || !sideOk(ds.height)) throw new DatasetEncodeError(`bad image size ${ds.width}x${ds.height}`);
  if (!Number.isInteger(ds.numClasses) || ds.numClasses < 1 || ds.numClasses > MAX_CLASSES) {
    throw new DatasetEncodeError(`bad class count ${ds.numClasses}`);
  }
  if (!isDatasetName(ds.name)) throw new DatasetEncodeError(`unknown data set name ${JSON.stringify(ds.name)}`);
  checkSplitForEncode(ds.train, pixels, ds.numClasses, 'train');
  checkSplitForEncode(ds.test, pixels, ds.numClasses, 'test');

  const total = DATASET_HEADER_BYTES + splitBytes(ds.train.count, pixels) + splitBytes(ds.test.count, pixels);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < DATASET_MAGIC.length; i++) out[i] = DATASET_MAGIC.charCodeAt(i);
  view.setUint16(4, DATASET_FORMAT_VERSION, true);
  view.setUint16(6, DATASET_HEADER_BYTES, true);
  view.setUint16(8, ds.width, true);
  view.setUint16(10, ds.height, true);
  view.setUint16(12, ds.numClasses, true);
  view.setUint32(16, ds.train.count, true);
  view.setUint32(20, ds.test.count, true);
  for (let i = 0; i < ds.name.length; i++) out[NAME_OFFSET + i] = ds.name.charCodeAt(i);

  let at = DATASET_HEADER_BYTES;
  for (const part of [ds.train.images, ds.train.labels, ds.test.images, ds.test.labels]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface Header {
  readonly name: DatasetName;
  readonly width: number;
  readonly height: number;
  readonly numClasses: number;
  readonly trainCount: number;
  readonly testCount: number;
}

function readName(bytes: Uint8Array): string {
  let name = '';
  for (let i = NAME_OFFSET; i < NAME_OFFSET + NAME_BYTES; i++) {
    const c = bytes[i] ?? 0;
    if (c === 0) break;
    name += String.fromCharCode(c);
  }
  return name;
}

/** Reads and checks the fixed header (not the body). */
function parseHeader(bytes: Uint8Array): Result<Header, string> {
  if (bytes.length < DATASET_HEADER_BYTES) return err(`asset too short (${bytes.length} bytes) for a header`);
  const magic = String.fromCharCode(...bytes.subarray(0, DATASET_MAGIC.length));
  if (magic !== DATASET_MAGIC) return err(`bad magic ${JSON.stringify(magic)}, expected '${DATASET_MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== DATASET_FORMAT_VERSION) {
    return err(`unsupported format version ${version} (this build reads ${DATASET_FORMAT_VERSION})`);
  }
  if (view.getUint16(6, true) !== DATASET_HEADER_BYTES) return err(`unexpected header length ${view.getUint16(6, true)}`);
  const width = view.getUint16(8, true);
  const height = view.getUint16(10, true);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) return err(`bad image size ${width}x${height}`);
  const numClasses = view.getUint16(12, true);
  if (numClasses < 1 || numClasses > MAX_CLASSES) return err(`bad class count ${numClasses}`);
  const name = readName(bytes);
  if (!isDatasetName(name)) return err(`unknown data set name ${JSON.stringify(name)}`);
  return ok({ name, width, height, numClasses, trainCount: view.getUint32(16, true), testCount: view.getUint32(20, true) });
}

/** Views one split (no copy) at `at` and checks its labels. */
function readSplit(bytes: Uint8Array, at: number, count: number, h: Header, what: string): Result<Split, string> {
  const pixels = h.width * h.height;
  const images = bytes.subarray(at, at + count * pixels);
  const labels = bytes.subarray(at + count * pixels, at + splitBytes(count, pixels));
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? 0;
    if (label >= h.numClasses) return err(`${what} label #${i} is ${label}, but there are ${h.numClasses} classes`);
  }
  return ok({ images, labels, count });
}

/**
 * Parses an asset produced by `encodeDatasetAsset`. Validates the magic, version, sizes, exact length,
 * name and every label; never throws. The returned splits are views into `bytes` (no copy).
 */
export function parseDatasetAsset(input: ArrayBuffer | Uint8Array): Result<Dataset, string> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const header = parseHeader(bytes);
  if (!header.ok) return header;
  const h = header.value;
  const pixels = h.width * h.height;
  const expected = DATASET_HEADER_BYTES + splitBytes(h.trainCount, pixels) + splitBytes(h.testCount, pixels);
  if (bytes.length !== expected) {
    return err(`asset is ${bytes.length} bytes; header promises ${expected} (${h.trainCount} train + ${h.testCount} test)`);
  }
  const train = readSplit(bytes, DATASET_HEADER_BYTES, h.trainCount, h, 'train');
  if (!train.ok) return train;
  const test = readSplit(bytes, DATASET_HEADER_BYTES + splitBytes(h.trainCount, pixels), h.testCount, h, 'test');
  if (!test.ok) return test;
  return ok({ name: h.name, width: h.width, height: h.height, numClasses: h.numClasses, train: train.value, test: test.value });
}
