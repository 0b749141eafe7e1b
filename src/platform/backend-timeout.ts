/** A promise race against a timer, for browser calls that may never answer (GPU adapters, backend init). */

/**
 * Resolves with `promise`, or with `onTimeout()` after `ms` if that comes first. Clears its timer
 * either way. The losing promise keeps running; its late result is ignored.
 *
 * @example
 * const adapter = await withTimeout(navigator.gpu.requestAdapter(), 3000, () => 'timeout' as const);
 */
export async function withTimeout<T, U>(promise: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => {
      resolve(onTimeout());
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
