/**
 * The field readers behind validate.ts: `Fields` reads one untrusted JSON object field by field, records the
 * first bad field (with its path) instead of throwing, and resolves tensor fields from the frame's sections,
 * checking each section is used exactly once. Split from validate.ts to keep both files small.
 */
import { isPeerId } from '../core/ids.ts';
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import { MAX_DIM, MAX_RANK, MAX_SECTIONS, parseShape, protocolError } from './frame.ts';
import type { ProtocolError } from './frame.ts';
import type * as M from './messages.ts';
import { shapeSize } from './wire-tensor.ts';
import type { WireDtype, WireTensor } from './wire-tensor.ts';

/** Longest id-like or name-like string (run phase, error code), in UTF-16 units. */
export const MAX_SHORT_STRING_CHARS = 256;

const DATA_CLASS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint16: Uint16Array, uint8: Uint8Array } as const;
/** Returned in place of a bad value; never escapes because `finish` then returns the recorded error. */
const PLACEHOLDER_TENSOR: WireTensor = { dtype: 'uint8', shape: [0], data: new Uint8Array(0) };

export type Json = Readonly<Record<string, unknown>>;

/** Shared by the readers of one message: the sections, which are used, and the first error seen. */
export interface Context {
  readonly sections: readonly WireTensor[];
  readonly used: boolean[];
  error: string | null;
}

export const isJsonObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

