/**
 * Reading an append's body whole, as records, before anything is appended:
 * bounded in size, in idle time and, all requests together, by the log's
 * memory limit. A compressed body (`Content-Encoding`) is decompressed as it
 * arrives and its limits apply to the decompressed bytes. Every failure is an
 * error to answer; nothing was stored.
 *
 * @module
 */

import { MalformedJsonError } from "../streams/json_split_stream.ts";
import type { BodyDecoder } from "./content_decoding.ts";
import { bodyTooLarge, type BodyWatch, watchBody } from "./body_watch.ts";
import { HttpError, serverClosing } from "./http_error.ts";
import { type ChunkSink, gatherSmallChunks } from "./small_chunks.ts";
import type { BodyMemory } from "./body_memory.ts";
import {
  type ByteTransformer,
  collector,
  transformWhole,
} from "../streams/byte_transformer.ts";

/** Options of {@linkcode readBodyRecords}. */
export interface ReadBodyOptions {
  /**
   * Cuts the body into records: a `TransformStream` (a `JsonSplitStream`,
   * …), or a `Transformer` whose `transform` and `flush` are synchronous
   * (`lineSplitter`, `lengthPrefixDecoder`), which is driven directly,
   * without a stream (the body's chunks, decoded if `decode` is given, go
   * straight from their reader to `transform`).
   */
  framing:
    | TransformStream<Uint8Array, Uint8Array>
    | ByteTransformer;
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
  /**
   * The body in one piece, for a small body of declared length
   * ({@linkcode WHOLE_BODY_BYTES} at most): used instead of the stream when
   * there is no `decode` and `framing` is synchronous. Its bytes are
   * reserved once they have arrived (the runtime holds them meanwhile), and
   * the idle timeout bounds the whole read (see {@linkcode wholeBody}).
   */
  whole?: WholeBody;
}

/** A body of declared length, read in one piece (`request.arrayBuffer()`). */
export interface WholeBody {
  /** Reads it whole (its length is checked once read). */
  read(): Promise<ArrayBuffer>;
}

/** The largest declared body read in one piece (see `whole`). */
export const WHOLE_BODY_BYTES = 64 * 1024;

/**
 * The body of `request` to read in one piece (`whole`), if its length is
 * declared and at most {@linkcode WHOLE_BODY_BYTES}, with no `decode` and a
 * synchronous `framing`. Its stream must then be left untouched: a body
 * taken whole costs less than its stream (4 to 8 µs of CPU per one-record
 * request under Deno, 4 to 17 under Bun: `bench/http_handler_ab.ts`),
 * unless the stream was made first.
 */
export function wholeBody(
  request: Request,
  declaredBytes: number,
  framing: ReadBodyOptions["framing"],
  decode: BodyDecoder | undefined,
): WholeBody | undefined {
  if (
    !(declaredBytes <= WHOLE_BODY_BYTES) || decode !== undefined ||
    framing instanceof TransformStream
  ) {
    return undefined;
  }
  return { read: () => request.arrayBuffer() };
}

/** A body read whole: its records, and the bytes it holds in `memory`. */
export interface BodyRecords {
  /** The records, in order. */
  records: Uint8Array[];
  /** Bytes reserved in `memory`: release them once the append is done. */
  heldBytes: number;
}

/**
 * Reads `body` (or `whole`) to its end, decoding it with `decode` if given,
 * and cuts it into records. Raises (having released what it held and
 * cancelled the body; one read whole is left to the runtime, its 408 or 503
 * saying `Connection: close`) `BodyTooLarge` (413, the decompressed bytes
 * or the compressed ones over `maxBodyBytes`), `RequestTimeout` (408),
 * `ServerClosing` (503), `MemoryLimitError`, the framing's
 * `RecordTooLargeError` (413) or `TruncatedInputError` (400), `BadJson`
 * (400, with the byte `offset` in the decompressed body), the decoder's
 * `BadEncoding` (400), or `BadBody` (400: the body could not be read, e.g.
 * malformed chunked encoding or a client gone mid-body). A `Transformer`
 * framing gives the same records and errors driven directly or through a
 * stream.
 */
export function readBodyRecords(
  body: ReadableStream<Uint8Array> | null,
  options: ReadBodyOptions,
): Promise<BodyRecords> {
  const { framing, decode, whole } = options;
  if (
    whole !== undefined && decode === undefined &&
    !(framing instanceof TransformStream)
  ) {
    return readWhole(whole, framing, options);
  }
  return readStreamed(body ?? new Blob([]).stream(), options);
}

