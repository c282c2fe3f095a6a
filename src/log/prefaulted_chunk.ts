/**
 * Chunk memory made ready on another thread. The first write to each page of
 * newly allocated memory costs a page fault (more than copying the page),
 * and every record the log keeps lands in new memory. A helper thread
 * allocates chunks and touches their pages ahead of need, so that the append
 * path (and the replay on open) finds them ready; the thread runs on another
 * core. When no ready chunk is there (or the thread cannot run), callers
 * allocate as usual: this is an optimization only.
 *
 * The helper starts on the first request, is `unref`'d (it never keeps the
 * process alive) and keeps at most `POOL_CHUNKS` chunks ready.
 *
 * @module
 */

import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";

/** The size of the chunks made ready (the queues' largest regular chunk). */
export const PREFAULTED_CHUNK_BYTES = 256 * 1024;
/** Chunks kept ready: 8 MiB. */
const POOL_CHUNKS = 32;
/** Chunks asked for per message, and per reply. */
const BATCH_CHUNKS = 8;

// Runs in the helper: for each request, allocates the chunks, writes a zero
// to every page (reading would map the shared zero page instead) and hands
// them over (transferred, not copied).
const HELPER_SOURCE = `
const { workerData } = require("node:worker_threads");
const port = workerData.port;
port.on("message", ({ bytes, count }) => {
  const chunks = [];
  for (let i = 0; i < count; i++) {
    const buffer = new ArrayBuffer(bytes);
    const view = new Uint8Array(buffer);
    for (let at = 0; at < bytes; at += 4096) view[at] = 0;
    chunks.push(buffer);
  }
  port.postMessage(chunks, chunks);
});
`;

interface Helper {
  port: MessagePort;
  ready: ArrayBuffer[];
  /** Chunks asked for and not received yet. */
  pending: number;
}

let helper: Helper | undefined;
let failed = false;

/**
 * A zero-filled chunk of `bytes` whose pages are already in memory, if one
 * is ready and `bytes` is {@linkcode PREFAULTED_CHUNK_BYTES}; otherwise
 * `undefined` (allocate it yourself). Asks the helper for more when the pool
 * runs low.
 */
export function prefaultedChunk(bytes: number): Uint8Array | undefined {
  if (bytes !== PREFAULTED_CHUNK_BYTES || failed) return undefined;
  const h = helper ?? startHelper();
  if (h === undefined) return undefined;
  try {
    for (;;) {
      const received = receiveMessageOnPort(h.port);
      if (received === undefined) break;
      const chunks = received.message as ArrayBuffer[];
      h.pending -= chunks.length;
      h.ready.push(...chunks);
    }
    if (h.ready.length + h.pending <= POOL_CHUNKS - BATCH_CHUNKS) {
      const count = POOL_CHUNKS - h.ready.length - h.pending;
      for (let asked = 0; asked < count; asked += BATCH_CHUNKS) {
        const n = Math.min(BATCH_CHUNKS, count - asked);
        h.port.postMessage({ bytes, count: n });
        h.pending += n;
      }
    }
  } catch {
    stopHelper();
    return undefined;
  }
  const buffer = h.ready.pop();
  return buffer === undefined ? undefined : new Uint8Array(buffer);
}

function startHelper(): Helper | undefined {
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
    worker.on("error", stopHelper);
    (port1 as { unref?: () => void }).unref?.();
    helper = { port: port1, ready: [], pending: 0 };
    return helper;
  } catch {
    failed = true;
    return undefined;
  }
}

function stopHelper(): void {
  failed = true;
  helper = undefined;
}
