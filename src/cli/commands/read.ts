/**
 * The `read` command: a queue's records to stdout, in one of four formats.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Command } from "../command.ts";
import { stdoutStream } from "../io.ts";
import { openLog } from "../open_log.ts";
import { ProgressLine, progressWanted, QUIET_OPTION } from "../progress.ts";
import { parseOptionalPosition, stringFlag, UsageError } from "../options.ts";
import type { LogRecord } from "../../log/mem_queue.ts";
import { encodeLengthPrefix } from "../../streams/length_prefix_encoder_stream.ts";
import { encodeRecordLine } from "../../wire/record_line.ts";

/** `read DIR QUEUE [--from N] [--to N] [--format FORMAT]`. */
export const readCommand: Command = {
  name: "read",
  summary: "write a queue's records to stdout",
  description:
    `Writes the queue's records to stdout, streamed, from a snapshot of the log.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [
    {
      name: "from",
      value: "N",
      help: "first position to read (default: the first held)",
    },
    {
      name: "to",
      value: "N",
      help: "last position to read, inclusive (default: the last)",
    },
    {
      name: "format",
      value: "FORMAT",
      help: `ndjson (default): {"position":N,"payload":"<base64>"} per line
raw: each payload followed by a newline
hex: the position, a tab and the payload in hex, per line
length-prefixed: each payload after its u32 little-endian length`,
    },
    QUIET_OPTION,
  ],
  takesLock: false,
  async run([dir, queue], flags): Promise<number> {
    const from = parseOptionalPosition(stringFlag(flags, "from"), "--from");
    const to = parseOptionalPosition(stringFlag(flags, "to"), "--to");
    const format = parseReadFormat(stringFlag(flags, "format") ?? "ndjson");
    const showProgress = progressWanted(flags);
    await using log = await openLog(dir, "snapshot", showProgress);
    const records = log.readable(queue, { from, to });
    const progress = new ProgressLine(
      { label: `reading ${queue}`, verb: "written", unit: "records" },
      showProgress,
    );
    // The total is known when the whole queue is read.
    const total = from === undefined && to === undefined
      ? log.summary().queues[queue]?.recordCount
      : undefined;
    const writer = stdoutStream().getWriter();
    try {
      await writeRecords(
        records,
        format,
        writer,
        (count) => progress.update(count, total),
      );
    } finally {
      progress.done();
    }
    writer.releaseLock();
    return 0;
  },
};

/** How `read` writes records. */
type ReadFormat = "ndjson" | "raw" | "hex" | "length-prefixed";

const READ_FORMATS: readonly ReadFormat[] = [
  "ndjson",
  "raw",
  "hex",
  "length-prefixed",
];

function parseReadFormat(value: string): ReadFormat {
  if (READ_FORMATS.includes(value as ReadFormat)) return value as ReadFormat;
  throw new UsageError(
    `--format must be one of ${READ_FORMATS.join(", ")}, got ${
      JSON.stringify(value)
    }`,
  );
}

const encoder = new TextEncoder();
const NEWLINE = new Uint8Array([0x0a]);
const FLUSH_BYTES = 64 * 1024;

/** The bytes of `record` in `format`. */
function encodeRecord(record: LogRecord, format: ReadFormat): Uint8Array[] {
  const { position, payload } = record;
  switch (format) {
    case "ndjson":
      return [encodeRecordLine(record)];
    case "hex": {
      const hex = Buffer.from(
        payload.buffer,
        payload.byteOffset,
        payload.byteLength,
      ).toString("hex");
      return [encoder.encode(`${position}\t${hex}\n`)];
    }
    case "raw":
      return [payload, NEWLINE];
    case "length-prefixed":
      return [encodeLengthPrefix(payload.length), payload];
  }
}

/**
 * Writes `records` to `out` in `format`, in chunks of about 64 KiB, telling
 * `onProgress` the records written so far after each chunk:
 *
 * - `ndjson`: one line `{"position":N,"payload":"<base64>"}` per record;
 * - `raw`: each payload as is, followed by a newline;
 * - `hex`: one line per record, the position, a tab, the payload in hex;
 * - `length-prefixed`: each payload after its u32 little-endian length.
 *
 * Returns the number of records written.
 */
async function writeRecords(
  records: AsyncIterable<LogRecord>,
  format: ReadFormat,
  out: WritableStreamDefaultWriter<Uint8Array>,
  onProgress: (records: number) => void,
): Promise<number> {
  let parts: Uint8Array[] = [];
  let pending = 0;
  let count = 0;
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
  for await (const record of records) {
    for (const bytes of encodeRecord(record, format)) {
      parts.push(bytes);
      pending += bytes.length;
    }
    count++;
    if (pending >= FLUSH_BYTES) {
      await flush();
      onProgress(count);
    }
  }
  await flush();
  return count;
}
