/**
 * ICE server list for WebRTC, given by the operator as JSON (`--ice-servers` / `ICE_SERVERS`).
 * The default is an empty list: the swarm uses no public STUN/TURN unless asked to.
 */
import { err, ok, type Result } from '../src/core/result.ts';

/** One entry of `RTCConfiguration.iceServers`, as sent to browsers in /swarm-config.json. */
export interface IceServerConfig {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** URL schemes a browser accepts in `iceServers[].urls`. */
const ICE_URL = /^(stun|stuns|turn|turns):\S+$/;
/** An operator-provided list longer than this is surely a mistake (browsers slow down with many servers). */
const MAX_ICE_SERVERS = 16;

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

function parseUrls(u: unknown): Result<string | readonly string[], string> {
  if (typeof u === 'string') return ICE_URL.test(u) ? ok(u) : err(`bad ICE url ${JSON.stringify(u)}`);
  if (!Array.isArray(u) || u.length === 0) return err('urls must be a string or a non-empty array of strings');
  const urls: string[] = [];
  for (const item of u) {
    if (typeof item !== 'string' || !ICE_URL.test(item)) return err(`bad ICE url ${JSON.stringify(item)}`);
    urls.push(item);
  }
  return ok(urls);
}

function parseEntry(u: unknown, index: number): Result<IceServerConfig, string> {
  if (!isRecord(u)) return err(`iceServers[${index}] must be an object`);
  const urls = parseUrls(u.urls);
  if (!urls.ok) return err(`iceServers[${index}]: ${urls.error}`);
  const { username, credential } = u;
  if (username !== undefined && typeof username !== 'string') return err(`iceServers[${index}].username must be a string`);
  if (credential !== undefined && typeof credential !== 'string') return err(`iceServers[${index}].credential must be a string`);
  const entry: IceServerConfig = {
    urls: urls.value,
    ...(username === undefined ? {} : { username }),
    ...(credential === undefined ? {} : { credential }),
  };
  return ok(entry);
}

/**
 * Parses a JSON array of ICE servers (`[{"urls":"turn:host:3478","username":"u","credential":"p"}]`).
 * Never throws: bad JSON or a bad entry gives an error message.
 */
export function parseIceServers(text: string): Result<readonly IceServerConfig[], string> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return err('ice servers: not valid JSON');
  }
  if (!Array.isArray(raw)) return err('ice servers: expected a JSON array');
  if (raw.length > MAX_ICE_SERVERS) return err(`ice servers: at most ${MAX_ICE_SERVERS} entries`);
  const out: IceServerConfig[] = [];
  for (const [i, entry] of raw.entries()) {
    const parsed = parseEntry(entry, i);
    if (!parsed.ok) return err(`ice servers: ${parsed.error}`);
    out.push(parsed.value);
  }
  return ok(out);
}
