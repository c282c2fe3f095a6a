/**
 * A file system in memory, for tests: give a {@linkcode MemoryFileAdapter}
 * to `MultiRecordLog.open` (option `fileAdapter`) to test code that uses the
 * log without touching the disk, to simulate a power loss at any point
 * ({@linkcode MemoryFileAdapter.prototype.crash}), and to inject disk faults
 * such as a full disk or a failed fsync
 * ({@linkcode MemoryFileAdapter.prototype.injectFault}). Not meant for
 * production: nothing is ever written to disk.
 *
 * @module
 */

import type { AdapterFile, FileAdapter } from "../storage/file_adapter.ts";
import { FaultQueue, type MemoryFileFault } from "./memory_faults.ts";
import { type FileHooks, MemoryFile } from "./memory_file.ts";
import { Inode } from "./memory_inode.ts";
import { Store } from "./memory_store.ts";
import { baseName, normalize, parentOf } from "./memory_paths.ts";
import { mulberry32 } from "./mulberry32.ts";
import { systemError } from "./system_error.ts";

export type { MemoryFileFault } from "./memory_faults.ts";

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
 * An in-memory file system for tests: it simulates power loss
 * ({@linkcode MemoryFileAdapter.prototype.crash}) and injects disk faults
 * ({@linkcode MemoryFileAdapter.prototype.injectFault}), so a test can check
 * what a log (or code built on it) gives back after either. Nothing is
 * written to disk; do not use it to store data.
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
 * @example A log that loses power after an unsynced append
 * ```ts ignore
 * const fs = new MemoryFileAdapter();
 * const log = await MultiRecordLog.open("/wal", { fileAdapter: fs });
 * await log.createQueue("q");
 * await log.appendRecord("q", undefined, new Uint8Array([1]));
 * const reopened = await MultiRecordLog.open("/wal", {
 *   fileAdapter: fs.crash({ mode: "torn", seed: 1 }),
 * });
 * ```
 *
 * @example The adapter on its own
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
  #faults: FaultQueue = new FaultQueue();
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
    takeFault: (op, path) => this.#faults.take(op, path),
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
    return this.#faults.pending;
  }

  /** Creates a directory and its parents if missing. */
  mkdir(path: string): void {
    this.#checkAlive("mkdir", path);
    const dir = normalize(path);
    this.#faults.throwIfDue("mkdir", dir);
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
    this.#faults.throwIfDue("listFiles", normalized);
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
    this.#faults.throwIfDue("open", normalized);
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
    this.#faults.throwIfDue("rename", source);
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
    this.#faults.throwIfDue("link", source);
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
    this.#faults.throwIfDue("remove", normalized);
    if (this.#dirs.has(normalized)) throw systemError("EISDIR", "unlink", path);
    this.#files.delete(normalized);
  }

  /** Makes the entries (creations, removals, renames) of `dir` durable. */
  syncDir(dir: string): void {
    this.#stats.syncDirs++;
    this.#checkAlive("fsync", dir);
    const normalized = normalize(dir);
    this.#faults.throwIfDue("syncDir", normalized);
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
    this.#faults.inject(fault);
  }

  /** Removes every fault that has not fired yet. */
  clearFaults(): void {
    this.#faults.clear();
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
