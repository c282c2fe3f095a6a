/**
 * The `append` command: records from stdin into a queue, through the streams
 * API.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print, stdinFileSize, stdinStream } from "../io.ts";
import { openLog } from "../open_log.ts";
import { ProgressLine, progressWanted, QUIET_OPTION } from "../progress.ts";
import {
  byteSizeFlag,
  parseOptionalPosition,
  stringFlag,
  UsageError,
} from "../options.ts";
import {
  type IngestLog,
  type IngestOutcome,
  ingestStream,
} from "../../streams/ingest_stream.ts";
import {
  type RecordFraming,
  recordSplitStream,
} from "../../streams/record_framing.ts";

/** `append DIR QUEUE [--ndjson | --length-prefixed] [--position N] [--create] [--max-record-bytes B]`. */
export const appendCommand: Command = {
  name: "append",
  summary: "append records read from stdin",
  description:
    `Appends the records read from stdin, through the streams API, and prints
{"firstPosition":…,"lastPosition":…,"count":…} on stdout.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [
    {
      name: "ndjson",
      help: "one record per line, empty lines skipped (default)",
    },
    {
      name: "length-prefixed",
      help: "each record after its u32 little-endian byte length",
    },
    {
      name: "position",
      value: "N",
      help: `position of the first record; records already there
with the same bytes are skipped, so a retry is safe`,
    },
    { name: "create", help: "create the queue if it does not exist" },
    {
      name: "max-record-bytes",
      value: "B",
      help: "largest record accepted (default 16MiB)",
    },
    QUIET_OPTION,
  ],
  takesLock: true,
  async run([dir, queue], flags): Promise<number> {
    const framing = appendFraming(flags.ndjson, flags["length-prefixed"]);
    const position = parseOptionalPosition(
      stringFlag(flags, "position"),
      "--position",
    );
    const maxRecordBytes = byteSizeFlag(flags, "max-record-bytes");
    const create = flags.create === true;
    const showProgress = progressWanted(flags);
    await using log = await openLog(
      dir,
      create ? "create" : "write",
      showProgress,
    );
    if (create && !log.queueExists(queue)) await log.createQueue(queue);
    const outcome = await appendFrom(log, queue, stdinStream(), {
      framing,
      position,
      maxRecordBytes,
      progress: new ProgressLine(
        { label: `appending to ${queue}`, verb: "read" },
        showProgress,
      ),
      inputBytes: stdinFileSize(),
    });
    await print(JSON.stringify(outcome) + "\n");
    return 0;
  },
};

/** The framing the flags ask for: NDJSON unless `--length-prefixed`. */
function appendFraming(
  ndjson: unknown,
  lengthPrefixed: unknown,
): RecordFraming {
  if (ndjson && lengthPrefixed) {
    throw new UsageError("give --ndjson or --length-prefixed, not both");
  }
  return lengthPrefixed ? "length-prefixed" : "ndjson";
}

/** Options of {@linkcode appendFrom}. */
interface AppendOptions {
  /** How the records are framed in the input. */
  framing: RecordFraming;
  /** The position of the first record (a replay of records already there is skipped). */
  position?: number;
  /** The largest record accepted, in bytes. Default 16 MiB. */
  maxRecordBytes?: number;
  /** Where the bytes read are shown. */
  progress: ProgressLine;
  /** The input's length, if known (a regular file): the progress total. */
  inputBytes?: number;
}

/**
 * Appends the records of `input` to `queue` through the streams API
 * (framing, `RecordBatchStream`, the queue's writable stream), showing the
 * bytes read (of the input's length, if known) on a progress line. Rejects with the first error; the records
 * persisted before it stay, and the error's `persisted` property says which.
 */
async function appendFrom(
  log: IngestLog,
  queue: string,
  input: ReadableStream<Uint8Array>,
  options: AppendOptions,
): Promise<IngestOutcome> {
  const { progress, inputBytes } = options;
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      progress.update(bytes, inputBytes);
      controller.enqueue(chunk);
    },
  });
  const framing = recordSplitStream(options.framing, {
    maxRecordBytes: options.maxRecordBytes,
  });
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
