/**
 * A file adapter whose fsyncs can be held, to see what arrives while an
 * fsync runs.
 *
 * @module
 */

import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";

/**
 * A file adapter wrapping another one, whose `syncData` calls can be held
 * until released, to see what arrives while an fsync runs.
 */
export class GatedFileAdapter implements FileAdapter {
  /** The wrapped adapter. */
  readonly inner: FileAdapter;
  /** `syncData` calls made so far (held or not). */
  syncDataCalls = 0;
  /** `syncData` calls waiting for {@linkcode GatedFileAdapter.release}. */
  waiting = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  /** Wraps `inner`. */
  constructor(inner: FileAdapter) {
    this.inner = inner;
  }

  /** Makes later `syncData` calls wait until {@linkcode GatedFileAdapter.release}. */
  hold(): void {
    this.#gate ??= new Promise((resolve) => this.#open = resolve);
  }

  /** Lets held `syncData` calls go on (and later ones run at once). */
  release(): void {
    this.#open?.();
    this.#gate = undefined;
    this.#open = undefined;
  }

  /** Delegates. */
  mkdir(path: string): void {
    this.inner.mkdir(path);
  }

  /** Delegates. */
  listFiles(dir: string): string[] {
    return this.inner.listFiles(dir);
  }

  /** Delegates, wrapping the file. */
  open(path: string, options: { create: boolean }): AdapterFile {
    const file = this.inner.open(path, options);
    return {
      read: (buffer, offset) => file.read(buffer, offset),
      write: (bytes, offset) => file.write(bytes, offset),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      syncDataSync: () => file.syncDataSync(),
      close: () => file.close(),
      syncData: async (): Promise<void> => {
        this.syncDataCalls++;
        const gate = this.#gate;
        if (gate) {
          this.waiting++;
          await gate;
          this.waiting--;
        }
        await file.syncData();
      },
    };
  }

  /** Delegates. */
  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }

  /** Delegates. */
  link(existing: string, path: string): void {
    this.inner.link(existing, path);
  }

  /** Delegates. */
  remove(path: string): void {
    this.inner.remove(path);
  }

  /** Delegates. */
  syncDir(dir: string): void {
    this.inner.syncDir(dir);
  }
}
