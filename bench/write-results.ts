/** Writes DIR/NAME.json and DIR/NAME.html for one suite, after checking the result's shape. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport } from './report-html.ts';
import type { SuiteResult } from './result-types.ts';
import { validateSuiteResult } from './validate-result.ts';

/** A result that does not have the documented shape: a bug in a suite, caught before it is written. */
export class InvalidResultError extends Error {
  static readonly NAME = 'InvalidResultError';
  constructor(message: string) {
    super(message);
    this.name = InvalidResultError.NAME;
  }
}

/**
 * Validates and writes the result files; resolves with their paths.
 * @throws InvalidResultError when the result breaks the shape of result-types.ts.
 */
export async function writeSuiteResult(outDir: string, result: SuiteResult): Promise<{ json: string; html: string }> {
  // Round-trip through JSON first: what is validated is exactly what lands in the file (no undefined, no NaN).
  const parsed: unknown = JSON.parse(JSON.stringify(result));
  const checked = validateSuiteResult(parsed);
  if (!checked.ok) throw new InvalidResultError(`${result.suite}: ${checked.error}`);
  await mkdir(outDir, { recursive: true });
  const json = join(outDir, `${result.suite}.json`);
  const html = join(outDir, `${result.suite}.html`);
  await writeFile(json, `${JSON.stringify(checked.value, null, 2)}\n`);
  await writeFile(html, renderReport(checked.value));
  return { json, html };
}
