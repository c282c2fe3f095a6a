/**
 * Byte helpers of the test suite: UTF-8 in and out, hex for compact
 * comparisons, concatenation, and records framed by hand with length prefixes.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `bytes` decoded as UTF-8. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** `bytes` as lowercase hex, for compact comparisons of binary payloads. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `records` framed by hand with u32 little-endian length prefixes. */
export function lengthPrefixed(records: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(records.reduce((n, r) => n + 4 + r.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const record of records) {
    view.setUint32(at, record.length, true);
    out.set(record, at + 4);
    at += 4 + record.length;
  }
  return out;
}
