/**
 * Browser loader for the binary data set assets that `npm run data` writes to `public/data/`.
 * Vite serves `public/` at the site root, so the default URL is `/data/<name>.bin`.
 */
import { parseDatasetAsset } from '../core/data/dataset.ts';
import type { Dataset, DatasetName } from '../core/data/dataset.ts';

/** Options of `loadDataset`. */
export interface LoadDatasetInit {
  /** Prefix of the `/data/…` path, e.g. 'https://host:8443' or a sub-path; default '' (same origin). */
  readonly baseUrl?: string;
  /** Aborts the download; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The fetch to use (default: the global one); tests pass a stub. */
  readonly fetch?: typeof fetch;
}

/** Why a data set could not be loaded: the HTTP request failed, or the bytes are not a valid asset. */
export class DatasetLoadError extends Error {
  static readonly NAME = 'DatasetLoadError';
  constructor(
    message: string,
    readonly kind: 'http' | 'bad-asset',
    readonly url: string,
  ) {
    super(message);
    this.name = DatasetLoadError.NAME;
  }
}

/** The hint every failure carries: the assets are built, not committed. */
const BUILD_HINT = 'run `npm run data` to build the data set assets';

/**
 * Downloads and parses `${baseUrl}/data/${name}.bin`.
 * @throws DatasetLoadError on an HTTP error status or an invalid asset (including one for another data set);
 *   network errors and aborts propagate from `fetch` unchanged.
 * @example
 * const ds = await loadDataset('mnist', { signal: AbortSignal.timeout(60_000) });
 */
export async function loadDataset(name: DatasetName, init: LoadDatasetInit = {}): Promise<Dataset> {
  const url = `${init.baseUrl ?? ''}/data/${name}.bin`;
  const doFetch = init.fetch ?? fetch;
  const response = await doFetch(url, init.signal === undefined ? {} : { signal: init.signal });
  if (!response.ok) {
    throw new DatasetLoadError(`HTTP ${response.status} ${response.statusText} for ${url}; ${BUILD_HINT}`, 'http', url);
  }
  const parsed = parseDatasetAsset(await response.arrayBuffer());
  if (!parsed.ok) throw new DatasetLoadError(`bad data set asset at ${url}: ${parsed.error}; ${BUILD_HINT}`, 'bad-asset', url);
  if (parsed.value.name !== name) {
    throw new DatasetLoadError(`${url} holds '${parsed.value.name}', not '${name}'; ${BUILD_HINT}`, 'bad-asset', url);
  }
  return parsed.value;
}