/** {@linkcode readBodyRecords} of a body read as a stream. */
async function readStreamed(
  source: ReadableStream<Uint8Array>,
  options: ReadBodyOptions,
): Promise<BodyRecords> {
  const { framing, decode, memory } = options;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // A timeout or the server closing cancels the body: its pending read ends.
  const watch = watchBody(options, (failure) => {
    (reader ?? source).cancel(failure).catch(() => {});
  });
  try {
    if (options.signal?.aborted) throw serverClosing();
    const input = decode === undefined
      ? source
      : decoded(source, decode, options.maxBodyBytes, watch);
    let read: Promise<Uint8Array[]>;
    if (!(framing instanceof TransformStream)) {
      reader = input.getReader();
      read = cutRecords(reader, framing, watch);
    } else {
      reader = pipedRecords(input, framing, watch);
      read = readAll(reader);
    }
    const records = await read;
    if (watch.failure !== undefined) throw watch.failure;
    return held(records, watch, memory);
  } catch (error) {
    const cause = watch.failure ?? error;
    watch.ended = true;
    memory.release(watch.held);
    (reader ?? source).cancel(cause).catch(() => {});
    throw bodyError(cause);
  } finally {
    watch.stop();
  }
}

/**
 * `records` and the bytes they hold: the body's, or more if the records
 * outweigh it (a JSON number such as 1e20 is stored as
 * 100000000000000000000), the difference reserved too.
 */
function held(
  records: Uint8Array[],
  watch: BodyWatch,
  memory: BodyMemory,
): BodyRecords {
  let recordBytes = 0;
  for (const record of records) recordBytes += record.byteLength;
  if (recordBytes > watch.held) {
    memory.reserve(recordBytes - watch.held);
    watch.held = recordBytes;
  }
  return { records, heldBytes: watch.held };
}

/**
 * A small body of declared length read in one piece (see
 * {@linkcode ReadBodyOptions.whole}) and cut by `framing`, with the errors
 * of {@linkcode readBodyRecords}. A body still arriving when the watch
 * fails (idle too long, the server closing) is left to the runtime, and
 * its answer says `Connection: close`.
 */
function readWhole(
  whole: WholeBody,
  framing: ByteTransformer,
  options: ReadBodyOptions,
): Promise<BodyRecords> {
  const { memory } = options;
  let fail: (failure: HttpError) => void = () => {};
  const watch = watchBody(options, (failure) => fail(failure));
  const refuse = (error: unknown): never => {
    watch.stop();
    const cause = watch.failure ?? error;
    watch.ended = true;
    memory.release(watch.held);
    // The rest of the body is still to come: the connection cannot take
    // another request.
    if (watch.failure !== undefined) watch.failure.headers.connection = "close";
    throw bodyError(cause);
  };
  // Settled by the read, or by the watch failing first (the read is then
  // abandoned); then-chained, not async: each promise less is a µs less.
  return new Promise<ArrayBuffer>((resolve, reject) => {
    if (options.signal?.aborted) throw serverClosing();
    fail = reject;
    whole.read().then(resolve, reject);
  }).then((buffer) => {
    try {
      watch.stop();
      const bytes = new Uint8Array(buffer);
      // Counted once arrived, as a stream's chunks are (a declared length
      // reserved at once could hold the memory limit with no bytes sent).
      if (bytes.byteLength > options.maxBodyBytes) {
        throw bodyTooLarge(options.maxBodyBytes);
      }
      memory.reserve(bytes.byteLength);
      watch.held = bytes.byteLength;
      return held(transformWhole(framing, bytes), watch, memory);
    } catch (error) {
      return refuse(error);
    }
  }, refuse);
}

/**
 * The records of a body cut by a synchronous `framing` transformer, driven
 * directly: each chunk read is counted, gathered if small
 * ({@linkcode gatherSmallChunks}) and passed to `transform` with a
 * controller that collects the records; `flush` at the end.
 */
async function cutRecords(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  framing: ByteTransformer,
  watch: BodyWatch,
): Promise<Uint8Array[]> {
  const records: Uint8Array[] = [];
  const controller = collector(records);
  const transform = framing.transform;
  const cut: ChunkSink = {
    enqueue: (chunk) => void transform(chunk, controller),
  };
  const small = gatherSmallChunks();
  for (;;) {
    const { done, value } = await reader.read();
    if (watch.failure !== undefined) throw watch.failure;
    if (done) break;
    watch.count(value);
    small.push(value, cut);
  }
  small.flush(cut);
  framing.flush(controller);
  return records;
}

/**
 * `source` decoded by `decode`, its encoded bytes bounded too (a coding can
 * spend input on no output: deflate's empty blocks), each encoded chunk
 * touching the idle watch.
 */
function decoded(
  source: ReadableStream<Uint8Array>,
  decode: BodyDecoder,
  maxBodyBytes: number,
  watch: BodyWatch,
): ReadableStream<Uint8Array> {
  let encoded = 0;
  return decode(source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        watch.touch();
        encoded += chunk.byteLength;
        if (encoded > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
        controller.enqueue(chunk);
      },
    }),
  ));
}

/**
 * The reader of the records of `source` through a framing stream (a
 * `JsonSplitStream`): counted, small chunks gathered, then framed.
 */
function pipedRecords(
  source: ReadableStream<Uint8Array>,
  framing: TransformStream<Uint8Array, Uint8Array>,
  watch: BodyWatch,
): ReadableStreamDefaultReader<Uint8Array> {
  const small = gatherSmallChunks();
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      watch.count(chunk);
      small.push(chunk, controller);
    },
    flush: (controller) => small.flush(controller),
  });
  return source.pipeThrough(counted).pipeThrough(framing).getReader();
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
