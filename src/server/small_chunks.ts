/**
 * Copying small body chunks out of the large buffers they arrive in: Deno
 * hands each chunk of a chunked body as a view of its own 64 KiB buffer, so
 * a body sent as 10,000 one-byte chunks would hold 640 MiB while it is read
 * (and a record split across them keeps every buffer its pieces view).
 *
 * @module
 */

/** Where gathered chunks go (a `TransformStreamDefaultController` is one). */
export interface ChunkSink {
  /** Takes a chunk. */
  enqueue(chunk: Uint8Array): void;
}

/** What {@linkcode gatherSmallChunks} returns. */
export interface SmallChunkGatherer {
  /** Passes `chunk` on, or gathers it with the next ones (see the module). */
  push(chunk: Uint8Array, sink: ChunkSink): void;
  /** Passes on what is gathered (at the end of the body). */
  flush(sink: ChunkSink): void;
}

/** Bytes gathered into one buffer before it is passed on. */
const GATHER_BYTES = 16 * 1024;

/**
 * A gatherer of small chunks: a chunk that takes at least half of its
 * buffer, or at least 16 KiB, is passed on as it is; smaller views of larger
 * buffers are held back one at a time, and copied together into buffers of
 * 16 KiB once a second one comes, so that what is held is at most about
 * the body's size plus 80 KiB, whatever its chunking. A lone small chunk
 * (a small body in one piece, the usual case) is passed on uncopied.
 */
export function gatherSmallChunks(): SmallChunkGatherer {
  let lone: Uint8Array | undefined; // one small view, not copied yet
  let buffer: Uint8Array | undefined; // small chunks copied together
  let used = 0;
  const emit = (sink: ChunkSink): void => {
    if (lone !== undefined) {
      sink.enqueue(lone);
      lone = undefined;
    }
    if (buffer !== undefined && used > 0) {
      sink.enqueue(
        used < buffer.byteLength / 2
          ? buffer.slice(0, used)
          : buffer.subarray(0, used),
      );
    }
    buffer = undefined;
    used = 0;
  };
  return {
    push(chunk, sink) {
      const length = chunk.byteLength;
      if (length >= GATHER_BYTES || 2 * length >= chunk.buffer.byteLength) {
        emit(sink);
        sink.enqueue(chunk);
        return;
      }
      if (buffer === undefined && lone === undefined) {
        lone = chunk;
        return;
      }
      if (lone !== undefined) {
        const first = lone;
        lone = undefined;
        buffer = new Uint8Array(GATHER_BYTES);
        buffer.set(first);
        used = first.byteLength;
      }
      if (used + length > buffer!.byteLength) {
        emit(sink);
        buffer = new Uint8Array(GATHER_BYTES);
      }
      buffer!.set(chunk, used);
      used += length;
    },
    flush: emit,
  };
}
