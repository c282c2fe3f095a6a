/**
 * Disk faults for tests: the faults a {@linkcode MemoryFileAdapter} can be
 * told to inject (a short write, `ENOSPC`, `EIO` on fsync, an error on any
 * directory operation), and the queue that decides which one fires when.
 *
 * @module
 */

import { normalize } from "./memory_paths.ts";
import { systemError } from "./system_error.ts";

/**
 * A fault for {@linkcode MemoryFileAdapter.prototype.injectFault}.
 *
 * Every fault has `after`: how many matching operations succeed before the
 * fault fires (default 0). A fault fires once, then is gone. With `path`, only
 * operations on that path match (for `write`, `sync` and `truncate`, the path
 * the file was opened with; for `rename`, the source path).
 *
 * - `{ op: "write", kind: "short" }`: the write writes only `bytes` of its
 *   bytes (default half, clamped to at least 1 and, when the write has 2 bytes
 *   or more, to fewer than all) and returns that count.
 * - `{ op: "write", kind: "error", code }`: the write writes its first
 *   `partialBytes` bytes (default 0), then throws an error with `code`.
 * - `{ op: "sync", kind: "error", code: "EIO" }`: `syncData` rejects (or
 *   `syncDataSync` throws) and nothing is made durable.
 * - `{ op: "open" | "remove" | ..., kind: "error", code }`: the operation
 *   throws an error with `code` and has no effect.
 *
 * Zero-length writes never match a fault.
 */
export type MemoryFileFault =
  | {
    op: "write";
    kind: "short";
    after?: number;
    path?: string;
    bytes?: number;
  }
  | {
    op: "write";
    kind: "error";
    code: "ENOSPC" | "EIO";
    after?: number;
    path?: string;
    partialBytes?: number;
  }
  | { op: "sync"; kind: "error"; code: "EIO"; after?: number; path?: string }
  | {
    op:
      | "open"
      | "remove"
      | "rename"
      | "link"
      | "syncDir"
      | "truncate"
      | "mkdir"
      | "listFiles";
    kind: "error";
    code: string;
    after?: number;
    path?: string;
  };

/**
 * The faults injected into one adapter and not fired yet. Faults are checked
 * in the order they were injected: on each operation the first matching
 * fault whose `after` count is used up fires; if none fires, the operation
 * succeeds and every matching fault's count goes down by one.
 */
export class FaultQueue {
  #faults: { fault: MemoryFileFault; remaining: number }[] = [];

  /** The number of faults that have not fired yet. */
  get pending(): number {
    return this.#faults.length;
  }

  /** Queues `fault`; a RangeError if its `after` is not a count. */
  inject(fault: MemoryFileFault): void {
    const after = fault.after ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new RangeError(`Invalid fault "after": ${after}`);
    }
    this.#faults.push({ fault: { ...fault }, remaining: after });
  }

  /** Removes every fault that has not fired yet. */
  clear(): void {
    this.#faults = [];
  }

  /** The fault that fires on operation `op` of normalized `path`, if any. */
  take(op: string, path: string): MemoryFileFault | undefined {
    const matching = this.#faults.filter(({ fault }) =>
      fault.op === op && (fault.path === undefined ||
        normalize(fault.path) === path)
    );
    const due = matching.find((entry) => entry.remaining === 0);
    if (due !== undefined) {
      this.#faults.splice(this.#faults.indexOf(due), 1);
      return due.fault;
    }
    for (const entry of matching) entry.remaining--;
    return undefined;
  }

  /** Throws the error of the fault that fires on `op` of `path`, if any. */
  throwIfDue(op: string, path: string): void {
    const fault = this.take(op, path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, op, path);
    }
  }
}
