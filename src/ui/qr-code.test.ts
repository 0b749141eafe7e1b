// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { createQrCode } from './qr-code.ts';

describe('createQrCode', () => {
  it('renders an SVG for a URL and clears it for an empty one', async () => {
    const qr = createQrCode();
    qr.setUrl('https://10.0.0.2:8443/?room=a');
    await qr.ready();
    const svg = qr.el.querySelector('svg');
    expect(svg).not.toBeNull();
    expect(svg!.querySelectorAll('path').length).toBeGreaterThan(0);
    expect(qr.el.getAttribute('aria-label')).toBe('QR code for https://10.0.0.2:8443/?room=a');
    qr.setUrl('');
    expect(qr.el.children).toHaveLength(0);
  });

  it('keeps the newest URL when encodings overlap, and does not re-encode an unchanged one', async () => {
    const qr = createQrCode();
    qr.setUrl('https://a.example/?room=first');
    const first = qr.ready();
    qr.setUrl('https://a.example/?room=second-and-longer-so-the-code-differs');
    await first;
    await qr.ready();
    const svg = qr.el.querySelector('svg');
    expect(qr.el.children).toHaveLength(1);
    const reference = createQrCode();
    reference.setUrl('https://a.example/?room=second-and-longer-so-the-code-differs');
    await reference.ready();
    expect(qr.el.innerHTML).toBe(reference.el.innerHTML);
    const other = createQrCode();
    other.setUrl('https://a.example/?room=first');
    await other.ready();
    expect(qr.el.innerHTML).not.toBe(other.el.innerHTML);
    const pending = qr.ready();
    qr.setUrl('https://a.example/?room=second-and-longer-so-the-code-differs');
    expect(qr.ready()).toBe(pending);
    expect(qr.el.querySelector('svg')).toBe(svg);
  });
});
