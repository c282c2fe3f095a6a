/**
 * The bounds of one request body being read: its size, its idle time, its
 * bytes against the memory limit, and the server closing. A failure (idle
 * too long, the server closing) is noted and handed to the reader's
 * `onFail` (which cancels the body, so that its pending read ends), rather
 * than raced against every read.
 *
 * @module
 */

import { HttpError, serverClosing } from "./http_error.ts";
import { watchIdle } from "./idle_watch.ts";

/** The 413 of a body over `maxBodyBytes`. */
export function bodyTooLarge(maxBodyBytes: number): HttpError {
  return new HttpError(
    413,
    "BodyTooLarge",
    `The request body exceeds ${maxBodyBytes} bytes`,
  );
}

/** What {@linkcode watchBody} bounds a body by. */
export interface BodyBounds {
  /** The largest body, in bytes (413 `BodyTooLarge` past it). */
  maxBodyBytes: number;
  /** How long the body may send nothing (408 `RequestTimeout` then). */
  idleTimeoutMs: number;
  /** Where the body's bytes are reserved (raises past the memory limit). */
  memory: { reserve(bytes: number): void };
  /** Aborted when the server closes: 503 `ServerClosing`. */
  signal?: AbortSignal;
}

/** The bounds of one body being read (see {@linkcode watchBody}). */
export interface BodyWatch {
  /** Bytes counted (and reserved in the memory) so far. */
  held: number;
  /** Set once the read failed: a chunk still arriving is not counted. */
  ended: boolean;
  /** The idle timeout (408) or the server closing (503), once either came. */
  failure: HttpError | undefined;
  /** Notes that the body sent something (restarts its idle time). */
  touch(): void;
  /**
   * Counts a chunk of the (decoded) body: touches, then raises
   * `BodyTooLarge` or the memory's `MemoryLimitError` (counting nothing), or
   * counts it.
   */
  count(chunk: Uint8Array): void;
  /** Stops watching the idle time and the server closing. */
  stop(): void;
}

/**
 * Watches a body from now on, bounded by `bounds`: its idle time (from now
 * and from each chunk, by {@linkcode watchIdle}) and the server closing set
 * `failure` and call `onFail` with it, once, unless the body has ended.
 */
export function watchBody(
  bounds: BodyBounds,
  onFail: (failure: HttpError) => void,
): BodyWatch {
  const { memory, maxBodyBytes, idleTimeoutMs, signal } = bounds;
  const fail = (failure: HttpError): void => {
    if (watch.ended || watch.failure !== undefined) return;
    watch.failure = failure;
    onFail(failure);
  };
  const idle = watchIdle(idleTimeoutMs, () =>
    fail(
      new HttpError(
        408,
        "RequestTimeout",
        `The body sent nothing for ${idleTimeoutMs} ms`,
      ),
    ));
  const unwatch = signal === undefined
    ? undefined
    : onClosing(signal, () => fail(serverClosing()));
  const watch: BodyWatch = {
    held: 0,
    ended: false,
    failure: undefined,
    touch: idle.touch,
    count(chunk: Uint8Array): void {
      if (watch.ended) throw new Error("The body was abandoned");
      idle.touch();
      if (watch.held + chunk.byteLength > maxBodyBytes) {
        throw bodyTooLarge(maxBodyBytes);
      }
      memory.reserve(chunk.byteLength);
      watch.held += chunk.byteLength;
    },
    stop(): void {
      idle.end();
      unwatch?.();
    },
  };
  return watch;
}

/** Per server signal, what to call when it aborts (one listener each). */
const closing = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `close` when `signal` aborts, until the returned function is
 * called: the bodies of a server share one listener on its signal (adding
 * and removing a listener per body costs more).
 */
function onClosing(signal: AbortSignal, close: () => void): () => void {
  let calls = closing.get(signal);
  if (calls === undefined) {
    const set = new Set<() => void>();
    calls = set;
    closing.set(signal, set);
    signal.addEventListener("abort", () => {
      for (const call of [...set]) call();
      set.clear();
    }, { once: true });
  }
  calls.add(close);
  return () => calls.delete(close);
}
