/** The backend names tfjs knows us by, and a parser for untrusted text such as `?backend=`. */
import type { BackendName } from '../protocol/messages.ts';
import { err, ok, type Result } from '../core/result.ts';

/** Every backend name, in the preference order of {@link parseBackendName}'s callers: GPU first. */
export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

/** Why a text is not a backend name. */
export interface BackendNameError {
  readonly kind: 'unknown-backend';
  readonly message: string;
}

/**
 * Parses a backend name (case-insensitive, surrounding spaces ignored). Never throws.
 *
 * @example
 * parseBackendName(new URLSearchParams(location.search).get('backend')); // {ok: true, value: 'wasm'}
 */
export function parseBackendName(input: unknown): Result<BackendName, BackendNameError> {
  const text = typeof input === 'string' ? input.trim().toLowerCase() : '';
  const name = BACKEND_NAMES.find((n) => n === text);
  if (name !== undefined) return ok(name);
  const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : typeof input;
  return err({ kind: 'unknown-backend', message: `${shown} is not one of ${BACKEND_NAMES.join(', ')}` });
}
