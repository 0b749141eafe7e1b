/**
 * The join handshake, as pure helpers (no I/O; the role reducers send what these return).
 *
 *     worker                                   coordinator
 *       | -- hello {protocolVersion, role, room, device} --> |  checkHello(hello, own)
 *       | <-- welcome {protocolVersion, coordinator, members} |  … when it returns null
 *       | <-- incompatible {reason, protocolVersion} -------- |  … otherwise, then disconnect
 *
 * Versions must match exactly (docs/PROTOCOL.md, "Version policy"). A frame whose header version differs
 * never decodes (codec.ts returns `bad-version` with `peerVersion`), so across versions each side learns
 * the other's version from the header and `versionIncompatibility` names the reason locally; the
 * `incompatible` reply is then a courtesy the older or newer peer can read only from its header.
 * `reason` is always from the sender's point of view: 'peer-too-old' means "you, the receiver, are older".
 */
import type { HelloMsg, IncompatibilityReason, IncompatibleMsg } from './messages.ts';

/** What the receiving side expects of a `hello`. */
export interface HelloExpectation {
  /** This build's PROTOCOL_VERSION. */
  readonly protocolVersion: number;
  /** The room this coordinator serves. */
  readonly room: string;
}

/** 'peer-too-old' / 'peer-too-new' when `peerVersion` differs from `ownVersion`, else null (exact match). */
export function versionIncompatibility(ownVersion: number, peerVersion: number): 'peer-too-old' | 'peer-too-new' | null {
  if (peerVersion === ownVersion) return null;
  return peerVersion < ownVersion ? 'peer-too-old' : 'peer-too-new';
}

/**
 * Checks a validated `hello` against what this side expects: the protocol version first, then the room.
 * @returns null to accept (answer `welcome`), or the `incompatible` message to send before disconnecting.
 * @example
 * const bad = checkHello(hello, { protocolVersion: PROTOCOL_VERSION, room });
 * if (bad !== null) return [send(from, bad), disconnect(from)];
 */
export function checkHello(hello: HelloMsg, own: HelloExpectation): IncompatibleMsg | null {
  const reason = versionIncompatibility(own.protocolVersion, hello.protocolVersion) ?? (hello.room === own.room ? null : 'wrong-room');
  return reason === null ? null : { type: 'incompatible', reason, protocolVersion: own.protocolVersion };
}

const DESCRIPTIONS: Readonly<Record<IncompatibilityReason, string>> = {
  'peer-too-old': 'This tab runs an older version of the swarm than the coordinator. Reload the page to update.',
  'peer-too-new': 'This tab runs a newer version of the swarm than the coordinator. Restart the coordinator with the new version.',
  'wrong-room': 'The coordinator serves a different room. Check the room name in the link.',
  'not-coordinator': 'The peer you reached is not the coordinator of this room.',
};

/**
 * Text for a person, from the point of view of the side that RECEIVED `incompatible` with this reason.
 * @example describeIncompatibility('peer-too-old') // "This tab runs an older version … Reload the page to update."
 */
export function describeIncompatibility(reason: IncompatibilityReason): string {
  return DESCRIPTIONS[reason];
}
