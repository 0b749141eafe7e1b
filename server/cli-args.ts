/**
 * Command-line and environment parsing for `tsx server/main.ts`. Flags win over environment variables,
 * which win over SERVER_DEFAULTS. Bad input gives an error message, never an exception.
 */
import { parseArgs } from 'node:util';
import { err, ok, type Result } from '../src/core/result.ts';
import { SERVER_DEFAULTS } from './defaults.ts';
import { parseIceServers, type IceServerConfig } from './ice-servers.ts';

/** Where the HTTPS certificate comes from. */
export type TlsSource =
  | { readonly kind: 'files'; readonly certFile: string; readonly keyFile: string }
  | { readonly kind: 'self-signed'; readonly dir: string };

/** Everything `serve` needs, fully resolved. */
export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly peerKey: string;
  readonly iceServers: readonly IceServerConfig[];
  readonly tls: TlsSource;
  readonly distDir: string;
  readonly maxConnPerIp: number;
  readonly quiet: boolean;
}

/** What the command line asks for. */
export type CliCommand = { readonly kind: 'help' } | { readonly kind: 'serve'; readonly options: ServeOptions };

/** Usage text printed by `--help`. */
export const CLI_USAGE = `Usage: tsx server/main.ts [options]   (npm start builds first; npm run serve does not)

Serves the built app (dist/), the PeerServer and /swarm-config.json over http AND https on one port.

Options:
  --port N              port for http, https and WebSockets (env PORT, default ${SERVER_DEFAULTS.port}; 0 = any free port)
  --host ADDR           interface to bind (default ${SERVER_DEFAULTS.host}: all IPv4 interfaces)
  --peer-key KEY        PeerServer key (env PEER_KEY, default '${SERVER_DEFAULTS.peerKey}')
  --ice-servers JSON    ICE servers for browsers, e.g. '[{"urls":"turn:host:3478","username":"u","credential":"p"}]'
                        (env ICE_SERVERS, default []: no public STUN/TURN is used)
  --cert FILE           PEM certificate to use instead of the self-signed one (env SWARM_CERT; needs --key)
  --key FILE            PEM private key for --cert (env SWARM_KEY)
  --dist DIR            folder to serve (default dist/ in the repository)
  --max-conn-per-ip N   concurrent connections allowed per remote address (default ${SERVER_DEFAULTS.maxConnPerIp})
  --quiet               do not print the QR code
  -h, --help            print this help
`;

/** PeerJS puts the key in URL paths and queries: keep it to URL-safe characters. */
const PEER_KEY = /^[A-Za-z0-9_-]{1,64}$/;
/** Highest TCP port number. */
const MAX_PORT = 65_535;
/** An upper bound that still catches typos; more than this many sockets per address is never needed here. */
const MAX_CONN_PER_IP_LIMIT = 10_000;

function parseIntIn(name: string, text: string, min: number, max: number): Result<number, string> {
  if (!/^\d+$/.test(text)) return err(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  return n >= min && n <= max ? ok(n) : err(`${name} must be between ${min} and ${max}, got ${n}`);
}

function parseTls(cert: string | undefined, key: string | undefined): Result<TlsSource, string> {
  if (cert === undefined && key === undefined) return ok({ kind: 'self-signed', dir: SERVER_DEFAULTS.tlsDir });
  if (cert === undefined || key === undefined) return err('--cert and --key must be given together');
  return ok({ kind: 'files', certFile: cert, keyFile: key });
}

type Env = Readonly<Record<string, string | undefined>>;

/** An environment variable, with empty meaning unset (`PORT= npm start`). */
const fromEnv = (env: Env, name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'peer-key': { type: 'string' },
  'ice-servers': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  dist: { type: 'string' },
  'max-conn-per-ip': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function resolveServe(v: Values, env: Env): Result<ServeOptions, string> {
  const port = parseIntIn('--port', v.port ?? fromEnv(env, 'PORT') ?? String(SERVER_DEFAULTS.port), 0, MAX_PORT);
  if (!port.ok) return port;
  const maxConn = parseIntIn('--max-conn-per-ip', v['max-conn-per-ip'] ?? String(SERVER_DEFAULTS.maxConnPerIp), 1, MAX_CONN_PER_IP_LIMIT);
  if (!maxConn.ok) return maxConn;
  const peerKey = v['peer-key'] ?? fromEnv(env, 'PEER_KEY') ?? SERVER_DEFAULTS.peerKey;
  if (!PEER_KEY.test(peerKey)) return err('--peer-key must be 1-64 characters of A-Z a-z 0-9 _ -');
  const iceText = v['ice-servers'] ?? fromEnv(env, 'ICE_SERVERS');
  const ice = iceText === undefined ? ok([]) : parseIceServers(iceText);
  if (!ice.ok) return ice;
  const tls = parseTls(v.cert ?? fromEnv(env, 'SWARM_CERT'), v.key ?? fromEnv(env, 'SWARM_KEY'));
  if (!tls.ok) return tls;
  const host = v.host ?? SERVER_DEFAULTS.host;
  if (host === '') return err('--host must not be empty');
  return ok({
    port: port.value,
    host,
    peerKey,
    iceServers: ice.value,
    tls: tls.value,
    distDir: v.dist ?? SERVER_DEFAULTS.distDir,
    maxConnPerIp: maxConn.value,
    quiet: v.quiet ?? false,
  });
}

/**
 * Parses `argv` (without the node and script entries) and the environment.
 * @example parseCliArgs(['--port', '0', '--quiet'], process.env)
 */
export function parseCliArgs(argv: readonly string[], env: Env): Result<CliCommand, string> {
  let values: Values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
  if (values.help === true) return ok({ kind: 'help' });
  const options = resolveServe(values, env);
  return options.ok ? ok({ kind: 'serve', options: options.value }) : options;
}
