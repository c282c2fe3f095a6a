import type { AdapterFile, FileAdapter } from "./file_adapter.ts";

/**
 * The file adapter for Deno: `Deno.open`, `FsFile.writeSync`/`readSync` after
 * a seek, and `FsFile.syncData`. Needs `--allow-read` and `--allow-write`.
 */
export const denoFileAdapter: FileAdapter = {
  mkdir(path) {
    Deno.mkdirSync(path, { recursive: true });
  },
  listFiles(dir) {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile) names.push(entry.name);
    }
    return names.sort();
  },
  open(path, { create, readOnly }) {
    const file = Deno.openSync(path, {
      read: true,
      write: !readOnly,
      createNew: create,
    });
    return new DenoFile(file);
  },
  rename(from, to) {
    Deno.renameSync(from, to);
  },
  link(existing, path) {
    Deno.linkSync(existing, path);
  },
  remove(path) {
    try {
      Deno.removeSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
  syncDir(dir) {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncDataSync();
    } finally {
      handle.close();
    }
  },
};

class DenoFile implements AdapterFile {
  #file: Deno.FsFile;
  #cursor = 0;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  #seek(offset: number): void {
    if (offset !== this.#cursor) {
      this.#file.seekSync(offset, Deno.SeekMode.Start);
      this.#cursor = offset;
    }
  }

  read(buffer: Uint8Array, offset: number): number {
    this.#seek(offset);
    const n = this.#file.readSync(buffer) ?? 0;
    this.#cursor += n;
    return n;
  }

  write(bytes: Uint8Array, offset: number): number {
    this.#seek(offset);
    const n = this.#file.writeSync(bytes);
    this.#cursor += n;
    return n;
  }

  truncate(length: number): void {
    this.#file.truncateSync(length);
  }

  size(): number {
    return this.#file.statSync().size;
  }

  syncData(): Promise<void> {
    return this.#file.syncData();
  }

  syncDataSync(): void {
    this.#file.syncDataSync();
  }

  close(): void {
    this.#file.close();
  }
}
