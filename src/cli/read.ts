/**
 * The `read` command's output formats: records to bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { LogRecord } from "../log/mem_queue.ts";

/** How `read` writes records. */
export type ReadFormat = "ndjson" | "raw" | "hex" | "length-prefixed";

/** The formats of {@linkcode ReadFormat}, for checking input. */
export const READ_FORMATS: readonly ReadFormat[] = [
  "ndjson",
  "raw",
  "hex",
  "length-prefixed",
];

const encoder = new TextEncoder();
const FLUSH_BYTES = 64 * 1024;

/**
 * Writes `records` to `out` in `format`, in chunks of about 64 KiB:
 *
 * - `ndjson`: one line `{"position":N,"payload":"<base64>"}` per record;
 * - `raw`: each payload as is, followed by a newline;
 * - `hex`: one line per record, the position, a tab, the payload in hex;
 * - `length-prefixed`: each payload after its u32 little-endian length.
 *
 * Returns the number of records written.
 */
export async function writeRecords(
  records: AsyncIterable<LogRecord>,
  format: ReadFormat,
  out: WritableStreamDefaultWriter<Uint8Array>,
): Promise<number> {
  let parts: Uint8Array[] = [];
  let pending = 0;
  let count = 0;
  const push = (bytes: Uint8Array): void => {
    parts.push(bytes);
    pending += bytes.length;
  };
  const flush = async (): Promise<void> => {
    if (pending === 0) return;
    const chunk = new Uint8Array(pending);
    let offset = 0;
    for (const part of parts) {
      chunk.set(part, offset);
      offset += part.length;
    }
    parts = [];
    pending = 0;
    await out.write(chunk);
  };
  for await (const { position, payload } of records) {
    const bytes = Buffer.from(
      payload.buffer,
      payload.byteOffset,
      payload.byteLength,
    );
    if (format === "ndjson") {
      push(encoder.encode(
        `{"position":${position},"payload":"${bytes.toString("base64")}"}\n`,
      ));
    } else if (format === "hex") {
      push(encoder.encode(`${position}\t${bytes.toString("hex")}\n`));
    } else if (format === "raw") {
      push(payload);
      push(NEWLINE);
    } else {
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, payload.length, true);
      push(prefix);
      push(payload);
    }
    count++;
    if (pending >= FLUSH_BYTES) await flush();
  }
  await flush();
  return count;
}

const NEWLINE = new Uint8Array([0x0a]);
