/**
 * The small file-system interface the log is written against. The log only
 * needs positional reads and writes on a few files, `fdatasync`, and a few
 * directory operations; everything is synchronous except the data sync that
 * a commit waits for, so the event loop keeps accepting appends meanwhile.
 *
 * @module
 */

/** One open file. Offsets are absolute byte offsets. */
export interface AdapterFile {
  /**
   * Reads into `buffer` from `offset`; returns the number of bytes read, 0 at
   * the end of the file. May read fewer bytes than asked. With the log's
   * `hotBytes` option, records that left memory are read back this way, in
   * 1 MiB windows, through handles opened `readOnly`: a handle must see what
   * other handles of the file wrote, synced or not.
   */
  read(buffer: Uint8Array, offset: number): number;
  /**
   * Writes `bytes` at `offset`; returns the number of bytes written, which may
   * be fewer than asked. Throws on error (for example `ENOSPC`).
   */
  write(bytes: Uint8Array, offset: number): number;
  /** Sets the file length, extending with zeros or cutting. */
  truncate(length: number): void;
  /** The file length in bytes. */
  size(): number;
  /** `fdatasync`, off the event loop. */
  syncData(): Promise<void>;
  /** `fdatasync`, blocking. Used on rare paths (rolling to a new file). */
  syncDataSync(): void;
  /** Closes the file. */
  close(): void;
}

/** A file system as the log sees it. Paths are joined with `/`. */
export interface FileAdapter {
  /** Creates a directory and its parents if missing. */
  mkdir(path: string): void;
  /** The names of the regular files in a directory. */
  listFiles(dir: string): string[];
  /**
   * Opens a file for reading and writing. With `create`, the file must not
   * exist yet (it is created exclusively); without it, it must exist. With
   * `readOnly` (never with `create`), the file is opened for reading only.
   */
  open(
    path: string,
    options: { create: boolean; readOnly?: boolean },
  ): AdapterFile;
  /** Renames a file (replacing `to` if it exists). */
  rename(from: string, to: string): void;
  /**
   * Gives the file `existing` a second name, `path`; fails with `EEXIST` if
   * `path` exists (atomically: used to take the directory lock).
   */
  link(existing: string, path: string): void;
  /** Removes a file. Missing files are not an error. */
  remove(path: string): void;
  /** Makes the directory's entries (creations, deletions) durable. */
  syncDir(dir: string): void;
}

/** The `code` of a Node-style system error, if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * Writes all of `bytes` at `offset`, looping over short writes.
 *
 * @returns nothing; throws what the file's `write` throws.
 */
export function writeFully(
  file: AdapterFile,
  bytes: Uint8Array,
  offset: number,
): void {
  let done = 0;
  while (done < bytes.length) {
    const rest = done === 0 ? bytes : bytes.subarray(done);
    const n = file.write(rest, offset + done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/**
 * Fills `buffer` from `offset` as far as the file goes, looping over short
 * reads. Returns the number of bytes read (less than the buffer at the end).
 */
export function readFully(
  file: AdapterFile,
  buffer: Uint8Array,
  offset: number,
): number {
  let done = 0;
  while (done < buffer.length) {
    const n = file.read(buffer.subarray(done), offset + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
