/**
 * An in-memory {@linkcode FileAdapter} for tests. It models a disk with a
 * page cache, so tests can simulate power loss with
 * {@linkcode MemoryFileAdapter.prototype.crash} and inject disk faults with
 * {@linkcode MemoryFileAdapter.prototype.injectFault}.
 *
 * @module
 */

import type { AdapterFile, FileAdapter } from "../storage/file_adapter.ts";
import { mulberry32 } from "./mulberry32.ts";

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

/** Options of {@linkcode MemoryFileAdapter.prototype.crash}. */
export interface MemoryFileAdapterCrashOptions {
  /** Seed of the PRNG choosing what survives in `"torn"` mode. Default 0. */
  seed?: number;
  /**
   * What happens to the writes and truncations made since a file's last sync:
   * `"drop"` loses them all, `"keep"` keeps them all, `"torn"` (default) keeps
   * a random subset, in order, where a kept write may survive only as a prefix.
   */
  mode?: "drop" | "keep" | "torn";
}

/**
 * Operation counters of a {@linkcode MemoryFileAdapter}. Calls are counted
 * whether they succeed or fail.
 */
export interface MemoryFileAdapterStats {
  /** `AdapterFile.write` calls. */
  writes: number;
  /** Bytes actually written by `AdapterFile.write`. */
  bytesWritten: number;
  /** `AdapterFile.syncData` and `syncDataSync` calls. */
  syncs: number;
  /** `FileAdapter.syncDir` calls. */
  syncDirs: number;
  /** `FileAdapter.open` calls. */
  opens: number;
  /** `FileAdapter.remove` calls. */
  removes: number;
  /** `FileAdapter.rename` calls. */
  renames: number;
  /** `FileAdapter.link` calls. */
  links: number;
  /** `AdapterFile.truncate` calls. */
  truncates: number;
}

/**
 * An in-memory file system for tests that simulates power loss and injects
 * disk faults.
 *
 * Durability works like a real disk with a page cache: each file has current
 * contents and durable contents; `syncData`/`syncDataSync` make a file's
 * current contents and length durable. Directory entries (creations,
 * removals, renames) become durable only with `syncDir` of their directory.
 * Directories themselves are durable as soon as `mkdir` returns. `syncData`
 * does its work when called (writes made while its promise is pending are
 * not covered) and its promise settles without delay. Paths are normalized
 * (`.`, `..`, repeated `/`); `""` and `"/"` always exist.
 *
 * @example
 * ```ts ignore
 * const fs = new MemoryFileAdapter();
 * fs.mkdir("/wal");
 * const file = fs.open("/wal/a", { create: true });
 * file.write(new Uint8Array([1, 2, 3]), 0);
 * await file.syncData();
 * fs.syncDir("/wal");
 * const after = fs.crash({ mode: "drop" });
 * after.readFileBytes("/wal/a"); // Uint8Array [1, 2, 3]
 * ```
 */
