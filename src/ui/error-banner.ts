/**
 * A banner across the top of the dashboard while the snapshot carries an error; hidden otherwise.
 */
import { h, setHidden, setText } from './dom.ts';
import type { View } from './view.ts';

/** Creates the error banner view (`role="alert"` so screen readers announce it). */
export function createErrorBanner(): View {
  const text = h('span', { className: 'banner-text' });
  const el = h('div', { className: 'banner banner-error', attrs: { role: 'alert' } }, [h('strong', { text: 'Error: ' }), text]);
  el.hidden = true;
  return {
    el,
    update(s) {
      setHidden(el, s.error === null);
      setText(text, s.error ?? '');
    },
  };
}
