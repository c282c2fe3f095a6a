/**
 * Checks, untimed, the second half of the 1,000-in-flight target of issue 4:
 * with `always/flush` and 1,000 appends in flight, each append's promise
 * resolves only after its own bytes were written. The log runs on the
 * runtime's real file adapter wrapped to record how far the log file was
 * written; each append's end offset is known from the `walBytesWritten` of
 * the appends laid out before it (appends are laid out in call order).
 *
 * @module
 */

import { MultiRecordLog } from "../../mod.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { randomPayloads } from "../../bench/contenders.ts";

/** What {@linkcode checkResolutionOrder} found. */
export interface ResolutionCheck {
  /** Appends checked. */
  appends: number;
  /** Appends that resolved before all their bytes were written. */
  early: number;
}

/**
 * Appends `appends` records of `recordBytes` from `inFlight` concurrent
 * tasks with `always/flush` and counts the appends whose promise resolved
 * before the log file had been written up to the append's last byte.
 */
export async function checkResolutionOrder(
  tmpRoot: string,
  appends = 20_000,
  inFlight = 1000,
  recordBytes = 256,
): Promise<ResolutionCheck> {
  const base = defaultFileAdapter();
  let written = 0; // highest end offset written to the log file
  const adapter: FileAdapter = {
    mkdir: (path) => base.mkdir(path),
    listFiles: (dir) => base.listFiles(dir),
    rename: (from, to) => base.rename(from, to),
    link: (existing, path) => base.link(existing, path),
    remove: (path) => base.remove(path),
    syncDir: (dir) => base.syncDir(dir),
    open(path, options): AdapterFile {
      const file = base.open(path, options);
      const isLog = /\/wal-\d{20}$/.test(path);
      return {
        read: (buffer, offset) => file.read(buffer, offset),
        write(bytes, offset) {
          const n = file.write(bytes, offset);
          if (isLog && offset + n > written) written = offset + n;
          return n;
        },
        truncate: (length) => file.truncate(length),
        size: () => file.size(),
        syncData: () => file.syncData(),
        syncDataSync: () => file.syncDataSync(),
        close: () => file.close(),
      };
    },
  };
  const dir = mkdtempSync(`${tmpRoot}/mrecordlog-check-`);
  try {
    await using log = await MultiRecordLog.open(dir, {
      fileAdapter: adapter,
      persistPolicy: { kind: "always", action: "flush" },
      // One file: offsets are then positions in the log.
      segmentBytes: 1024 * 1024 * 1024,
    });
    await log.createQueue("q");
    const start = written;
    const payload = randomPayloads(1, recordBytes);
    const walBytes: number[] = new Array(appends);
    const writtenAtResolution: number[] = new Array(appends);
    let next = 0;
    const task = async () => {
      while (next < appends) {
        const i = next++;
        const outcome = await log.appendRecord("q", undefined, payload[0]);
        writtenAtResolution[i] = written;
        walBytes[i] = outcome.walBytesWritten;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, task));
    let end = start;
    let early = 0;
    for (let i = 0; i < appends; i++) {
      end += walBytes[i];
      if (writtenAtResolution[i] < end) early++;
    }
    return { appends, early };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
