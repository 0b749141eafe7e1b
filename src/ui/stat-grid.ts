/**
 * A grid of labelled numbers ("Loss 0.2346", "Sent 1.5 MB"), the building block of the progress and
 * network cards. Each tile is created once and its value updated in place.
 */
import { h, setText } from './dom.ts';

/** A mounted stat grid; `set(key, value)` updates one tile's value text. */
export interface StatGrid<K extends string> {
  readonly el: HTMLElement;
  set(key: K, value: string): void;
  /** The value element of a tile (for tests and extra styling). */
  value(key: K): HTMLElement;
}

/**
 * Creates one tile per `[key, label]`, in order.
 * @example createStatGrid([['loss', 'Loss'], ['acc', 'Accuracy']] as const)
 */
export function createStatGrid<K extends string>(tiles: readonly (readonly [K, string])[]): StatGrid<K> {
  const values = new Map<K, HTMLElement>();
  const el = h('dl', { className: 'stats' });
  for (const [key, label] of tiles) {
    const value = h('dd', { className: 'stat-value', text: '–', attrs: { 'data-stat': key } });
    values.set(key, value);
    el.appendChild(h('div', { className: 'stat' }, [h('dt', { className: 'stat-label', text: label }), value]));
  }
  const value = (key: K): HTMLElement => {
    const v = values.get(key);
    if (v === undefined) throw new UnknownStatError(key);
    return v;
  };
  return { el, set: (key, text) => { setText(value(key), text); }, value };
}

/** A stat key that was not declared when the grid was created: a programming error. */
export class UnknownStatError extends Error {
  override readonly name = 'UnknownStatError';
  constructor(key: string) {
    super(`unknown stat '${key}'`);
  }
}
