/**
 * Traffic and peers, for every role: bytes sent and received in human units, and the ids of the peers
 * this tab has open links to.
 */
import { card, h, setHidden } from './dom.ts';
import { formatBytes } from './format.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** Creates the network card view. */
export function createNetworkCard(): View {
  const { el, body } = card('Network', 'network-card');
  const stats = createStatGrid([
    ['sent', 'Sent'],
    ['received', 'Received'],
    ['peers', 'Peers'],
  ] as const);
  const list = h('ul', { className: 'peer-list', attrs: { 'data-testid': 'peers' } });
  const none = h('p', { className: 'muted small', text: 'No open peer links.' });
  body.append(stats.el, list, none);
  let key = '';
  return {
    el,
    update(s) {
      stats.set('sent', formatBytes(s.bytesSent));
      stats.set('received', formatBytes(s.bytesReceived));
      stats.set('peers', String(s.peers.length));
      setHidden(none, s.peers.length > 0);
      setHidden(list, s.peers.length === 0);
      const next = s.peers.join('\n');
      if (next === key) return;
      key = next;
      list.replaceChildren(...s.peers.map((id) => h('li', { className: 'chip mono', text: id, attrs: { title: id } })));
    },
  };
}
