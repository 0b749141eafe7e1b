/**
 * Coordinator only: the join link (text and QR code) for other devices, and the "Start now" button shown
 * while recruiting.
 */
import { card, h, setAttr, setHidden, setText } from './dom.ts';
import { createQrCode } from './qr-code.ts';
import type { View } from './view.ts';
import { isCoordinator } from './view.ts';

/** What the user can ask for from this card. */
export interface JoinIntents {
  onStart(): void;
}

/** Creates the join card view. */
export function createJoinCard(intents: JoinIntents): View {
  const { el, body } = card('Invite devices', 'join-card');
  const link = h('a', { className: 'join-link', attrs: { target: '_blank', rel: 'noopener', 'data-testid': 'join-url' } });
  const hint = h('p', { className: 'muted small', text: 'Open this link or scan the code on another device to add it to the swarm.' });
  const qr = createQrCode();
  const joined = h('p', { className: 'joined-count' });
  const start = h('button', { className: 'btn btn-primary', text: 'Start now', attrs: { type: 'button', 'data-testid': 'start' } });
  start.addEventListener('click', () => { intents.onStart(); });
  const startRow = h('div', { className: 'start-row' }, [joined, start]);
  const text = h('div', { className: 'join-text' }, [hint, link, startRow]);
  body.appendChild(h('div', { className: 'join-layout' }, [qr.el, text]));

  return {
    el,
    update(s) {
      const show = isCoordinator(s);
      setHidden(el, !show);
      if (!show) return;
      setText(link, s.joinUrl === '' ? 'waiting for a link…' : s.joinUrl);
      setAttr(link, 'href', s.joinUrl === '' ? '#' : s.joinUrl);
      qr.setUrl(s.joinUrl);
      const recruiting = s.phase === 'recruiting';
      setHidden(startRow, !recruiting);
      const workers = s.devices.filter((d) => d.id !== s.peerId).length;
      setText(joined, `${workers} device${workers === 1 ? '' : 's'} joined`);
    },
  };
}
