import { describe, expect, it } from 'vitest';
import { detectCapabilities, type CapabilityScope, type GpuAdapterLike, type GpuLike, type WebGlContextLike } from './capabilities.ts';

const gpuReturning = (adapter: Promise<GpuAdapterLike | null>): GpuLike => ({ requestAdapter: () => adapter });

/** A fake WebGL2 context whose renderer strings and lost state the test can read. */
function fakeGl(vendor: string, renderer: string): WebGlContextLike & { lost: boolean } {
  const gl = {
    lost: false,
    getExtension(name: string): unknown {
      if (name === 'WEBGL_debug_renderer_info') return {};
      if (name === 'WEBGL_lose_context') return { loseContext: () => { gl.lost = true; } };
      return null;
    },
    getParameter: (p: number): unknown => (p === 0x9245 ? vendor : p === 0x9246 ? renderer : null),
  };
  return gl;
}

const canvasScope = (context: unknown): CapabilityScope => ({
  OffscreenCanvas: class {
    getContext(): unknown {
      return context;
    }
  },
});

describe('detectCapabilities', () => {
  it('with no browser globals offers only cpu, each other backend with a reason', async () => {
    const caps = await detectCapabilities({});
    expect(caps.backends.cpu.available).toBe(true);
    expect(caps.backends.webgpu).toMatchObject({ available: false, reason: expect.stringContaining('navigator.gpu') as unknown });
    expect(caps.backends.webgl).toMatchObject({ available: false, reason: expect.stringContaining('canvas') as unknown });
    expect(caps.backends.wasm).toMatchObject({ available: false, reason: 'WebAssembly is missing' });
    expect(caps.memoryBytes).toBe(0);
  });

  it('marks a SwiftShader WebGPU adapter as software and describes it', async () => {
    const gpu = gpuReturning(Promise.resolve({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } }));
    const { webgpu } = (await detectCapabilities({ navigator: { gpu } })).backends;
    expect(webgpu).toEqual({ backend: 'webgpu', available: true, software: true, adapter: 'google / swiftshader', reason: 'adapter is software (swiftshader)' });
  });

  it('treats a fallback adapter as software and a named hardware one as hardware', async () => {
    const fallback = gpuReturning(Promise.resolve({ info: { vendor: 'acme', isFallbackAdapter: true } }));
    expect((await detectCapabilities({ navigator: { gpu: fallback } })).backends.webgpu.reason).toBe('adapter is software (fallback adapter)');
    const hardware = gpuReturning(Promise.resolve({ info: { vendor: 'nvidia', architecture: 'ampere' } }));
    const { webgpu } = (await detectCapabilities({ navigator: { gpu: hardware } })).backends;
    expect(webgpu).toMatchObject({ available: true, software: false, adapter: 'nvidia / ampere' });
  });

  it('gives a reason when the adapter is null, the request throws, or it never answers', async () => {
    const none = await detectCapabilities({ navigator: { gpu: gpuReturning(Promise.resolve(null)) } });
    expect(none.backends.webgpu.reason).toContain('returned null');
    const thrown = await detectCapabilities({ navigator: { gpu: gpuReturning(Promise.reject(new Error('device lost'))) } });
    expect(thrown.backends.webgpu).toMatchObject({ available: false, reason: 'requestAdapter failed: device lost' });
    const hung = await detectCapabilities({ navigator: { gpu: gpuReturning(new Promise(() => undefined)) } }, { adapterTimeoutMs: 20 });
    expect(hung.backends.webgpu).toMatchObject({ available: false, reason: 'requestAdapter did not answer within 20 ms' });
  });

  it('reads the WebGL renderer, flags SwiftShader, and frees the probe context', async () => {
    const gl = fakeGl('Google Inc. (Google)', 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)');
    const { webgl } = (await detectCapabilities(canvasScope(gl))).backends;
    expect(webgl).toMatchObject({ available: true, software: true, reason: 'renderer is software (swiftshader)' });
    expect(webgl.adapter).toContain('Google Inc. (Google) / ANGLE');
    expect(gl.lost).toBe(true);
    const nvidia = (await detectCapabilities(canvasScope(fakeGl('NVIDIA Corporation', 'NVIDIA GeForce RTX 3060')))).backends.webgl;
    expect(nvidia).toMatchObject({ available: true, software: false, adapter: 'NVIDIA Corporation / NVIDIA GeForce RTX 3060' });
  });

  it('reports WebGL unavailable when getContext returns null', async () => {
    const { webgl } = (await detectCapabilities(canvasScope(null))).backends;
    expect(webgl).toMatchObject({ available: false, reason: expect.stringContaining('returned null') as unknown });
  });

  it("detects Node's WebAssembly with SIMD, and a WebAssembly without SIMD", async () => {
    expect((await detectCapabilities({ WebAssembly })).backends.wasm).toMatchObject({ available: true, reason: 'WebAssembly with SIMD' });
    const noSimd = { validate: (bytes: Uint8Array<ArrayBuffer>) => bytes.length === 8 };
    const { wasm } = (await detectCapabilities({ WebAssembly: noSimd })).backends;
    expect(wasm).toMatchObject({ available: true, reason: expect.stringContaining('without SIMD') as unknown });
  });

  it('estimates memory from navigator.deviceMemory, else the JS heap limit', async () => {
    expect((await detectCapabilities({ navigator: { deviceMemory: 8 } })).memoryBytes).toBe(8 * 1024 ** 3);
    const heap = { performance: { memory: { jsHeapSizeLimit: 4_294_705_152 } } };
    expect((await detectCapabilities(heap)).memoryBytes).toBe(4_294_705_152);
  });
});
