import { describe, expect, it } from 'vitest';
import { encodeDatasetAsset } from '../core/data/dataset.ts';
import type { Dataset } from '../core/data/dataset.ts';
import { DatasetLoadError, loadDataset } from './load-dataset.ts';

const tiny: Dataset = {
  name: 'mnist',
  width: 2,
  height: 2,
  numClasses: 10,
  train: { images: Uint8Array.of(1, 2, 3, 4), labels: Uint8Array.of(5), count: 1 },
  test: { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 },
};

/** A fetch stub that records the URL and init it was called with and answers with `response`. */
function stubFetch(response: Response) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchStub = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({ url: input instanceof Request ? input.url : String(input), init });
    return Promise.resolve(response);
  };
  return { calls, fetch: fetchStub };
}

const body = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

describe('loadDataset', () => {
  it('fetches /data/<name>.bin under baseUrl, passes the signal and parses the asset', async () => {
    const stub = stubFetch(new Response(body(encodeDatasetAsset(tiny))));
    const signal = new AbortController().signal;
    const ds = await loadDataset('mnist', { baseUrl: 'https://h:1', signal, fetch: stub.fetch });
    expect(stub.calls[0]?.url).toBe('https://h:1/data/mnist.bin');
    expect(stub.calls[0]?.init?.signal).toBe(signal);
    expect(Array.from(ds.train.images)).toEqual([1, 2, 3, 4]);
    expect(ds.train.labels[0]).toBe(5);
  });

  it('defaults to a same-origin path', async () => {
    const stub = stubFetch(new Response(body(encodeDatasetAsset(tiny))));
    await loadDataset('mnist', { fetch: stub.fetch });
    expect(stub.calls[0]?.url).toBe('/data/mnist.bin');
  });

  it('reports an HTTP error status with the build hint', async () => {
    const stub = stubFetch(new Response('nope', { status: 404, statusText: 'Not Found' }));
    const failure = loadDataset('fashion-mnist', { fetch: stub.fetch });
    await expect(failure).rejects.toThrow(DatasetLoadError);
    await expect(failure).rejects.toMatchObject({ kind: 'http', url: '/data/fashion-mnist.bin' });
    await expect(failure).rejects.toThrow(/HTTP 404.*npm run data/);
  });

  it('reports a non-asset body (e.g. an SPA index.html fallback) as a bad asset', async () => {
    const stub = stubFetch(new Response(`<!doctype html><html><head><title>swarm</title></head>${' '.repeat(200)}</html>`, { status: 200 }));
    const failure = loadDataset('mnist', { fetch: stub.fetch });
    await expect(failure).rejects.toMatchObject({ kind: 'bad-asset' });
    await expect(failure).rejects.toThrow(/bad magic.*npm run data/);
  });

  it('rejects an asset of another data set', async () => {
    const stub = stubFetch(new Response(body(encodeDatasetAsset(tiny))));
    await expect(loadDataset('fashion-mnist', { fetch: stub.fetch })).rejects.toThrow(/holds 'mnist'/);
  });
});
