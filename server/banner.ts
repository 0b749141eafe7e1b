/**
 * The text printed when the server listens: where to point browsers, why phones need https,
 * what the signalling server and ICE setup are. Pure: main.ts prints it.
 */
import type { RunningServer } from './start.ts';

/** The subset of RunningServer the banner describes. */
export type BannerInfo = Pick<RunningServer, 'port' | 'host' | 'lanAddresses' | 'peerPath' | 'peerKey' | 'iceServers' | 'tls'>;

/** The machine-readable line test harnesses wait for (`SWARM_LISTENING port=<n>`). */
export const listeningLine = (port: number): string => `SWARM_LISTENING port=${port}`;

/** The URL to show as a QR code: the first LAN https URL, else localhost. */
export function qrTarget(info: Pick<BannerInfo, 'port' | 'lanAddresses'>): string {
  const [first] = info.lanAddresses;
  return first === undefined ? `http://localhost:${info.port}/` : `https://${first}:${info.port}/`;
}

function lanLines(info: BannerInfo): string[] {
  if (info.lanAddresses.length === 0) {
    return [`  No LAN address is reachable (host ${info.host}): only this machine can join.`];
  }
  const lines = ['  Other devices on the LAN (phones, laptops):'];
  for (const ip of info.lanAddresses) lines.push(`    https://${ip}:${info.port}/`);
  lines.push(
    '  Other devices MUST use the https:// URL: WebGPU and WebCrypto only work in a secure context',
    '  (plain http is a secure context only on localhost).',
  );
  if (info.tls.origin !== 'files') {
    lines.push('  The certificate is self-signed: each device shows a certificate warning once; accept it to continue.');
  }
  return lines;
}

function iceLine(info: BannerInfo): string {
  const n = info.iceServers.length;
  return n === 0
    ? '  ICE servers: none. No public STUN/TURN is used (pass --ice-servers to add your own).'
    : `  ICE servers: ${n} configured by --ice-servers / ICE_SERVERS.`;
}

/** The multi-line banner (no QR code, no trailing newline). */
export function formatBanner(info: BannerInfo): string {
  const certNote =
    info.tls.origin === 'files' ? `your own certificate (${info.tls.certPath})` : `self-signed certificate (${info.tls.certPath}, ${info.tls.origin})`;
  return [
    `swarm server: http and https on port ${info.port}, ${certNote}`,
    '',
    `  This machine: http://localhost:${info.port}/`,
    ...lanLines(info),
    '',
    `  PeerServer: ${info.peerPath} (key '${info.peerKey}', WebSocket ${info.peerPath}/peerjs, discovery off)`,
    iceLine(info),
  ].join('\n');
}
