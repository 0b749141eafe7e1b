/**
 * The HTTPS certificate: the operator's own PEM files, or a self-signed one kept in `.swarm/tls/`.
 * The self-signed certificate names localhost, the loopback addresses, the hostname and the LAN
 * addresses found at start; it is regenerated when that set changes or it nears expiry. Nothing is fetched.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** PEM text for an https.Server. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** 'files': the operator's own; 'generated': made now; 'cached': a still-valid one from disk. */
  readonly origin: 'files' | 'generated' | 'cached';
  readonly certPath: string;
  /** Names the certificate covers (DNS names and IP addresses, canonical form). */
  readonly names: readonly string[];
}

/** The certificate files could not be read or do not form a usable pair. */
export class CertificateError extends Error {
  static readonly NAME = 'CertificateError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = CertificateError.NAME;
  }
}

const DAY_MS = 86_400_000;
/** Renew when fewer days than this remain, so a running swarm never meets an expired certificate. */
const RENEW_BEFORE_DAYS = 30;
/** One year: browsers (Safari) reject server certificates valid for more than 825 days. */
const VALIDITY_DAYS = 365;
/** Backdate the start by a day: phones with a slightly wrong clock would otherwise see "not yet valid". */
const BACKDATE_DAYS = 1;
const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';
/** Owner read/write only, for the private key (and the cert, which needs no wider access). */
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/** Canonical text for an IP (compressed IPv6) or a lower-case DNS name. */
export function canonicalName(name: string): string {
  if (name.includes(':')) return new URL(`http://[${name}]/`).hostname.slice(1, -1);
  return name.toLowerCase();
}

/** The DNS names and IPs in a PEM certificate's subjectAltName, canonical and sorted. */
export function readSubjectAltNames(certPem: string): readonly string[] {
  const san = new X509Certificate(certPem).subjectAltName ?? '';
  const names: string[] = [];
  for (const part of san.split(', ')) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m?.[2] !== undefined) names.push(canonicalName(m[2]));
  }
  return [...new Set(names)].sort();
}

/** A DNS label set that a certificate may name (the machine's hostname can be anything). */
const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The names a self-signed certificate should cover: localhost, loopback, hostname(.local) and `ips`. */
export function wantedNames(ips: readonly string[], host: string = hostname()): readonly string[] {
  const h = host.toLowerCase();
  const dns = DNS_NAME.test(h) ? [h, h.endsWith('.local') ? h : `${h}.local`] : [];
  return [...new Set(['localhost', '127.0.0.1', '::1', ...dns, ...ips].map(canonicalName))].sort();
}

/** True when `cert` and `key` form a pair, cover exactly `names` and stay valid past now + 30 days. */
export function isReusable(cert: string, key: string, names: readonly string[], now: Date): boolean {
  try {
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) return false;
    if (Date.parse(x.validFrom) > now.getTime()) return false;
    if (Date.parse(x.validTo) < now.getTime() + RENEW_BEFORE_DAYS * DAY_MS) return false;
    const have = readSubjectAltNames(cert);
    return have.length === names.length && have.every((n, i) => n === names[i]);
  } catch {
    return false;
  }
}

async function generateFor(names: readonly string[], now: Date): Promise<{ cert: string; key: string }> {
  const altNames = names.map((n) => (isIP(n) !== 0 ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const pems = await generate([{ name: 'commonName', value: 'swarm (self-signed)' }], {
    keyType: 'ec', // P-256: fast to make, accepted by every browser
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - BACKDATE_DAYS * DAY_MS),
    notAfterDate: new Date(now.getTime() + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: PRIVATE_FILE_MODE });
  await chmod(tmp, PRIVATE_FILE_MODE); // the umask cannot widen it, but an existing file keeps its mode
  await rename(tmp, path);
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Settings for `ensureSelfSignedCertificate`. */
export interface SelfSignedInit {
  readonly dir: string;
  /** Extra IPs to cover (the LAN addresses, and the bind address if specific). */
  readonly ips: readonly string[];
  readonly now?: Date;
  readonly hostname?: string;
}

/** Loads the cached self-signed certificate from `dir`, or makes and stores a new one if it no longer fits. */
export async function ensureSelfSignedCertificate(init: SelfSignedInit): Promise<TlsMaterial> {
  const now = init.now ?? new Date();
  const names = wantedNames(init.ips, init.hostname);
  const certPath = join(init.dir, CERT_FILE);
  const keyPath = join(init.dir, KEY_FILE);
  const [cert, key] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (cert !== undefined && key !== undefined && isReusable(cert, key, names, now)) {
    return { cert, key, origin: 'cached', certPath, names };
  }
  const fresh = await generateFor(names, now);
  await mkdir(init.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writePrivate(keyPath, fresh.key);
  await writePrivate(certPath, fresh.cert);
  return { ...fresh, origin: 'generated', certPath, names };
}

/** Reads the operator's own certificate and key; throws CertificateError if they are unreadable or mismatched. */
export async function loadCertificateFiles(certFile: string, keyFile: string): Promise<TlsMaterial> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (e) {
    throw new CertificateError(`cannot read --cert/--key: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) throw new CertificateError('--key does not match --cert');
    return { cert, key, origin: 'files', certPath: certFile, names: readSubjectAltNames(cert) };
  } catch (e) {
    if (e instanceof CertificateError) throw e;
    throw new CertificateError(`--cert/--key are not valid PEM: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
