/** The wire protocol version. Peers must match exactly (see docs/PROTOCOL.md, "Version policy"). */
export const PROTOCOL_VERSION = 9;
