import * as fs from "node:fs";
import type { AdapterFile, FileAdapter } from "./file_adapter.ts";

/**
 * The file adapter for Bun (and any runtime with `node:fs`): positional
 * `readSync`/`writeSync` and `fdatasync`. (Bun's own `Bun.file().writer()`
 * ignores `append`, so it is not used.)
 */
export const nodeFileAdapter: FileAdapter = {
  mkdir(path) {
    fs.mkdirSync(path, { recursive: true });
  },
  listFiles(dir) {
    return fs.readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  },
  open(path, { create, readOnly }) {
    return new NodeFile(
      fs.openSync(path, create ? "wx+" : readOnly ? "r" : "r+"),
    );
  },
  rename(from, to) {
    fs.renameSync(from, to);
  },
  link(existing, path) {
    fs.linkSync(existing, path);
  },
  remove(path) {
    fs.rmSync(path, { force: true });
  },
  syncDir(dir) {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

class NodeFile implements AdapterFile {
  #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
  }

  read(buffer: Uint8Array, offset: number): number {
    return fs.readSync(this.#fd, buffer, 0, buffer.length, offset);
  }

  write(bytes: Uint8Array, offset: number): number {
    return fs.writeSync(this.#fd, bytes, 0, bytes.length, offset);
  }

  truncate(length: number): void {
    fs.ftruncateSync(this.#fd, length);
  }

  size(): number {
    return fs.fstatSync(this.#fd).size;
  }

  syncData(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.#fd, (error) => error ? reject(error) : resolve());
    });
  }

  syncDataSync(): void {
    fs.fdatasyncSync(this.#fd);
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
