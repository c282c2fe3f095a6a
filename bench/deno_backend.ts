import { DatabaseSync } from "node:sqlite";
import type { Backend, RawFile, SqliteDatabase } from "./backend.ts";

/** Deno: `Deno.FsFile.writeSync`/`syncDataSync`/`readSync` and `node:sqlite`. */
export const denoBackend: Backend = {
  runtime: `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  sqliteBinding: "node:sqlite DatabaseSync",
  rawWriteCall: "Deno.FsFile.writeSync + syncDataSync",
  createFile(path: string, size: number): RawFile {
    const file = Deno.openSync(path, { write: true, createNew: true });
    file.truncateSync(size);
    return {
      write(bytes) {
        let done = file.writeSync(bytes);
        while (done < bytes.length) {
          done += file.writeSync(bytes.subarray(done));
        }
      },
      syncData() {
        file.syncDataSync();
      },
      close() {
        file.close();
      },
    };
  },
  readFile(path: string, buffer: Uint8Array, limit: number): number {
    using file = Deno.openSync(path, { read: true });
    // A buffer that holds it all is filled; a smaller one is reused.
    const fill = buffer.length >= limit;
    let total = 0;
    while (total < limit) {
      const at = fill ? total : 0;
      const want = Math.min(buffer.length - at, limit - total);
      const n = file.readSync(
        at === 0 && want === buffer.length
          ? buffer
          : buffer.subarray(at, at + want),
      );
      if (n === null || n === 0) break;
      total += n;
    }
    return total;
  },
  openSqlite(path: string): SqliteDatabase {
    return new DatabaseSync(path);
  },
  scriptCommand(script: string, args: string[]): string[] {
    return [
      Deno.execPath(),
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      script,
      ...args,
    ];
  },
};
