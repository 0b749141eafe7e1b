/**
 * Checks that a value has the shape of a result file (`SuiteResult`). The runner checks what it is about to
 * write; tests and other tools check what they read. Never throws.
 */
import { err, ok, type Result } from '../src/core/result.ts';
import { SUITE_NAMES, type BenchRun, type SuiteResult } from './result-types.ts';

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isStrOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/** Common fields of a run and their checks. */
const RUN_FIELDS: Readonly<Record<string, (v: unknown) => boolean>> = {
  method: (v) => typeof v === 'string' && v !== '',
  name: (v) => typeof v === 'string' && v !== '',
  dataset: isStrOrNull,
  model: isStrOrNull,
  tabs: (v) => isNum(v) && Number.isInteger(v) && v >= 0,
  seed: isNum,
  wallSeconds: (v) => isNum(v) && v >= 0,
  targetAccuracy: isNumOrNull,
  timeToTargetSeconds: isNumOrNull,
  stepsToTarget: isNumOrNull,
  finalTestAccuracy: isNumOrNull,
  bytesSent: (v) => isNum(v) && v >= 0,
  peakBytesPerTab: (v) => isNum(v) && v >= 0,
  curve: (v) => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && isNum(p[0]) && isNum(p[1])),
};

const MACHINE_FIELDS: Readonly<Record<string, (v: unknown) => boolean>> = {
  cpus: isNum,
  cpuModel: (v) => typeof v === 'string',
  memGiB: isNum,
  node: (v) => typeof v === 'string',
  chromium: (v) => typeof v === 'string',
  os: (v) => typeof v === 'string',
};

/** The first field of `o` that fails its check, as "field", or null. */
function badField(o: Obj, checks: Readonly<Record<string, (v: unknown) => boolean>>): string | null {
  for (const [key, check] of Object.entries(checks)) if (!check(o[key])) return key;
  return null;
}

function checkRun(v: unknown, i: number): string | null {
  if (!isObj(v)) return `runs[${i}] is not an object`;
  const bad = badField(v, RUN_FIELDS);
  return bad === null ? null : `runs[${i}].${bad} is missing or has the wrong type`;
}

function checkRatios(ratios: unknown, targets: unknown): string | null {
  if (!isObj(ratios)) return 'ratios is not an object';
  if (!isObj(targets)) return 'ratioTargets is not an object';
  for (const [key, value] of Object.entries(ratios)) {
    if (!isNumOrNull(value)) return `ratios.${key} is not a number or null`;
    const t = targets[key];
    if (!isObj(t) || !isNumOrNull(t.target) || (t.direction !== 'min' && t.direction !== 'max') || typeof t.meaning !== 'string') {
      return `ratioTargets.${key} is missing or malformed`;
    }
  }
  return null;
}

/**
 * Validates a parsed result file.
 * @returns the value typed as SuiteResult, or the first problem found, e.g. "runs[2].wallSeconds is missing".
 */
export function validateSuiteResult(v: unknown): Result<SuiteResult, string> {
  if (!isObj(v)) return err('result is not an object');
  if (!(SUITE_NAMES as readonly unknown[]).includes(v.suite)) return err(`suite ${JSON.stringify(v.suite)} is not one of ${SUITE_NAMES.join(', ')}`);
  if (!isObj(v.machine)) return err('machine is not an object');
  const badMachine = badField(v.machine, MACHINE_FIELDS);
  if (badMachine !== null) return err(`machine.${badMachine} is missing or has the wrong type`);
  if (typeof v.startedAt !== 'string' || Number.isNaN(Date.parse(v.startedAt))) return err('startedAt is not an ISO date');
  if (typeof v.command !== 'string') return err('command is not a string');
  if (!Array.isArray(v.runs)) return err('runs is not an array');
  const runs: readonly unknown[] = v.runs;
  for (let i = 0; i < runs.length; i++) {
    const problem = checkRun(runs[i], i);
    if (problem !== null) return err(problem);
  }
  const ratioProblem = checkRatios(v.ratios, v.ratioTargets);
  if (ratioProblem !== null) return err(ratioProblem);
  if (!Array.isArray(v.notes) || !v.notes.every((n) => typeof n === 'string')) return err('notes is not an array of strings');
  return ok(v as unknown as SuiteResult);
}

/** Narrowing helper for callers that build runs by hand: true when `run` passes the common-field checks. */
export function isBenchRun(run: unknown): run is BenchRun {
  return checkRun(run, 0) === null;
}
