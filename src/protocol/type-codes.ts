/**
 * The frozen message-type table: each message `type` string maps to the u8 wire code carried in byte 5
 * of every frame header (see frame.ts).
 *
 * Rules (docs/PROTOCOL.md, "Type codes"):
 * - Codes are explicit and never derived from declaration order (disco's implicit numeric enum renumbered
 *   every later member when one was inserted).
 * - A code is never reused: a retired message type keeps its number forever, commented out, and a new
 *   message type takes the next unused number (12, 13, …). Adding a type bumps PROTOCOL_VERSION.
 * - 0 is never a valid code, so an all-zero header never names a message.
 */
import type { MessageType } from './messages.ts';

/** `type` string → u8 wire code. Frozen: never renumber, never reuse (see the module header). */
export const TYPE_CODES = Object.freeze({
  hello: 1,
  welcome: 2,
  incompatible: 3,
  heartbeat: 4,
  assign: 5,
  start: 6,
  gradients: 7,
  update: 8,
  progress: 9,
  done: 10,
  error: 11,
  'layer-request': 12,
  'layer-stats': 13,
  'mask-key': 14,
  'masked-stats': 15,
  'unmask-request': 16,
  'mask-reveal': 17,
  personalize: 18,
  'client-report': 19,
  'fedavg-round': 20,
  'fedavg-update': 21,
  'daso-plan': 22,
  'daso-schedule': 23,
  'daso-grads': 24,
  'daso-global': 25,
  'daso-params': 26,
  'daso-epoch': 27,
  'shard-plan': 28,
  'shard-op': 29,
  'shard-reply': 30,
  'curvature-request': 31,
  'curvature-reply': 32,
  succession: 33,
  'admm-round': 34,
  'admm-update': 35,
  'admm-curvature': 36,
  'daso-probe': 37,
  'daso-ping': 38,
  'daso-rtt': 39,
} as const satisfies Record<MessageType, number>);

/** A wire code that names a message type in this protocol version. */
export type TypeCode = (typeof TYPE_CODES)[MessageType];

const TYPE_BY_CODE: ReadonlyMap<number, MessageType> = new Map(
  (Object.keys(TYPE_CODES) as MessageType[]).map((type) => [TYPE_CODES[type], type]),
);

/** The wire code of a message type. */
export function typeCodeOf(type: MessageType): TypeCode {
  return TYPE_CODES[type];
}

/** The message type a wire code names, or `undefined` for a code this version does not know. */
export function messageTypeOf(code: number): MessageType | undefined {
  return TYPE_BY_CODE.get(code);
}

/** True when `s` is a message `type` string of this protocol version (own keys only, so not `toString`). */
export function isMessageType(s: unknown): s is MessageType {
  return typeof s === 'string' && Object.hasOwn(TYPE_CODES, s);
}
