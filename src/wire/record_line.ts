/**
 * The NDJSON line of a record, `{"position":N,"payload":"<base64>"}`: what
 * the HTTP server's `GET /queues/{queue}/records` and the command line's
 * `read --format ndjson` write.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { LogRecord } from "../log/mem_queue.ts";

const encoder = new TextEncoder();

/**
 * The record as one NDJSON line, newline included, in UTF-8:
 * `{"position":N,"payload":"<base64>"}\n`.
 */
export function encodeRecordLine(record: LogRecord): Uint8Array {
  const { position, payload } = record;
  const base64 = Buffer.from(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  ).toString("base64");
  return encoder.encode(`{"position":${position},"payload":"${base64}"}\n`);
}
