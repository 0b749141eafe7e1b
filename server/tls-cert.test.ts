import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CertificateError,
  canonicalName,
  ensureSelfSignedCertificate,
  loadCertificateFiles,
  readSubjectAltNames,
  wantedNames,
} from './tls-cert.ts';

const DAY_MS = 86_400_000;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-tls-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wantedNames', () => {
  it('covers localhost, loopback, the hostname (and .local) and the given IPs', () => {
    expect(wantedNames(['192.168.1.20', '10.0.0.5'], 'Lab-PC')).toEqual(
      ['10.0.0.5', '127.0.0.1', '192.168.1.20', '::1', 'lab-pc', 'lab-pc.local', 'localhost'],
    );
  });
  it('skips a hostname that is not a DNS name', () => {
    expect(wantedNames([], 'my_box!')).toEqual(['127.0.0.1', '::1', 'localhost']);
  });
  it('canonicalises IPv6', () => {
    expect(canonicalName('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalName('LocalHost')).toBe('localhost');
  });
});

describe('ensureSelfSignedCertificate', () => {
  const init = (ips: readonly string[], now = new Date()) => ({ dir: join(dir, 'tls'), ips, now, hostname: 'swarmhost' });

  it('generates a certificate whose SANs include the given IPs, with a private key file', async () => {
    const t = await ensureSelfSignedCertificate(init(['192.168.1.20', '10.0.0.5']));
    expect(t.origin).toBe('generated');
    const sans = readSubjectAltNames(t.cert);
    expect(sans).toEqual(expect.arrayContaining(['192.168.1.20', '10.0.0.5', '127.0.0.1', '::1', 'localhost', 'swarmhost']));
    expect(new X509Certificate(t.cert).subjectAltName).toContain('IP Address:192.168.1.20');
    expect((await stat(join(dir, 'tls', 'key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'tls'))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(dir, 'tls', 'cert.pem'), 'utf8')).toBe(t.cert);
  });

  it('reuses the stored certificate while the names match and it is far from expiry', async () => {
    const first = await ensureSelfSignedCertificate(init(['192.168.1.20']));
    const again = await ensureSelfSignedCertificate(init(['192.168.1.20'], new Date(Date.now() + 300 * DAY_MS)));
    expect(again.origin).toBe('cached');
    expect(again.cert).toBe(first.cert);
  });

  it('regenerates when the addresses change', async () => {
    await ensureSelfSignedCertificate(init(['192.168.1.20']));
    const moved = await ensureSelfSignedCertificate(init(['192.168.7.7']));
    expect(moved.origin).toBe('generated');
    expect(readSubjectAltNames(moved.cert)).toContain('192.168.7.7');
    expect(readSubjectAltNames(moved.cert)).not.toContain('192.168.1.20');
  });

  it('regenerates within 30 days of expiry', async () => {
    await ensureSelfSignedCertificate(init([]));
    const late = await ensureSelfSignedCertificate(init([], new Date(Date.now() + 340 * DAY_MS)));
    expect(late.origin).toBe('generated');
  });

  it('regenerates when the stored key does not match the certificate', async () => {
    const other = await ensureSelfSignedCertificate({ ...init([]), dir: join(dir, 'other') });
    await ensureSelfSignedCertificate(init([]));
    await writeFile(join(dir, 'tls', 'key.pem'), other.key);
    expect((await ensureSelfSignedCertificate(init([]))).origin).toBe('generated');
  });
});

describe('loadCertificateFiles', () => {
  it('loads a matching pair and reports its names', async () => {
    const t = await ensureSelfSignedCertificate({ dir, ips: ['10.1.2.3'], hostname: 'h' });
    const loaded = await loadCertificateFiles(join(dir, 'cert.pem'), join(dir, 'key.pem'));
    expect(loaded.origin).toBe('files');
    expect(loaded.cert).toBe(t.cert);
    expect(loaded.names).toContain('10.1.2.3');
  });

  it('throws CertificateError for missing, mismatched or non-PEM files', async () => {
    await ensureSelfSignedCertificate({ dir: join(dir, 'a'), ips: [] });
    await ensureSelfSignedCertificate({ dir: join(dir, 'b'), ips: [] });
    await writeFile(join(dir, 'junk.pem'), 'hello');
    await expect(loadCertificateFiles(join(dir, 'nope.pem'), join(dir, 'a', 'key.pem'))).rejects.toBeInstanceOf(CertificateError);
    await expect(loadCertificateFiles(join(dir, 'a', 'cert.pem'), join(dir, 'b', 'key.pem'))).rejects.toThrow('does not match');
    await expect(loadCertificateFiles(join(dir, 'junk.pem'), join(dir, 'a', 'key.pem'))).rejects.toThrow('not valid PEM');
  });
});
