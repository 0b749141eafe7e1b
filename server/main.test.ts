import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSelfSignedCertificate } from './tls-cert.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

interface Child {
  /** Resolves with the port once `SWARM_LISTENING port=<n>` is printed (or rejects on exit). */
  readonly listening: Promise<number>;
  readonly exited: Promise<{ code: number | null; output: string }>;
  kill(signal: NodeJS.Signals): void;
}

function runMain(args: readonly string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: REPO, env: { ...process.env, PORT: '' } });
  let output = '';
  let onPort: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve, reject) => {
    onPort = resolve;
    child.once('exit', () => {
      reject(new Error(`exited before listening:\n${output}`));
    });
  });
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    const m = /SWARM_LISTENING port=(\d+)/.exec(output);
    if (m?.[1] !== undefined) onPort(Number(m[1]));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once('exit', (code) => {
      resolve({ code, output });
    });
  });
  listening.catch(() => undefined);
  return { listening, exited, kill: (signal) => child.kill(signal) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-main-'));
  await mkdir(join(dir, 'dist'));
  await writeFile(join(dir, 'dist', 'index.html'), 'main test page');
  await ensureSelfSignedCertificate({ dir: join(dir, 'tls'), ips: [] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('server/main.ts', () => {
  it('serves on --port 0, prints SWARM_LISTENING and the banner, and exits 0 on SIGTERM', async () => {
    const tls = ['--cert', join(dir, 'tls', 'cert.pem'), '--key', join(dir, 'tls', 'key.pem')];
    const child = runMain(['--port', '0', '--host', '127.0.0.1', '--quiet', '--dist', join(dir, 'dist'), ...tls]);
    const port = await child.listening;
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toBe('main test page');
    child.kill('SIGTERM');
    const { code, output } = await child.exited;
    expect(code).toBe(0);
    expect(output).toContain(`http://localhost:${port}/`);
    expect(output).toContain('PeerServer: /peerjs');
    expect(output).toContain('SIGTERM: closing');
    expect(output).not.toContain('Scan to open'); // --quiet
  });

  it('exits 1 telling to build when the dist folder is missing', async () => {
    const { code, output } = await runMain(['--port', '0', '--dist', join(dir, 'missing')]).exited;
    expect(code).toBe(1);
    expect(output).toContain('run npm run build first');
  });

  it('prints usage for --help and exits 1 with usage for a bad flag', async () => {
    const help = await runMain(['--help']).exited;
    expect(help.code).toBe(0);
    expect(help.output).toContain('--max-conn-per-ip');
    const bad = await runMain(['--port', 'abc']).exited;
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('--port must be a whole number');
  });
});
