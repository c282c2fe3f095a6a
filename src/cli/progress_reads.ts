/**
 * Progress of reading a log's files: a file adapter that counts the bytes
 * read through it, and how many bytes of data there are to read.
 *
 * @module
 */

import { statSync } from "node:fs";
import type { FileAdapter } from "../storage/file_adapter.ts";
import { countingReads as countingFileReads } from "../storage/counting_reads.ts";
import { listSegmentNumbers, segmentName } from "../storage/segment_file.ts";

/**
 * `adapter`, with every read of a file opened through it reported to
 * `onRead` (the bytes read). Everything else is passed through.
 */
export function countingReads(
  adapter: FileAdapter,
  onRead: (bytes: number) => void,
): FileAdapter {
  return {
    mkdir: (path) => adapter.mkdir(path),
    listFiles: (dir) => adapter.listFiles(dir),
    open: (path, options) =>
      countingFileReads(adapter.open(path, options), onRead),
    rename: (from, to) => adapter.rename(from, to),
    link: (existing, path) => adapter.link(existing, path),
    remove: (path) => adapter.remove(path),
    syncDir: (dir) => adapter.syncDir(dir),
  };
}

/**
 * About how many bytes of data the log files of `dir` hold: each file's
 * bytes allocated on disk, at most its length. Log files are sparse (a new
 * one is 128 MiB of zeros that take no room), and reading the log stops
 * after its data, so this is about what opening it reads. Where the file
 * system does not say, the files' lengths.
 */
export function logDataBytes(adapter: FileAdapter, dir: string): number {
  let total = 0;
  for (const number of listSegmentNumbers(adapter, dir)) {
    try {
      const stat = statSync(`${dir}/${segmentName(number)}`);
      const allocated = Number.isFinite(stat.blocks)
        ? stat.blocks * 512
        : stat.size;
      total += Math.min(stat.size, allocated);
    } catch {
      // Removed meanwhile (a writer's garbage collection): nothing to read.
    }
  }
  return total;
}
