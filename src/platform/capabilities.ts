/**
 * Which tfjs backends this tab could use, with a reason for each one it cannot, detected without tfjs.
 *
 * The browser objects are read through a small structural {@link CapabilityScope} (by default
 * `globalThis`), so the detection runs in Node tests with plain fake objects.
 */
import type { BackendName } from '../protocol/messages.ts';
import { withTimeout } from './backend-timeout.ts';

/** The part of a WebGPU adapter's `info` (GPUAdapterInfo) that we read. */
export interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** Chrome ≥ 130 reports the fallback (software) flag here. */
  readonly isFallbackAdapter?: boolean;
}

/** The part of a GPUAdapter that we read. */
export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  /** Older location of the fallback flag (deprecated in Chrome, still in the spec's history). */
  readonly isFallbackAdapter?: boolean;
}

/** The part of `navigator.gpu` that we call. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/** The part of a WebGL2 rendering context that we call. */
export interface WebGlContextLike {
  getExtension(name: string): unknown;
  getParameter(pname: number): unknown;
}

/** Something with `getContext('webgl2')`: an OffscreenCanvas or an HTMLCanvasElement. */
export interface CanvasLike {
  getContext(contextId: 'webgl2'): unknown;
}

/** The globals that capability detection reads; every member is optional because any may be missing. */
export interface CapabilityScope {
  readonly navigator?: { readonly gpu?: GpuLike; readonly deviceMemory?: number; readonly userAgent?: string };
  readonly WebAssembly?: { validate(bytes: Uint8Array<ArrayBuffer>): boolean };
  readonly OffscreenCanvas?: new (width: number, height: number) => CanvasLike;
  readonly document?: { createElement(tagName: 'canvas'): CanvasLike };
  readonly performance?: { readonly memory?: { readonly jsHeapSizeLimit?: number } };
}

/** What detection found out about one backend. */
export interface BackendCapability {
  readonly backend: BackendName;
  readonly available: boolean;
  /** Why it is unavailable, or a short description when it is available (adapter, SIMD, ...). */
  readonly reason: string;
  /** GPU adapter / renderer description for webgpu and webgl; '' for wasm and cpu. */
  readonly adapter: string;
  /** True for a software GPU (SwiftShader, llvmpipe, a fallback adapter): available but likely slow. */
  readonly software: boolean;
}

/** The result of {@link detectCapabilities}. */
export interface Capabilities {
  readonly backends: Readonly<Record<BackendName, BackendCapability>>;
  /** Device memory estimate in bytes (navigator.deviceMemory, else the JS heap limit), 0 if unknown. */
  readonly memoryBytes: number;
  readonly userAgent: string;
}

/** Options of {@link detectCapabilities}. */
export interface DetectInit {
  /** Give up on `requestAdapter` after this long; some drivers never answer. 3 s is well above the ~50 ms seen. */
  readonly adapterTimeoutMs?: number;
}

const DEFAULT_ADAPTER_TIMEOUT_MS = 3000;
const GIB = 1024 ** 3;
/** WEBGL_debug_renderer_info.UNMASKED_VENDOR_WEBGL / UNMASKED_RENDERER_WEBGL. */
const UNMASKED_VENDOR_WEBGL = 0x9245;
const UNMASKED_RENDERER_WEBGL = 0x9246;
/** WebGLRenderingContext.RENDERER, masked on some browsers but always present. */
const GL_RENDERER = 0x1f01;
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;
/**
 * A tiny WebAssembly module that uses a SIMD instruction (i8x16.splat); `validate` accepts it only where
 * wasm SIMD is supported. From GoogleChromeLabs/wasm-feature-detect, as tfjs-backend-wasm uses it.
 */
const WASM_SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11];
/** The smallest valid module (magic + version): WebAssembly itself works. */
const WASM_MIN_MODULE = [0, 97, 115, 109, 1, 0, 0, 0];

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function unavailable(backend: BackendName, reason: string): BackendCapability {
  return { backend, available: false, reason, adapter: '', software: false };
}

/** "vendor / architecture / device / description" of an adapter, skipping empty parts. */
function describeAdapter(adapter: GpuAdapterLike): string {
  const i = adapter.info ?? {};
  const parts = [i.vendor, i.architecture, i.device, i.description].filter((p): p is string => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join(' / ') : 'unknown adapter';
}

async function detectWebGpu(scope: CapabilityScope, timeoutMs: number): Promise<BackendCapability> {
  const gpu = scope.navigator?.gpu;
  if (gpu === undefined) {
    return unavailable('webgpu', 'navigator.gpu is missing (no WebGPU in this browser, flag off, or not a secure context)');
  }
  try {
    const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, () => 'timeout' as const);
    if (adapter === 'timeout') return unavailable('webgpu', `requestAdapter did not answer within ${timeoutMs} ms`);
    if (adapter === null) return unavailable('webgpu', 'requestAdapter returned null (GPU blocklisted or WebGPU disabled)');
    const description = describeAdapter(adapter);
    const fallback = adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
    const softwareName = SOFTWARE_GPU.exec(description)?.[0].toLowerCase() ?? (fallback ? 'fallback adapter' : null);
    const software = softwareName !== null;
    const reason = software ? `adapter is software (${softwareName})` : `adapter ${description}`;
    return { backend: 'webgpu', available: true, reason, adapter: description, software };
  } catch (e) {
    return unavailable('webgpu', `requestAdapter failed: ${message(e)}`);
  }
}

