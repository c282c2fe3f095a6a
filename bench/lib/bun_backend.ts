import * as fs from "node:fs";
import process from "node:process";
import type { Backend, RawFile, RawReader, SqliteDatabase } from "./backend.ts";

interface BunSqliteModule {
  Database: new (path: string) => SqliteDatabase;
}

// A computed specifier, so that `deno check` does not try to resolve `bun:`.
const sqliteSpecifier = ["bun", "sqlite"].join(":");

/**
 * Bun: `node:fs` `writeSync`/`fdatasyncSync`/`readSync` and `bun:sqlite`.
 * Only usable under Bun (it imports `bun:sqlite`).
 */
export async function bunBackend(): Promise<Backend> {
  const { Database } = await import(sqliteSpecifier) as BunSqliteModule;
  return {
    runtime: `Bun ${process.versions.bun} (JavaScriptCore)`,
    sqliteBinding: "bun:sqlite Database",
    rawWriteCall: "node:fs writeSync + fdatasyncSync",
    createFile(path: string, size: number): RawFile {
      const fd = fs.openSync(path, "wx");
      fs.ftruncateSync(fd, size);
      return {
        write(bytes) {
          let done = fs.writeSync(fd, bytes);
          while (done < bytes.length) {
            done += fs.writeSync(fd, bytes, done, bytes.length - done);
          }
        },
        syncData() {
          fs.fdatasyncSync(fd);
        },
        close() {
          fs.closeSync(fd);
        },
      };
    },
    openReader(path: string): RawReader {
      const fd = fs.openSync(path, "r");
      return {
        read: (buffer) => fs.readSync(fd, buffer, 0, buffer.length, null),
        close: () => fs.closeSync(fd),
      };
    },
    openSqlite(path: string): SqliteDatabase {
      return new Database(path);
    },
    scriptCommand(script: string, args: string[]): string[] {
      return [process.execPath, script, ...args];
    },
  };
}