/** How much of a bad string an error detail quotes: enough to recognise it in a log line. */
const PREVIEW_CHARS = 40;

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > PREVIEW_CHARS ? `${v.slice(0, PREVIEW_CHARS)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** Problem with a tensor for a field wanting `dtype`, or null when it is well formed. */
function tensorProblem(t: WireTensor, dtype: WireDtype): string | null {
  if (t.dtype !== dtype) return `a ${dtype} tensor, got ${t.dtype}`;
  if (!(t.data instanceof DATA_CLASS[dtype])) return `${dtype} data in a ${DATA_CLASS[dtype].name}`;
  const shape = parseShape(t.shape);
  if (shape === null) return `a shape of ≤ ${MAX_RANK} integer dims in [0, ${MAX_DIM}]`;
  const n = shapeSize(shape);
  return n === t.data.length ? null : `${n} elements for shape [${shape.join(', ')}], got ${t.data.length}`;
}

/** Reads the fields of one JSON object; a bad field records the first error and returns a placeholder. */
export class Fields {
  constructor(
    private readonly obj: Json,
    private readonly path: string,
    private readonly ctx: Context,
  ) {}

  private get(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  private fail<T>(label: string, want: string, got: unknown, placeholder: T): T {
    this.ctx.error ??= `${this.path}.${label}: expected ${want}, got ${describe(got)}`;
    return placeholder;
  }

  /** A finite number in [min, max], or (min, max] when `minExclusive`. */
  num(key: string, min: number, max: number, minExclusive = false): number {
    const v = this.get(key);
    if (typeof v === 'number' && Number.isFinite(v) && (minExclusive ? v > min : v >= min) && v <= max) return v;
    return this.fail(key, `a finite number in ${minExclusive ? '(' : '['}${min}, ${max}]`, v, 0);
  }

  /** `null` (not measured yet) or a finite number in [min, max]. */
  numOrNull(key: string, min: number, max: number): number | null {
    return this.get(key) === null ? null : this.num(key, min, max);
  }

  /** A safe integer in [min, max]. */
  int(key: string, min: number, max: number): number {
    const v = this.get(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max) return v;
    return this.fail(key, `an integer in [${min}, ${max}]`, v, 0);
  }

  /** A non-negative safe integer (steps, counters). */
  count(key: string): number {
    return this.int(key, 0, Number.MAX_SAFE_INTEGER);
  }

  str(key: string, maxChars: number = MAX_SHORT_STRING_CHARS): string {
    const v = this.get(key);
    return typeof v === 'string' && v.length <= maxChars ? v : this.fail(key, `a string of ≤ ${maxChars} chars`, v, '');
  }

  /** An optional string (a field added in a later version, e.g. DeviceInfo's DASO hints): absent → undefined. */
  optStr(key: string, maxChars: number = MAX_SHORT_STRING_CHARS): string | undefined {
    return this.get(key) === undefined ? undefined : this.str(key, maxChars);
  }

  /** An id with the PeerId alphabet (peer ids, rooms, run ids: core/ids.ts). */
  id(key: string): string {
    const v = this.get(key);
    return isPeerId(v) ? v : this.fail(key, 'an id of 1-64 chars [A-Za-z0-9_-]', v, '');
  }

  bool(key: string): boolean {
    const v = this.get(key);
    return typeof v === 'boolean' ? v : this.fail(key, 'a boolean', v, false);
  }

  oneOf<T extends string>(key: string, allowed: Readonly<Record<T, true>>): T {
    const v = this.get(key);
    if (typeof v === 'string' && Object.hasOwn(allowed, v)) return v as T;
    return this.fail(key, `one of ${Object.keys(allowed).join('|')}`, v, '' as T);
  }

  child(key: string): Fields {
    const v = this.get(key);
    return new Fields(isJsonObject(v) ? v : this.fail(key, 'an object', v, {}), `${this.path}.${key}`, this.ctx);
  }

  ids(key: string, maxItems: number): string[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > maxItems) return this.fail(key, `an array of ≤ ${maxItems} ids`, v, []);
    const items: readonly unknown[] = v;
    return items.map((s, i) => (isPeerId(s) ? s : this.fail(`${key}[${i}]`, 'an id', s, '')));
  }

  tensor(key: string, dtype: WireDtype): WireTensor {
    return this.section(key, this.get(key), dtype);
  }

  tensors(key: string, dtype: WireDtype): WireTensor[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > MAX_SECTIONS) return this.fail(key, 'an array of section indices', v, []);
    const refs: readonly unknown[] = v;
    return refs.map((ref, i) => this.section(`${key}[${i}]`, ref, dtype));
  }

  /** An int32 vector of non-negative values (sample indices). */
  indexVector(key: string): WireTensor {
    const t = this.tensor(key, 'int32');
    if (t.shape.length !== 1) return this.fail(key, 'a rank-1 tensor', `rank ${t.shape.length}`, t);
    return t.data.every((x) => x >= 0) ? t : this.fail(key, 'non-negative indices', 'a negative one', t);
  }

  /** A tensor of `dtype` and rank `max.length` whose every dim d_i is in [1, max_i]. */
  shaped(key: string, dtype: WireDtype, max: readonly number[]): WireTensor {
    return this.checkShaped(key, this.tensor(key, dtype), max);
  }

  /** An array of at most `maxItems` tensors, each as `shaped` checks. */
  shapedList(key: string, dtype: WireDtype, maxItems: number, max: readonly number[]): WireTensor[] {
    const ts = this.tensors(key, dtype);
    if (ts.length > maxItems) return this.fail(key, `at most ${maxItems} tensors`, ts.length, []);
    return ts.map((t, i) => this.checkShaped(`${key}[${i}]`, t, max));
  }

  /** Records an error when `ok` is false (a cross-field rule); returns `ok`. */
  require(label: string, ok: boolean, want: string, got: unknown): boolean {
    return ok || this.fail(label, want, got, false);
  }

  private checkShaped(label: string, t: WireTensor, max: readonly number[]): WireTensor {
    const fits = t.shape.length === max.length && t.shape.every((d, i) => d >= 1 && d <= (max[i] ?? 0));
    return fits ? t : this.fail(label, `a rank-${max.length} tensor within [${max.join(', ')}]`, `shape [${t.shape.join(', ')}]`, t);
  }

  private section(label: string, ref: unknown, dtype: WireDtype): WireTensor {
    const t = typeof ref === 'number' && Number.isInteger(ref) ? this.ctx.sections[ref] : undefined;
    if (t === undefined) return this.fail(label, `a section index below ${this.ctx.sections.length}`, ref, PLACEHOLDER_TENSOR);
    const index = ref as number;
    if (this.ctx.used[index] === true) return this.fail(label, 'a section no other field uses', ref, PLACEHOLDER_TENSOR);
    this.ctx.used[index] = true;
    const problem = tensorProblem(t, dtype);
    return problem === null ? t : this.fail(label, problem, `section ${index}`, PLACEHOLDER_TENSOR);
  }

  /** The rebuilt message, or the first recorded error, or an error for a section no field referenced. */
  finish(m: M.Message): Result<M.Message, ProtocolError> {
    if (this.ctx.error !== null) return err(protocolError('invalid-field', this.ctx.error));
    const unused = this.ctx.used.indexOf(false);
    return unused < 0 ? ok(m) : err(protocolError('malformed', `section ${unused} is not used by any field`));
  }
}

