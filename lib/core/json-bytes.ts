/**
 * The JSON structural characters as bytes, for scanners that read UTF-8 without decoding it (json-guard.ts and the
 * API server's list reader): they are ASCII and never occur inside a multi-byte sequence.
 */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const COLON = 0x3a;
export const COMMA = 0x2c;
