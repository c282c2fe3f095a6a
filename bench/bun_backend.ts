import * as fs from "node:fs";
import process from "node:process";
import type { Backend, RawFile, SqliteDatabase } from "./backend.ts";

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
    readFile(path: string, buffer: Uint8Array, limit: number): number {
      const fd = fs.openSync(path, "r");
      try {
        // A buffer that holds it all is filled; a smaller one is reused.
        const fill = buffer.length >= limit;
        let total = 0;
        while (total < limit) {
          const at = fill ? total : 0;
          const want = Math.min(buffer.length - at, limit - total);
          const n = fs.readSync(fd, buffer, at, want, null);
          if (n === 0) break;
          total += n;
        }
        return total;
      } finally {
        fs.closeSync(fd);
      }
    },
    openSqlite(path: string): SqliteDatabase {
      return new Database(path);
    },
    scriptCommand(script: string, args: string[]): string[] {
      return [process.execPath, script, ...args];
    },
  };
}
