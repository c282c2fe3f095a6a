import { DatabaseSync } from "node:sqlite";
import type { Backend, RawFile, RawReader, SqliteDatabase } from "./backend.ts";

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
  openReader(path: string): RawReader {
    const file = Deno.openSync(path, { read: true });
    return {
      read: (buffer) => file.readSync(buffer) ?? 0,
      close: () => file.close(),
    };
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
