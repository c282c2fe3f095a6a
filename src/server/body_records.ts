/**
 * Reading an append's body whole, as records, before anything is appended:
 * bounded in size, in idle time and, all requests together, by the log's
 * memory limit. A compressed body (`Content-Encoding`) is decompressed as it
 * arrives and its limits apply to the decompressed bytes. Every failure is an
 * error to answer; nothing was stored.
 *
 * @module
 */

import { MemoryLimitError } from "../errors.ts";
import { MalformedJsonError } from "../streams/json_split_stream.ts";
import type { BodyDecoder } from "./content_decoding.ts";
import { HttpError, serverClosing } from "./http_error.ts";
import { gatherSmallChunks } from "./small_chunks.ts";

/** What {@linkcode bodyMemory} needs of a log (a `MultiRecordLog` has it). */
export interface MemoryGauge {
  /** Payload bytes the log holds. */
  readonly retainedBytes: number;
  /** Retained bytes past which appends are refused (`Infinity` if none). */
  readonly memoryLimitBytes: number;
}

/** The bytes of bodies being read, counted against the log's memory limit. */
export interface BodyMemory {
  /** Bytes held by bodies being read (or waiting for their append). */
  readonly heldBytes: number;
  /**
   * Counts `bytes` more, or raises `MemoryLimitError` (counting nothing) if
   * the log's retained bytes and the bodies' would pass the memory limit.
   */
  reserve(bytes: number): void;
  /** Counts `bytes` less (a body appended or refused). */
  release(bytes: number): void;
}

/**
 * The memory of the bodies being read by a server of `log`: a body's bytes
 * count from their arrival until its append is done (then the log retains
 * its records), so that bodies arriving together cannot pass the limit.
 */
export function bodyMemory(log: MemoryGauge): BodyMemory {
  let held = 0;
  return {
    get heldBytes(): number {
      return held;
    },
    reserve(bytes: number): void {
      const total = log.retainedBytes + held + bytes;
      if (total > log.memoryLimitBytes) {
        throw new MemoryLimitError(log.memoryLimitBytes, total);
      }
      held += bytes;
    },
    release(bytes: number): void {
      held -= bytes;
    },
  };
}

/** Options of {@linkcode readBodyRecords}. */
export interface ReadBodyOptions {
  /** Cuts the body into records (a `LineSplitStream`, …). */
  framing: TransformStream<Uint8Array, Uint8Array>;
  /**
   * Undoes the body's content coding (`bodyDecoder`), if any: the limits
   * then apply to the decoded bytes, and to the encoded ones too.
   */
  decode?: BodyDecoder;
  /**
   * The largest body accepted, in bytes, decompressed (413 `BodyTooLarge`
   * past it; a compressed body is also held to it before decompression).
   */
  maxBodyBytes: number;
  /** How long the body may send nothing (408 `RequestTimeout` then). */
  idleTimeoutMs: number;
  /** Where the body's bytes are counted while it is read. */
  memory: BodyMemory;
  /** Aborted when the server closes: 503 `ServerClosing`. */
  signal?: AbortSignal;
}

/** A body read whole: its records, and the bytes it holds in `memory`. */
export interface BodyRecords {
  /** The records, in order. */
  records: Uint8Array[];
  /** Bytes reserved in `memory`: release them once the append is done. */
  heldBytes: number;
}

/** The 413 of a body over `maxBodyBytes`. */
export function bodyTooLarge(maxBodyBytes: number): HttpError {
  return new HttpError(
    413,
    "BodyTooLarge",
    `The request body exceeds ${maxBodyBytes} bytes`,
  );
}

/**
 * Reads `body` to its end (decoding it with `decode`, if given) and cuts it
 * into records. Raises (having released what it held, and cancelled the
 * body) `BodyTooLarge` (413, the decompressed bytes or the compressed ones
 * over `maxBodyBytes`), `RequestTimeout` (408), `ServerClosing` (503),
 * `MemoryLimitError`, the framing's `RecordTooLargeError` (413) or
 * `TruncatedInputError` (400), `BadJson` (400, with the byte `offset` in the
 * decompressed body: a JSON body that is malformed or not an array or
 * object), the decoder's `BadEncoding` (400), or `BadBody` (400: the body
 * could not be read, e.g. malformed chunked encoding or a client gone
 * mid-body).
 */
export async function readBodyRecords(
  body: ReadableStream<Uint8Array> | null,
  options: ReadBodyOptions,
): Promise<BodyRecords> {
  const { memory, maxBodyBytes, idleTimeoutMs, signal } = options;
  let held = 0;
  let ended = false; // once failed, a chunk still in the pipe is not counted
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => fail = reject);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // One timer per body, not one per chunk: it checks when the body last
  // sent something, and waits for the rest of the idle time if it did.
  let active = 0;
  const expire = (): void => {
    const idle = performance.now() - active;
    if (idle < idleTimeoutMs) {
      timer = setTimeout(expire, idleTimeoutMs - idle);
      return;
    }
    fail(
      new HttpError(
        408,
        "RequestTimeout",
        `The body sent nothing for ${idleTimeoutMs} ms`,
      ),
    );
  };
  const arm = (): void => {
    active = performance.now();
    timer ??= setTimeout(expire, idleTimeoutMs);
  };
  const small = gatherSmallChunks();
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (ended) throw new Error("The body was abandoned");
      arm();
      if (held + chunk.byteLength > maxBodyBytes) {
        throw bodyTooLarge(maxBodyBytes);
      }
      memory.reserve(chunk.byteLength);
      held += chunk.byteLength;
      small.push(chunk, controller);
    },
    flush: (controller) => small.flush(controller),
  });
  let source = body ?? new Blob([]).stream();
  if (options.decode !== undefined) {
    // The encoded bytes are bounded too: a coding can spend input on no
    // output (deflate's empty blocks).
    let encoded = 0;
    source = options.decode(source.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          arm();
          encoded += chunk.byteLength;
          if (encoded > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
          controller.enqueue(chunk);
        },
      }),
    ));
  }
  const reader = source
    .pipeThrough(counted)
    .pipeThrough(options.framing)
    .getReader();
  const onAbort = (): void => fail(serverClosing());
  signal?.addEventListener("abort", onAbort);
  failed.catch(() => {});
  try {
    if (signal?.aborted) throw serverClosing();
    arm();
    const records = await Promise.race([readAll(reader), failed]);
    // Records may outweigh the body (a JSON number such as 1e20 is stored
    // as 100000000000000000000): count the difference too.
    let recordBytes = 0;
    for (const record of records) recordBytes += record.byteLength;
    if (recordBytes > held) {
      memory.reserve(recordBytes - held);
      held = recordBytes;
    }
    return { records, heldBytes: held };
  } catch (error) {
    ended = true;
    memory.release(held);
    reader.cancel(error).catch(() => {});
    throw bodyError(error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<Uint8Array[]> {
  const records: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return records;
    records.push(value);
  }
}

const FRAMING_ERRORS = [
  "RecordTooLargeError",
  "TruncatedInputError",
  "MemoryLimitError",
];

/** The error to answer for `error`, met while reading a body. */
function bodyError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof MalformedJsonError) {
    return new HttpError(400, "BadJson", error.message, {
      fields: { offset: error.offset },
    });
  }
  if (error instanceof Error && FRAMING_ERRORS.includes(error.name)) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpError(
    400,
    "BadBody",
    `The request body could not be read: ${reason}`,
  );
}
