/**
 * The join URL as a QR code (inline SVG from the `qrcode` package), re-encoded only when the URL changes.
 * Dark modules on a light quiet zone in both colour schemes: phone cameras read that reliably.
 */
import QRCode from 'qrcode';
import { h, setAttr } from './dom.ts';

/** A mounted QR code. `setUrl` is cheap when the URL is unchanged. */
export interface QrCode {
  readonly el: HTMLElement;
  setUrl(url: string): void;
  /** Settles when the latest encoding has been put into the DOM (for tests). */
  ready(): Promise<void>;
}

/** Creates an empty QR code element. */
export function createQrCode(): QrCode {
  const el = h('div', { className: 'qr', attrs: { role: 'img' } });
  let current = '';
  let pending: Promise<void> = Promise.resolve();
  return {
    el,
    setUrl(url) {
      if (url === current) return;
      current = url;
      setAttr(el, 'aria-label', url === '' ? 'no join link yet' : `QR code for ${url}`);
      if (url === '') {
        el.replaceChildren();
        return;
      }
      // Error level M survives a little glare on a screen photo without making the code much denser.
      pending = QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then(
        (svg) => {
          if (url !== current) return; // a newer URL arrived while this one was encoding
          el.replaceChildren(...parseSvg(svg));
        },
        (e: unknown) => {
          if (url === current) el.replaceChildren(h('span', { className: 'muted', text: `QR code failed: ${String(e)}` }));
        },
      );
    },
    ready: () => pending,
  };
}

/** The SVG markup from `qrcode` as nodes (it only ever contains an <svg> with <path>s). */
function parseSvg(svg: string): Node[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  return root.nodeName.toLowerCase() === 'svg' ? [document.importNode(root, true)] : [];
}
