/**
 * The `append` command: records from a byte stream into a queue.
 *
 * @module
 */

import { formatBytes, ProgressLine } from "./io.ts";
import { type IngestOutcome, ingestStream } from "../streams/ingest_stream.ts";
import { LengthPrefixDecoderStream } from "../streams/length_prefix_decoder_stream.ts";
import { LineSplitStream } from "../streams/line_split_stream.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";

/** Options of {@linkcode appendFrom}. */
export interface AppendOptions {
  /** One record per line (default), or u32 little-endian length-prefixed. */
  format: "ndjson" | "length-prefixed";
  /** The position of the first record (a replay of records already there is skipped). */
  position?: number;
  /** The largest record accepted, in bytes. Default 16 MiB. */
  maxRecordBytes?: number;
}

/**
 * Appends the records of `input` to `queue` through the streams API
 * (framing, `RecordBatchStream`, the queue's writable stream), showing the
 * bytes read on a progress line. Rejects with the first error; the records
 * persisted before it stay, and the error's `persisted` property says which.
 */
export async function appendFrom(
  log: MultiRecordLog,
  queue: string,
  input: ReadableStream<Uint8Array>,
  options: AppendOptions,
): Promise<IngestOutcome> {
  const progress = new ProgressLine();
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      progress.update(() =>
        `appending to ${queue}: ${formatBytes(bytes)} read`
      );
      controller.enqueue(chunk);
    },
  });
  const maxRecordBytes = options.maxRecordBytes;
  const framing = options.format === "ndjson"
    ? new LineSplitStream({ maxRecordBytes })
    : new LengthPrefixDecoderStream({ maxRecordBytes });
  const { outcome, error } = await ingestStream(
    log,
    queue,
    input.pipeThrough(counter),
    { framing, position: options.position },
  );
  progress.done();
  if (error !== undefined) {
    throw Object.assign(
      error instanceof Error ? error : new Error(String(error)),
      { persisted: outcome },
    );
  }
  return outcome;
}
