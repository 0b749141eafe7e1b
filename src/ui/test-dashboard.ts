/**
 * Test helper for the dashboard's card tests (happy-dom): mounts a dashboard into a fresh root in the
 * document and offers the DOM queries every card test needs.
 *
 * @example
 * let d: TestDashboard;
 * beforeEach(() => { d = new TestDashboard({ onStart }); });
 * afterEach(() => { d.destroy(); });
 * d.ui.render(coordinator()); expect(d.text('[data-testid="room"]')).toBe('r');
 */
import { mountDashboard, type Dashboard, type DashboardIntents } from './dashboard.ts';

const noop = (): void => undefined;

export class TestDashboard {
  readonly root: HTMLElement;
  readonly ui: Dashboard;

  /** Intents not given do nothing. */
  constructor(intents: Partial<DashboardIntents> = {}) {
    this.root = document.createElement('div');
    document.body.appendChild(this.root);
    this.ui = mountDashboard(this.root, { onStart: noop, onExportModel: noop, onLoadModel: noop, ...intents });
  }

  /** The one element matching `selector` (throws, failing the test, when there is none). */
  one(selector: string): HTMLElement {
    const found = this.root.querySelector<HTMLElement>(selector);
    if (found === null) throw new Error(`no element matches ${selector}`);
    return found;
  }

  text(selector: string): string {
    return this.one(selector).textContent;
  }

  destroy(): void {
    this.ui.destroy();
    this.root.remove();
  }
}

/** Hidden itself or inside a hidden ancestor. */
export function isHidden(node: Element): boolean {
  for (let n: Element | null = node; n !== null; n = n.parentElement) if (n instanceof HTMLElement && n.hidden) return true;
  return false;
}
