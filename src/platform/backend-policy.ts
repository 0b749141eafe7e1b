/**
 * The backend choice rule, pure: given what was measured, which backend wins and why.
 *
 * Rule: the fastest measured backend wins, except that WebGPU wins whenever it is within
 * {@link WEBGPU_TOLERANCE} of the fastest: a GPU leaves the CPU free for the page, the transport and
 * the other tabs. On machines without a GPU, WebGPU runs on a software adapter (SwiftShader) and
 * loses by ~8x, so it is measured rather than trusted.
 */
import type { BackendName } from '../protocol/messages.ts';

/** What happened when one backend was tried; shown on the dashboard. */
export interface BackendMeasurement {
  readonly backend: BackendName;
  /** Detected as usable in this tab (it may still fail to initialise or fail the self-test). */
  readonly available: boolean;
  /** Measured training throughput; null when not measured (unavailable, failed, or skipped). */
  readonly samplesPerSec: number | null;
  /** Why it is unavailable / skipped / failed, or how the measurement went. */
  readonly note: string;
}

/** What the policy knows of the WebGPU adapter, to explain a WebGPU that lost. */
export interface WebGpuHint {
  readonly software: boolean;
  /** The capability reason, e.g. "adapter is software (swiftshader)". */
  readonly reason: string;
}

/** The policy's answer. */
export interface BackendPick {
  readonly backend: BackendName;
  readonly reason: string;
}

/**
 * WebGPU is preferred while its speed is at least (1 − 0.1) of the best: 10% is about the run-to-run
 * noise of a 600 ms measurement, so inside it the two are tied and the GPU's freeing of the CPU decides.
 */
export const WEBGPU_TOLERANCE = 0.1;

interface Measured {
  readonly backend: BackendName;
  readonly samplesPerSec: number;
}

/** 2310.4 → "2,310". */
export const formatRate = (samplesPerSec: number): string => Math.round(samplesPerSec).toLocaleString('en-US');

const list = (ms: readonly Measured[]): string => ms.map((m) => `${m.backend} ${formatRate(m.samplesPerSec)}`).join(', ');

function measuredOf(measurements: readonly BackendMeasurement[]): Measured[] {
  const out: Measured[] = [];
  for (const m of measurements) {
    if (m.samplesPerSec !== null && Number.isFinite(m.samplesPerSec) && m.samplesPerSec > 0) {
      out.push({ backend: m.backend, samplesPerSec: m.samplesPerSec });
    }
  }
  return out.sort((a, b) => b.samplesPerSec - a.samplesPerSec);
}

/** Reason for a non-WebGPU winner. */
function reasonWithoutGpu(best: Measured, rest: readonly Measured[], all: readonly BackendMeasurement[], hint: WebGpuHint | null): string {
  const gpu = rest.find((m) => m.backend === 'webgpu');
  const others = rest.filter((m) => m.backend !== 'webgpu');
  if (gpu !== undefined) {
    const lead = hint?.software === true ? `webgpu ${hint.reason}` : 'webgpu is slower here';
    const also = others.length > 0 ? `; also measured ${list(others)}` : '';
    return `${lead}: ${best.backend} measured ${formatRate(best.samplesPerSec)} samples/s vs webgpu ${formatRate(gpu.samplesPerSec)}${also}`;
  }
  const head =
    rest.length > 0
      ? `${best.backend} fastest: ${formatRate(best.samplesPerSec)} samples/s vs ${list(rest)}`
      : `${best.backend}: ${formatRate(best.samplesPerSec)} samples/s, the only backend measured`;
  const gpuNote = all.find((m) => m.backend === 'webgpu');
  return gpuNote === undefined ? head : `${head}; webgpu not used: ${gpuNote.note}`;
}

/**
 * Picks the backend to use from measurements, or null when nothing was measured.
 *
 * @example
 * pickBackend([{backend: 'webgpu', available: true, samplesPerSec: 290, note: ''},
 *              {backend: 'wasm', available: true, samplesPerSec: 2310, note: ''}],
 *             {software: true, reason: 'adapter is software (swiftshader)'});
 * // {backend: 'wasm', reason: 'webgpu adapter is software (swiftshader): wasm measured 2,310 samples/s vs webgpu 290'}
 */
export function pickBackend(measurements: readonly BackendMeasurement[], hint: WebGpuHint | null = null): BackendPick | null {
  const measured = measuredOf(measurements);
  const [best, ...rest] = measured;
  if (best === undefined) return null;
  if (best.backend === 'webgpu') {
    const vs = rest.length > 0 ? ` vs ${list(rest)}` : ', the only backend measured';
    return { backend: 'webgpu', reason: `webgpu fastest: ${formatRate(best.samplesPerSec)} samples/s${vs}` };
  }
  const gpu = rest.find((m) => m.backend === 'webgpu');
  if (gpu !== undefined && gpu.samplesPerSec >= (1 - WEBGPU_TOLERANCE) * best.samplesPerSec) {
    const percent = Math.round(WEBGPU_TOLERANCE * 100);
    return {
      backend: 'webgpu',
      reason: `webgpu ${formatRate(gpu.samplesPerSec)} samples/s is within ${percent}% of ${best.backend} ${formatRate(best.samplesPerSec)}: preferred, a GPU frees the CPU`,
    };
  }
  return { backend: best.backend, reason: reasonWithoutGpu(best, rest, measurements, hint) };
}
