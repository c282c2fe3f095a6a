/**
 * Chunk memory made ready on another thread. The first write to each page of
 * newly allocated memory costs a page fault (more than copying the page),
 * and every record the log keeps lands in new memory. A helper thread
 * allocates chunks and touches their pages ahead of need, so that the append
 * path (and recovery on open) finds them ready; the thread runs on another
 * core. When no ready chunk is there (or the thread cannot run), chunks are
 * allocated as usual: this is an optimization only.
 *
 * @module
 */

import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { type ChunkAllocator, DEFAULT_CHUNK_BYTES } from "./chunk_allocator.ts";

/** Chunks kept ready: 8 MiB. */
const POOL_CHUNKS = 32;
/** Chunks per reply of the helper. */
const BATCH_CHUNKS = 8;
/**
 * More chunks are asked for, in one message, when fewer than this many are
 * ready or on their way. A message costs the caller 1 ms and more on a busy
 * 2-core machine (measured in Deno and Bun, 1 GiB reopened: 490 messages,
 * 0.45 to 0.65 s), so they are few and large.
 */
const REFILL_BELOW = POOL_CHUNKS / 2;

// Runs in the helper: for each request, allocates the chunks, writes a zero
// to every page (reading would map the shared zero page instead) and hands
// them over (transferred, not copied), a batch at a time.
const HELPER_SOURCE = `
const { workerData } = require("node:worker_threads");
const port = workerData.port;
port.on("message", ({ bytes, count, batch }) => {
  let chunks = [];
  for (let i = 0; i < count; i++) {
    const buffer = new ArrayBuffer(bytes);
    const view = new Uint8Array(buffer);
    for (let at = 0; at < bytes; at += 4096) view[at] = 0;
    chunks.push(buffer);
    if (chunks.length === batch || i === count - 1) {
      port.postMessage(chunks, chunks);
      chunks = [];
    }
  }
});
`;

interface Helper {
  port: MessagePort;
  ready: ArrayBuffer[];
  /** Chunks asked for and not received yet. */
  pending: number;
}

/**
 * A {@linkcode ChunkAllocator} whose chunks of `chunkBytes` are made ready
 * by a helper thread (`node:worker_threads`); other sizes are allocated
 * plainly. The helper starts on the first request for a chunk of
 * `chunkBytes`, is `unref`'d (it never keeps the process alive) and keeps at
 * most 32 chunks ready.
 */
export class PrefaultingAllocator implements ChunkAllocator {
  /** The size of the chunks made ready. */
  readonly chunkBytes: number;
  #helper: Helper | undefined;
  #failed = false;

  /** An allocator making chunks of `chunkBytes` ready (default 256 KiB). */
  constructor(chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    this.chunkBytes = chunkBytes;
  }

  /** A zero-filled chunk: one made ready if `bytes` is `chunkBytes` and one is. */
  allocate(bytes: number): Uint8Array {
    return (bytes === this.chunkBytes ? this.takeReady() : undefined) ??
      new Uint8Array(bytes);
  }

  /**
   * A zero-filled chunk of `chunkBytes` whose pages are already in memory, if
   * one is ready; otherwise `undefined`. Asks the helper for more when the
   * pool runs low (starting it on the first call).
   */
  takeReady(): Uint8Array | undefined {
    if (this.#failed) return undefined;
    const h = this.#helper ?? this.#startHelper();
    if (h === undefined) return undefined;
    try {
      for (;;) {
        const received = receiveMessageOnPort(h.port);
        if (received === undefined) break;
        const chunks = received.message as ArrayBuffer[];
        h.pending -= chunks.length;
        h.ready.push(...chunks);
      }
      if (h.ready.length + h.pending < REFILL_BELOW) {
        const count = POOL_CHUNKS - h.ready.length - h.pending;
        h.port.postMessage({
          bytes: this.chunkBytes,
          count,
          batch: BATCH_CHUNKS,
        });
        h.pending += count;
      }
    } catch {
      this.#stopHelper();
      return undefined;
    }
    const buffer = h.ready.pop();
    return buffer === undefined ? undefined : new Uint8Array(buffer);
  }

  #startHelper(): Helper | undefined {
    try {
      // A channel of our own: its port can be read synchronously, so ready
      // chunks arrive even while the caller never yields to the event loop.
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(HELPER_SOURCE, {
        eval: true,
        workerData: { port: port2 },
        transferList: [port2],
      });
      worker.unref();
      worker.on("error", () => this.#stopHelper());
      (port1 as { unref?: () => void }).unref?.();
      this.#helper = { port: port1, ready: [], pending: 0 };
      return this.#helper;
    } catch {
      this.#failed = true;
      return undefined;
    }
  }

  #stopHelper(): void {
    this.#failed = true;
    this.#helper = undefined;
  }
}

let shared: PrefaultingAllocator | undefined;

/**
 * The process's prefaulting allocator, shared by every log opened with
 * `prefaultChunks` (the default): one helper thread and one pool of ready
 * pages serve them all, and a log opened for a short while finds the pool
 * already filled.
 */
export function sharedPrefaultingAllocator(): PrefaultingAllocator {
  shared ??= new PrefaultingAllocator();
  return shared;
}
