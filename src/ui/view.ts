/**
 * The shape of every dashboard section: an element built once and an update that maps a snapshot onto it.
 */
import type { SwarmStatus } from './snapshot.ts';

/** A dashboard section. `update` must be cheap and idempotent: it is called on every snapshot. */
export interface View {
  readonly el: HTMLElement;
  update(s: SwarmStatus): void;
  /** Releases observers and listeners; optional for views that hold none. */
  destroy?(): void;
}

/** True when the snapshot belongs to the coordinator tab, which shows the coordinator-only sections. */
export function isCoordinator(s: SwarmStatus): boolean {
  return s.role === 'coordinator';
}