function makeCanvas(scope: CapabilityScope): CanvasLike | null {
  if (scope.OffscreenCanvas !== undefined) return new scope.OffscreenCanvas(1, 1);
  if (scope.document !== undefined) return scope.document.createElement('canvas');
  return null;
}

const isGlContext = (u: unknown): u is WebGlContextLike =>
  typeof u === 'object' && u !== null && 'getParameter' in u && 'getExtension' in u;

/** Vendor and renderer of a WebGL context, unmasked where the browser allows it. */
function describeRenderer(gl: WebGlContextLike): string {
  const unmasked = gl.getExtension('WEBGL_debug_renderer_info') !== null;
  const vendor = unmasked ? gl.getParameter(UNMASKED_VENDOR_WEBGL) : '';
  const renderer = gl.getParameter(unmasked ? UNMASKED_RENDERER_WEBGL : GL_RENDERER);
  const parts = [vendor, renderer].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length > 0 ? parts.join(' / ') : 'unknown renderer';
}

/** Frees the probe context at once (browsers cap live WebGL contexts at ~16 per page). */
function loseContext(gl: WebGlContextLike): void {
  const ext = gl.getExtension('WEBGL_lose_context');
  if (typeof ext === 'object' && ext !== null && 'loseContext' in ext && typeof ext.loseContext === 'function') {
    (ext.loseContext as () => void).call(ext);
  }
}

function detectWebGl(scope: CapabilityScope): BackendCapability {
  try {
    const canvas = makeCanvas(scope);
    if (canvas === null) return unavailable('webgl', 'no OffscreenCanvas or document to create a canvas');
    const gl = canvas.getContext('webgl2');
    if (!isGlContext(gl)) return unavailable('webgl', 'getContext("webgl2") returned null (WebGL2 unsupported or disabled)');
    const description = describeRenderer(gl);
    loseContext(gl);
    const softwareName = SOFTWARE_GPU.exec(description)?.[0].toLowerCase() ?? null;
    const software = softwareName !== null;
    const reason = software ? `renderer is software (${softwareName})` : `renderer ${description}`;
    return { backend: 'webgl', available: true, reason, adapter: description, software };
  } catch (e) {
    return unavailable('webgl', `creating a WebGL2 context failed: ${message(e)}`);
  }
}

function detectWasm(scope: CapabilityScope): BackendCapability {
  const wasm = scope.WebAssembly;
  if (wasm === undefined) return unavailable('wasm', 'WebAssembly is missing');
  try {
    if (!wasm.validate(new Uint8Array(WASM_MIN_MODULE))) return unavailable('wasm', 'WebAssembly rejects a minimal module');
    const simd = wasm.validate(new Uint8Array(WASM_SIMD_PROBE));
    const reason = simd ? 'WebAssembly with SIMD' : 'WebAssembly without SIMD (the slower plain build will load)';
    return { backend: 'wasm', available: true, reason, adapter: '', software: false };
  } catch (e) {
    return unavailable('wasm', `WebAssembly.validate failed: ${message(e)}`);
  }
}

function memoryBytes(scope: CapabilityScope): number {
  const gb = scope.navigator?.deviceMemory;
  if (typeof gb === 'number' && gb > 0) return Math.round(gb * GIB);
  const heap = scope.performance?.memory?.jsHeapSizeLimit;
  return typeof heap === 'number' && heap > 0 ? heap : 0;
}

/**
 * Detects which backends this tab can use. Never throws: every failure becomes `available: false` with
 * a reason. CPU is always available.
 *
 * @example
 * const caps = await detectCapabilities();
 * if (!caps.backends.webgpu.available) console.log(caps.backends.webgpu.reason);
 */
export async function detectCapabilities(
  scope: CapabilityScope = globalThis as unknown as CapabilityScope,
  init: DetectInit = {},
): Promise<Capabilities> {
  const webgpu = await detectWebGpu(scope, init.adapterTimeoutMs ?? DEFAULT_ADAPTER_TIMEOUT_MS);
  const cpu: BackendCapability = { backend: 'cpu', available: true, reason: 'plain JavaScript, always there', adapter: '', software: false };
  return {
    backends: { webgpu, webgl: detectWebGl(scope), wasm: detectWasm(scope), cpu },
    memoryBytes: memoryBytes(scope),
    userAgent: scope.navigator?.userAgent ?? '',
  };
}