export class MemoryFileAdapter implements FileAdapter {
  #dirs: Set<string> = new Set(["", "/"]);
  #files: Map<string, Inode> = new Map();
  #durableFiles: Map<string, Inode> = new Map();
  #faults: { fault: MemoryFileFault; remaining: number }[] = [];
  #stats: MemoryFileAdapterStats = {
    writes: 0,
    bytesWritten: 0,
    syncs: 0,
    syncDirs: 0,
    opens: 0,
    removes: 0,
    renames: 0,
    links: 0,
    truncates: 0,
  };
  #crashed = false;
  #hooks: FileHooks = {
    begin: (op, path, syscall) => {
      if (op === "write") this.#stats.writes++;
      else if (op === "sync") this.#stats.syncs++;
      else if (op === "truncate") this.#stats.truncates++;
      this.#checkAlive(syscall, path);
    },
    takeFault: (op, path) => this.#takeFault(op, path),
    countBytes: (count) => {
      this.#stats.bytesWritten += count;
    },
  };

  /** A snapshot of the operation counters since this adapter was created. */
  get stats(): MemoryFileAdapterStats {
    return { ...this.#stats };
  }

  /** The number of injected faults that have not fired yet. */
  get pendingFaults(): number {
    return this.#faults.length;
  }

  /** Creates a directory and its parents if missing. */
  mkdir(path: string): void {
    this.#checkAlive("mkdir", path);
    const dir = normalize(path);
    this.#fault("mkdir", dir);
    this.#mkdir(dir, path);
  }

  #mkdir(dir: string, path: string): void {
    const parts = dir.split("/");
    let current = "";
    for (let i = 0; i < parts.length; i++) {
      current = i === 0 ? parts[0] : `${current}/${parts[i]}`;
      const name = current === "" && dir.startsWith("/") ? "/" : current;
      if (this.#files.has(name)) {
        throw systemError(name === dir ? "EEXIST" : "ENOTDIR", "mkdir", path);
      }
      this.#dirs.add(name);
    }
  }

  /** The names of the regular files directly in `dir`, sorted. */
  listFiles(dir: string): string[] {
    this.#checkAlive("scandir", dir);
    const normalized = normalize(dir);
    this.#fault("listFiles", normalized);
    this.#checkDir(normalized, "scandir", dir);
    const names: string[] = [];
    for (const path of this.#files.keys()) {
      if (parentOf(path) === normalized) names.push(baseName(path));
    }
    return names.sort();
  }

  /**
   * Opens a file for reading and writing. With `create`, fails with `EEXIST`
   * if the file exists; without it, fails with `ENOENT` if it is missing.
   * With `readOnly`, writes, truncations and syncs of the file fail with
   * `EBADF`.
   */
  open(
    path: string,
    options: { create: boolean; readOnly?: boolean },
  ): AdapterFile {
    this.#stats.opens++;
    this.#checkAlive("open", path);
    const normalized = normalize(path);
    this.#fault("open", normalized);
    if (this.#dirs.has(normalized)) throw systemError("EISDIR", "open", path);
    this.#checkDir(parentOf(normalized), "open", path);
    let inode = this.#files.get(normalized);
    if (options.create) {
      if (inode !== undefined) throw systemError("EEXIST", "open", path);
      inode = new Inode();
      this.#files.set(normalized, inode);
    } else if (inode === undefined) {
      throw systemError("ENOENT", "open", path);
    }
    return new MemoryFile(
      this.#hooks,
      normalized,
      inode,
      options.readOnly === true,
    );
  }

  /** Renames a file, replacing `to` if it exists. */
  rename(from: string, to: string): void {
    this.#stats.renames++;
    this.#checkAlive("rename", from);
    const source = normalize(from);
    const target = normalize(to);
    this.#fault("rename", source);
    const inode = this.#files.get(source);
    if (inode === undefined) {
      throw systemError(
        this.#dirs.has(source) ? "EISDIR" : "ENOENT",
        "rename",
        from,
      );
    }
    if (this.#dirs.has(target)) throw systemError("EISDIR", "rename", to);
    this.#checkDir(parentOf(target), "rename", to);
    if (source === target) return;
    this.#files.delete(source);
    this.#files.set(target, inode);
  }

  /** Gives the file `existing` a second name; `EEXIST` if `path` exists. */
  link(existing: string, path: string): void {
    this.#stats.links++;
    this.#checkAlive("link", existing);
    const source = normalize(existing);
    const target = normalize(path);
    this.#fault("link", source);
    const inode = this.#files.get(source);
    if (inode === undefined) throw systemError("ENOENT", "link", existing);
    if (this.#files.has(target) || this.#dirs.has(target)) {
      throw systemError("EEXIST", "link", path);
    }
    this.#checkDir(parentOf(target), "link", path);
    this.#files.set(target, inode);
  }

  /** Removes a file. Missing files are not an error. */
  remove(path: string): void {
    this.#stats.removes++;
    this.#checkAlive("unlink", path);
    const normalized = normalize(path);
    this.#fault("remove", normalized);
    if (this.#dirs.has(normalized)) throw systemError("EISDIR", "unlink", path);
    this.#files.delete(normalized);
  }

  /** Makes the entries (creations, removals, renames) of `dir` durable. */
  syncDir(dir: string): void {
    this.#stats.syncDirs++;
    this.#checkAlive("fsync", dir);
    const normalized = normalize(dir);
    this.#fault("syncDir", normalized);
    this.#checkDir(normalized, "fsync", dir);
    const paths = new Set([
      ...this.#files.keys(),
      ...this.#durableFiles.keys(),
    ]);
    for (const path of paths) {
      if (parentOf(path) !== normalized) continue;
      const inode = this.#files.get(path);
      if (inode === undefined) this.#durableFiles.delete(path);
      else this.#durableFiles.set(path, inode);
    }
  }

  /**
   * Queues a fault to fire on a later matching operation. Faults are checked
   * in the order they were injected: on each operation the first matching
   * fault whose `after` count is used up fires; if none fires, the operation
   * succeeds and every matching fault's count goes down by one.
   */
  injectFault(fault: MemoryFileFault): void {
    const after = fault.after ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new RangeError(`Invalid fault "after": ${after}`);
    }
    this.#faults.push({ fault: { ...fault }, remaining: after });
  }

  /** Removes every fault that has not fired yet. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** Whether a file or directory exists at `path` (current state). */
  pathExists(path: string): boolean {
    const normalized = normalize(path);
    return this.#files.has(normalized) || this.#dirs.has(normalized);
  }

  /** A copy of the current contents of a file. Throws `ENOENT` if missing. */
  readFileBytes(path: string): Uint8Array {
    return this.#inode(path, "readFile").current.toBytes();
  }

  /** The current length of a file. Throws `ENOENT` if missing. */
  fileSize(path: string): number {
    return this.#inode(path, "stat").current.length;
  }

  /**
   * Replaces the contents of a file, creating it (and its parent directories)
   * if missing, without counting operations or firing faults. Open files see
   * the new contents. With `durable` (the default), the contents and the
   * directory entry are durable at once; without it, they are like unsynced
   * writes to a file whose creation was not dir-synced.
   */
  writeFileBytes(
    path: string,
    bytes: Uint8Array,
    options: { durable?: boolean } = {},
  ): void {
    const normalized = normalize(path);
    if (this.#dirs.has(normalized)) {
      throw systemError("EISDIR", "writeFile", path);
    }
    this.#mkdir(parentOf(normalized), path);
    let inode = this.#files.get(normalized);
    if (inode === undefined) {
      inode = new Inode();
      this.#files.set(normalized, inode);
    }
    if (options.durable ?? true) {
      inode.current = Store.of(bytes);
      inode.durable = Store.of(bytes);
      inode.pending = [];
      this.#durableFiles.set(normalized, inode);
    } else {
      inode.truncate(0);
      inode.write(bytes.slice(), 0);
    }
  }

  /**
   * The disk after a power loss, as a new adapter (with no faults and zeroed
   * counters). Every file has its durable contents plus, depending on
   * `options.mode`, some of the writes and truncations made since its last
   * sync; directory entries are those as of each directory's last `syncDir`.
   * This adapter and the files opened through it then throw `EIO` when used
   * (except `close`, the inspection helpers, and `crash` itself, which may be
   * called again to explore other outcomes of the same power loss).
   */
  crash(options: MemoryFileAdapterCrashOptions = {}): MemoryFileAdapter {
    this.#crashed = true;
    const mode = options.mode ?? "torn";
    const random = mulberry32(options.seed ?? 0);
    const after = new MemoryFileAdapter();
    after.#dirs = new Set(this.#dirs);
    const survivors = new Map<Inode, Inode>();
    for (const path of [...this.#durableFiles.keys()].sort()) {
      const inode = this.#durableFiles.get(path)!;
      let survivor = survivors.get(inode);
      if (survivor === undefined) {
        survivor = inode.afterCrash(mode, random);
        survivors.set(inode, survivor);
      }
      after.#files.set(path, survivor);
      after.#durableFiles.set(path, survivor);
    }
    return after;
  }

  #takeFault(op: string, path: string): MemoryFileFault | undefined {
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

  #fault(op: string, path: string): void {
    const fault = this.#takeFault(op, path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, op, path);
    }
  }

  #checkAlive(syscall: string, path: string): void {
    if (this.#crashed) {
      throw systemError("EIO", syscall, path, "disk used after crash()");
    }
  }

  #checkDir(dir: string, syscall: string, path: string): void {
    if (this.#dirs.has(dir)) return;
    throw systemError(
      this.#files.has(dir) ? "ENOTDIR" : "ENOENT",
      syscall,
      path,
    );
  }

  #inode(path: string, syscall: string): Inode {
    const inode = this.#files.get(normalize(path));
    if (inode === undefined) {
      throw systemError(
        this.#dirs.has(normalize(path)) ? "EISDIR" : "ENOENT",
        syscall,
        path,
      );
    }
    return inode;
  }
}

