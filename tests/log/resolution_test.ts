// With always/flush and 1,000 appends in flight, each append's promise
// resolves only after its own bytes were written to the log file. The log
// runs on the runtime's real file adapter, wrapped to record how far the log
// file was written; each append's end offset is known from the
// walBytesWritten of the appends laid out before it (appends are laid out in
// call order).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MultiRecordLog } from "../../mod.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

/** The real adapter, with `written()`: the highest end offset written to a log file. */
function recordingAdapter(): { adapter: FileAdapter; written: () => number } {
  const base = defaultFileAdapter();
  let written = 0;
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
  return { adapter, written: () => written };
}

test("always/flush, 1,000 in flight: no append resolves before its bytes were written", () =>
  withTempDir(async (dir) => {
    const appends = 20_000;
    const inFlight = 1000;
    const payload = randomBytes(256, 4);
    const { adapter, written } = recordingAdapter();
    await using log = await MultiRecordLog.open(dir, {
      fileAdapter: adapter,
      persistPolicy: { kind: "always", action: "flush" },
      // One file: offsets are then positions in the log.
      segmentBytes: 1024 * 1024 * 1024,
    });
    await log.createQueue("q");
    const start = written();
    const walBytes: number[] = new Array(appends);
    const writtenAtResolution: number[] = new Array(appends);
    let next = 0;
    let maxPending = 0;
    let pending = 0;
    const task = async () => {
      while (next < appends) {
        const i = next++;
        pending++;
        maxPending = Math.max(maxPending, pending);
        const outcome = await log.appendRecord("q", undefined, payload);
        pending--;
        writtenAtResolution[i] = written();
        walBytes[i] = outcome.walBytesWritten;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, task));
    assert.equal(maxPending, inFlight, "1,000 appends were in flight at once");
    let end = start;
    const early: number[] = [];
    for (let i = 0; i < appends; i++) {
      assert.ok(walBytes[i] > 256, `append ${i} wrote its record`);
      end += walBytes[i];
      if (writtenAtResolution[i] < end) early.push(i);
    }
    assert.deepEqual(
      early,
      [],
      "appends resolved before their bytes were written",
    );
    // The offsets are right: the appends' bytes are what the file grew by.
    assert.equal(written(), end);
    assert.equal(log.lastPosition("q"), appends - 1);
  }, "mrecordlog-resolution-"));
