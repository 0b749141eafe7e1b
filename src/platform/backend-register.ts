/**
 * Registers every tfjs backend we may choose from and points the WASM backend at its binaries.
 *
 * Importing this module registers cpu + webgl (`@tensorflow/tfjs`), webgpu (only where `navigator.gpu`
 * exists, decided by the package at import time) and wasm. The .wasm files are imported with Vite's
 * `?url` suffix: `vite dev` serves them from node_modules and `vite build` copies them into dist/assets
 * with hashed names, so both load them from our own origin with no copy step.
 *
 * `vite dev` needs the WASM package pre-bundled (not in `optimizeDeps.exclude`): unbundled, its
 * CommonJS wasm-out/ files lack the `wasmWorkerContents` export and the page fails to load.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

let wasmPathsSet = false;

/**
 * Returns the tfjs namespace with all backends registered and the WASM paths set. Idempotent; never
 * throws (if the WASM backend was already initialised, its paths can no longer change and are kept).
 *
 * @example
 * const tf = registerBackends();
 * await tf.setBackend('wasm');
 */
export function registerBackends(): typeof tf {
  if (!wasmPathsSet) {
    wasmPathsSet = true;
    // The threaded build, chosen on cross-origin-isolated pages, hangs after bundling: its pthread
    // workers are made from the minified factory's source, which refers to names outside it ("e is not
    // defined"). Single-thread SIMD is what we measure and ship.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    try {
      setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlainUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        // Never fetched while WASM_HAS_MULTITHREAD_SUPPORT is false; setWasmPaths wants all three.
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
      });
    } catch (e) {
      console.warn('setWasmPaths: the WASM backend is already initialised; keeping its paths', e);
    }
  }
  return tf;
}
