import { describe, expect, it } from 'vitest';
import { parseCliArgs, type ServeOptions } from './cli-args.ts';
import { SERVER_DEFAULTS } from './defaults.ts';

function serve(argv: readonly string[], env: Record<string, string> = {}): ServeOptions {
  const r = parseCliArgs(argv, env);
  if (!r.ok) throw new Error(r.error);
  if (r.value.kind !== 'serve') throw new Error('expected serve');
  return r.value.options;
}

function failure(argv: readonly string[], env: Record<string, string> = {}): string {
  const r = parseCliArgs(argv, env);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('parseCliArgs', () => {
  it('uses the defaults when nothing is given', () => {
    expect(serve([])).toEqual({
      port: 8080,
      host: '0.0.0.0',
      peerKey: 'swarm',
      iceServers: [],
      tls: { kind: 'self-signed', dir: SERVER_DEFAULTS.tlsDir },
      distDir: SERVER_DEFAULTS.distDir,
      maxConnPerIp: 256,
      quiet: false,
    });
  });

  it('reads every flag', () => {
    const o = serve(['--port', '0', '--host', '127.0.0.1', '--peer-key', 'lab', '--ice-servers', '[{"urls":"stun:s:3478"}]',
      '--cert', 'c.pem', '--key', 'k.pem', '--dist', '/tmp/x', '--max-conn-per-ip', '5', '--quiet']);
    expect(o).toEqual({
      port: 0,
      host: '127.0.0.1',
      peerKey: 'lab',
      iceServers: [{ urls: 'stun:s:3478' }],
      tls: { kind: 'files', certFile: 'c.pem', keyFile: 'k.pem' },
      distDir: '/tmp/x',
      maxConnPerIp: 5,
      quiet: true,
    });
    expect(serve(['--port=9000']).port).toBe(9000);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { PORT: '9100', PEER_KEY: 'envkey', ICE_SERVERS: '[{"urls":["turn:t:3478"],"username":"u","credential":"p"}]', SWARM_CERT: 'a', SWARM_KEY: 'b' };
    const fromEnv = serve([], env);
    expect(fromEnv.port).toBe(9100);
    expect(fromEnv.peerKey).toBe('envkey');
    expect(fromEnv.iceServers).toEqual([{ urls: ['turn:t:3478'], username: 'u', credential: 'p' }]);
    expect(fromEnv.tls).toEqual({ kind: 'files', certFile: 'a', keyFile: 'b' });
    const flags = serve(['--port', '1234', '--peer-key', 'flag', '--ice-servers', '[]'], env);
    expect([flags.port, flags.peerKey, flags.iceServers]).toEqual([1234, 'flag', []]);
  });

  it('returns help for --help and -h', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ ok: true, value: { kind: 'help' } });
    expect(parseCliArgs(['-h', '--port', 'x'], {})).toEqual({ ok: true, value: { kind: 'help' } });
  });

  it('rejects bad input with a message instead of throwing', () => {
    expect(failure(['--port', '70000'])).toContain('--port');
    expect(failure(['--port', '-1'])).toContain('--port');
    expect(failure([], { PORT: 'eighty' })).toContain('whole number');
    expect(failure(['--max-conn-per-ip', '0'])).toContain('--max-conn-per-ip');
    expect(failure(['--cert', 'c.pem'])).toContain('together');
    expect(failure(['--peer-key', 'a b'])).toContain('--peer-key');
    expect(failure(['--ice-servers', '{nope'])).toContain('JSON');
    expect(failure(['--ice-servers', '[{"urls":"http://x"}]'])).toContain('bad ICE url');
    expect(failure(['--frobnicate'])).toContain('frobnicate');
    expect(failure(['extra'])).toContain('extra');
    expect(failure(['--host', ''])).toContain('--host');
  });
});
