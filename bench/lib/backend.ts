/**
 * What the benchmarks need from the runtime they run in, besides the library
 * itself: the raw file floor, SQLite, and how to start a child process of the
 * same runtime. `deno_backend.ts` and `bun_backend.ts` implement it.
 *
 * @module
 */

/** A file opened for plain sequential appends: the raw floor. */
export interface RawFile {
  /** Writes all of `bytes` at the end with synchronous writes. */
  write(bytes: Uint8Array): void;
  /** `fdatasync`, blocking. */
  syncData(): void;
  /** Closes the file. */
  close(): void;
}

/** A file opened for plain sequential reads. */
export interface RawReader {
  /** Reads into `buffer` from where the last read ended; returns the bytes read, 0 at the end. */
  read(buffer: Uint8Array): number;
  /** Closes the file. */
  close(): void;
}

/** A prepared SQLite statement. */
export interface SqliteStatement {
  /** Runs the statement with positional parameters. */
  run(...params: (string | number | Uint8Array)[]): unknown;
}

/** An open SQLite database. */
export interface SqliteDatabase {
  /** Runs one or more SQL statements without parameters. */
  exec(sql: string): void;
  /** Prepares a statement. */
  prepare(sql: string): SqliteStatement;
  /** Closes the database. */
  close(): void;
}

/** The runtime's raw file I/O, SQLite and process spawning. */
export interface Backend {
  /** The runtime and its version, e.g. `Deno 2.9.6 (V8 ...)`. */
  runtime: string;
  /** The SQLite binding used, e.g. `node:sqlite DatabaseSync`. */
  sqliteBinding: string;
  /** The raw write call used for the floor, e.g. `Deno.FsFile.writeSync`. */
  rawWriteCall: string;
  /**
   * Creates a new file for appending, pre-sized (sparse) to `size` bytes as
   * the log pre-sizes its segments; writes start at offset 0.
   */
  createFile(path: string, size: number): RawFile;
  /** Opens an existing file for plain sequential reads. */
  openReader(path: string): RawReader;
  /** Opens (or creates) an SQLite database file. */
  openSqlite(path: string): SqliteDatabase;
  /** The command line that runs `script` with `args` in this runtime, all permissions and GC exposed. */
  scriptCommand(script: string, args: string[]): string[];
}
