/**
 * A file adapter that discards what the log writes: files are created,
 * sized, listed and removed as usual, but `write` and `fdatasync` do
 * nothing. With it the library's figure is its JavaScript alone, without
 * the system calls: the bound of what removing them could give.
 *
 * @module
 */

import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";

/** The runtime's file adapter with writes and fsyncs made no-ops. */
export function discardingFileAdapter(): FileAdapter {
  const real = defaultFileAdapter();
  return {
    mkdir: (path) => real.mkdir(path),
    listFiles: (dir) => real.listFiles(dir),
    rename: (from, to) => real.rename(from, to),
    link: (existing, path) => real.link(existing, path),
    remove: (path) => real.remove(path),
    syncDir: () => {},
    open(path, options): AdapterFile {
      const file = real.open(path, options);
      return {
        read: (buffer, offset) => file.read(buffer, offset),
        write: (bytes) => bytes.length,
        truncate: (length) => file.truncate(length),
        size: () => file.size(),
        syncData: () => Promise.resolve(),
        syncDataSync: () => {},
        close: () => file.close(),
      };
    },
  };
}