/** What an open file needs from its adapter. */
interface FileHooks {
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

/** One open file of a {@linkcode MemoryFileAdapter}. */
class MemoryFile implements AdapterFile {
  #adapter: FileHooks;
  #path: string;
  #inode: Inode;
  #closed = false;
  #readOnly: boolean;

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

  read(buffer: Uint8Array, offset: number): number {
    this.#begin("read", "read");
    checkOffset(offset, "read", this.#path);
    return this.#inode.current.read(buffer, offset);
  }

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

  truncate(length: number): void {
    this.#begin("truncate", "ftruncate");
    checkOffset(length, "ftruncate", this.#path);
    const fault = this.#adapter.takeFault("truncate", this.#path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, "ftruncate", this.#path);
    }
    this.#inode.truncate(length);
  }

  size(): number {
    this.#begin("read", "fstat");
    return this.#inode.current.length;
  }

  syncData(): Promise<void> {
    try {
      this.syncDataSync();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  syncDataSync(): void {
    this.#begin("sync", "fdatasync");
    const fault = this.#adapter.takeFault("sync", this.#path);
    if (fault !== undefined && fault.kind === "error") {
      throw systemError(fault.code, "fdatasync", this.#path);
    }
    this.#inode.sync();
  }

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

/** A write or truncation not yet made durable. */
type PendingOp =
  | { kind: "write"; offset: number; bytes: Uint8Array }
  | { kind: "truncate"; length: number };

/** A file: its current contents, durable contents, and the ops in between. */
class Inode {
  current: Store = new Store();
  durable: Store = new Store();
  pending: PendingOp[] = [];

  /** Writes `bytes` (owned by the inode from now on) at `offset`. */
  write(bytes: Uint8Array, offset: number): void {
    this.current.write(bytes, offset);
    this.pending.push({ kind: "write", offset, bytes });
  }

  truncate(length: number): void {
    this.current.truncate(length);
    this.pending.push({ kind: "truncate", length });
  }

  /** Makes the current contents durable by replaying the pending ops. */
  sync(): void {
    for (const op of this.pending) apply(this.durable, op);
    this.pending = [];
  }

  /** A fresh inode with what survives a power loss. */
  afterCrash(mode: "drop" | "keep" | "torn", random: () => number): Inode {
    const store = this.durable.clone();
    for (const op of this.pending) {
      if (mode === "drop") break;
      if (mode === "keep") {
        apply(store, op);
      } else if (op.kind === "truncate") {
        if (random() < 0.5) apply(store, op);
      } else {
        const roll = random();
        if (roll < 1 / 3) continue;
        let length = op.bytes.length;
        if (roll >= 2 / 3 && length >= 2) {
          length = 1 + Math.floor(random() * (length - 1));
        }
        store.write(op.bytes.subarray(0, length), op.offset);
      }
    }
    const inode = new Inode();
    inode.current = store;
    inode.durable = store.clone();
    return inode;
  }
}

function apply(store: Store, op: PendingOp): void {
  if (op.kind === "write") store.write(op.bytes, op.offset);
  else store.truncate(op.length);
}

/**
 * File contents: a growable buffer plus a logical length. Bytes past the
 * allocated buffer (but within the length) are zeros, so extending a file
 * with `truncate` allocates nothing. Allocated bytes past the length are
 * always zero.
 */
class Store {
  data: Uint8Array = new Uint8Array(0);
  length = 0;

  static of(bytes: Uint8Array): Store {
    const store = new Store();
    store.data = bytes.slice();
    store.length = bytes.length;
    return store;
  }

  read(buffer: Uint8Array, offset: number): number {
    if (offset >= this.length) return 0;
    const count = Math.min(buffer.length, this.length - offset);
    const allocated = Math.max(
      0,
      Math.min(offset + count, this.data.length) - offset,
    );
    if (allocated > 0) {
      buffer.set(this.data.subarray(offset, offset + allocated));
    }
    buffer.fill(0, allocated, count);
    return count;
  }

  write(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    if (end > this.data.length) {
      const doubled = Math.max(end, this.data.length * 2, 4096);
      // Within the logical length, grow no further than it.
      const capacity = end <= this.length
        ? Math.max(end, Math.min(doubled, this.length))
        : doubled;
      const data = new Uint8Array(capacity);
      data.set(this.data.subarray(0, Math.min(this.length, this.data.length)));
      this.data = data;
    }
    this.data.set(bytes, offset);
    if (end > this.length) this.length = end;
  }

  truncate(length: number): void {
    if (length < this.length) {
      if (length === 0) this.data = new Uint8Array(0);
      else this.data.fill(0, length, Math.min(this.length, this.data.length));
    }
    this.length = length;
  }

  clone(): Store {
    const store = new Store();
    store.data = this.data.slice(0, Math.min(this.length, this.data.length));
    store.length = this.length;
    return store;
  }

  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.length);
    this.read(bytes, 0);
    return bytes;
  }
}

const DESCRIPTIONS: Record<string, string> = {
  EBADF: "bad file descriptor",
  EEXIST: "file already exists",
  EINVAL: "invalid argument",
  EIO: "i/o error",
  EISDIR: "illegal operation on a directory",
  ENOENT: "no such file or directory",
  ENOSPC: "no space left on device",
  ENOTDIR: "not a directory",
};

/** A Node-style system error: an `Error` with `code`, `syscall` and `path`. */
function systemError(
  code: string,
  syscall: string,
  path: string,
  description: string = DESCRIPTIONS[code] ?? "injected fault",
): Error {
  const error = new Error(`${code}: ${description}, ${syscall} '${path}'`);
  return Object.assign(error, { code, syscall, path });
}

function checkOffset(offset: number, syscall: string, path: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw systemError("EINVAL", syscall, path);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/** Resolves `.`, `..` and repeated slashes; keeps a leading `/`. */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const joined = parts.join("/");
  return path.startsWith("/") ? `/${joined}` : joined;
}

function parentOf(path: string): string {
  const index = path.lastIndexOf("/");
  if (index < 0) return "";
  if (index === 0) return "/";
  return path.slice(0, index);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
