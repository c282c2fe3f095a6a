/**
 * One open file of the memory file adapter: positional reads and writes,
 * truncation and sync on an {@linkcode Inode}, with the injected faults of
 * its adapter firing on them.
 *
 * @module
 */

import type { AdapterFile } from "../storage/file_adapter.ts";
import type { MemoryFileFault } from "./memory_faults.ts";
import type { Inode } from "./memory_inode.ts";
import { checkOffset, systemError } from "./system_error.ts";

/** What an open file needs from its adapter. */
export interface FileHooks {
  /** Counts the operation; throws if the adapter has crashed. */
  begin(
    op: "write" | "sync" | "truncate" | "read",
    path: string,
    syscall: string,
  ): void;
  /** The fault that fires on this operation, if any. */
  takeFault(op: string, path: string): MemoryFileFault | undefined;
  /** Adds to the written-bytes counter. */
  countBytes(count: number): void;
}

/**
 * One open file of a memory file adapter. With `readOnly`, writes,
 * truncations and syncs fail with `EBADF`, as does any use after `close`.
 */
export class MemoryFile implements AdapterFile {
  #adapter: FileHooks;
  #path: string;
  #inode: Inode;
  #closed = false;
  #readOnly: boolean;

  /** A file of `inode` opened at normalized `path`. */
  constructor(
    adapter: FileHooks,
    path: string,
    inode: Inode,
    readOnly: boolean,
  ) {
    this.#adapter = adapter;
    this.#path = path;
    this.#inode = inode;
    this.#readOnly = readOnly;
  }

  /** Reads the current contents into `buffer` from `offset`. */
  read(buffer: Uint8Array, offset: number): number {
    this.#begin("read", "read");
    checkOffset(offset, "read", this.#path);
    return this.#inode.current.read(buffer, offset);
  }

  /** Writes at `offset`, unless an injected fault shortens or fails it. */
  write(bytes: Uint8Array, offset: number): number {
    this.#begin("write", "write");
    checkOffset(offset, "write", this.#path);
    if (bytes.length === 0) return 0;
    const fault = this.#adapter.takeFault("write", this.#path);
    if (fault === undefined) return this.#write(bytes, offset);
    if (fault.kind === "short") {
      const max = bytes.length >= 2 ? bytes.length - 1 : bytes.length;
      const count = clamp(fault.bytes ?? bytes.length >> 1, 1, max);
      return this.#write(bytes.subarray(0, count), offset);
    }
    if (fault.op === "write") {
      const partial = clamp(fault.partialBytes ?? 0, 0, bytes.length);
      if (partial > 0) this.#write(bytes.subarray(0, partial), offset);
    }
    throw systemError(fault.code, "write", this.#path);
  }

  /** Sets the length, unless an injected fault fails it. */
  truncate(length: number): void {
    this.#begin("truncate", "ftruncate");
    checkOffset(length, "ftruncate", this.#path);
    const fault = this.#adapter.takeFault("truncate", this.#path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, "ftruncate", this.#path);
    }
    this.#inode.truncate(length);
  }

  /** The current length. */
  size(): number {
    this.#begin("read", "fstat");
    return this.#inode.current.length;
  }

  /** {@linkcode MemoryFile.prototype.syncDataSync}, as a promise. */
  syncData(): Promise<void> {
    try {
      this.syncDataSync();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Makes the current contents durable, unless an injected fault fails it. */
  syncDataSync(): void {
    this.#begin("sync", "fdatasync");
    const fault = this.#adapter.takeFault("sync", this.#path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, "fdatasync", this.#path);
    }
    this.#inode.sync();
  }

  /** Closes the file; `EBADF` if it is already closed. */
  close(): void {
    if (this.#closed) throw systemError("EBADF", "close", this.#path);
    this.#closed = true;
  }

  #begin(
    op: "write" | "sync" | "truncate" | "read",
    syscall: string,
  ): void {
    if (this.#closed || (this.#readOnly && op !== "read")) {
      throw systemError("EBADF", syscall, this.#path);
    }
    this.#adapter.begin(op, this.#path, syscall);
  }

  #write(bytes: Uint8Array, offset: number): number {
    this.#inode.write(bytes.slice(), offset);
    this.#adapter.countBytes(bytes.length);
    return bytes.length;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}
