import { describe, expect, it } from 'vitest';
import { formatBanner, listeningLine, qrTarget, type BannerInfo } from './banner.ts';

const base: BannerInfo = {
  port: 8080,
  host: '0.0.0.0',
  lanAddresses: ['192.168.1.20', '10.0.0.5'],
  peerPath: '/peerjs',
  peerKey: 'swarm',
  iceServers: [],
  tls: { origin: 'generated', certPath: '/r/.swarm/tls/cert.pem', names: [] },
};

describe('banner', () => {
  it('lists the local URL, every LAN https URL, the secure-context reason and the certificate warning', () => {
    const text = formatBanner(base);
    expect(text).toContain('http://localhost:8080/');
    expect(text).toContain('https://192.168.1.20:8080/');
    expect(text).toContain('https://10.0.0.5:8080/');
    expect(text).toContain('MUST use the https:// URL');
    expect(text).toContain('secure context');
    expect(text).toContain('certificate warning');
    expect(text).toContain('PeerServer: /peerjs');
    expect(text).toContain('No public STUN/TURN');
  });

  it('mentions configured ICE servers and omits the warning for the operator certificate', () => {
    const text = formatBanner({ ...base, iceServers: [{ urls: 'turn:t:3478' }], tls: { origin: 'files', certPath: '/etc/c.pem', names: [] } });
    expect(text).toContain('1 configured');
    expect(text).not.toContain('No public STUN/TURN');
    expect(text).not.toContain('certificate warning');
    expect(text).toContain('/etc/c.pem');
  });

  it('says when no LAN address is reachable', () => {
    expect(formatBanner({ ...base, host: '127.0.0.1', lanAddresses: [] })).toContain('only this machine');
  });

  it('points the QR code at the first LAN https URL, else localhost', () => {
    expect(qrTarget(base)).toBe('https://192.168.1.20:8080/');
    expect(qrTarget({ port: 9, lanAddresses: [] })).toBe('http://localhost:9/');
    expect(listeningLine(4321)).toBe('SWARM_LISTENING port=4321');
  });
});
