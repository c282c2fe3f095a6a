/**
 * The records the forwarding tests append: every byte value, lengths from 0
 * to 299, each payload a function of its position (so the stream can be
 * checked byte for byte without keeping them).
 *
 * @module
 */

import type { MultiRecordLog } from "../../mod.ts";

/** The payload of record `position`. */
export function recordPayload(position: number): Uint8Array {
  const length = (position * 7919) % 300;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (position + i * 31) & 255;
  return bytes;
}

/** Appends records `from` to `from + count - 1` to `queue`, 1,000 per append. */
export async function appendTestRecords(
  log: MultiRecordLog,
  queue: string,
  from: number,
  count: number,
): Promise<void> {
  for (let start = from; start < from + count; start += 1000) {
    const end = Math.min(start + 1000, from + count);
    const batch: Uint8Array[] = [];
    for (let p = start; p < end; p++) batch.push(recordPayload(p));
    await log.appendRecords(queue, start, batch);
  }
}
