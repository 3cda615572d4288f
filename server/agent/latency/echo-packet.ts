/**
 * The latency echo's wire format: one fixed 32-byte UDP datagram each way.
 *
 *   0..3   magic "BRTH"        4  version (1)       5  type (1 request, 2 reply)     6..7  zero
 *   8..11  session (u32, random per process: a reply from before a restart never matches)
 *   12..15 nonce (u32, per probe)                   16..31 zero padding
 *
 * The reply is the request with the type byte flipped, so it is never larger than what was received (no
 * amplification for spoofed sources), and anything that is not exactly a well-formed request is ignored.
 */
export const ECHO_PACKET_BYTES = 32;
const MAGIC = 0x42525448; // "BRTH"
const VERSION = 1;
export const ECHO_REQUEST = 1;
export const ECHO_REPLY = 2;

export interface EchoPacket {
  readonly type: typeof ECHO_REQUEST | typeof ECHO_REPLY;
  readonly session: number;
  readonly nonce: number;
}

export function encodeEchoPacket(p: EchoPacket): Buffer {
  const buf = Buffer.alloc(ECHO_PACKET_BYTES);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt8(VERSION, 4);
  buf.writeUInt8(p.type, 5);
  buf.writeUInt32BE(p.session >>> 0, 8);
  buf.writeUInt32BE(p.nonce >>> 0, 12);
  return buf;
}

export function decodeEchoPacket(buf: Buffer): EchoPacket | null {
  if (buf.length !== ECHO_PACKET_BYTES || buf.readUInt32BE(0) !== MAGIC || buf.readUInt8(4) !== VERSION) return null;
  const type = buf.readUInt8(5);
  if (type !== ECHO_REQUEST && type !== ECHO_REPLY) return null;
  return { type, session: buf.readUInt32BE(8), nonce: buf.readUInt32BE(12) };
}
