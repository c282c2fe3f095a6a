import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import {
  DiskLimitError,
  MemoryFileAdapter,
  MultiRecordLog,
  type OpenOptions,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { framedLength } from "../../src/format/frame_writer.ts";
import { appendRecordLength } from "../../src/format/record.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { walNumbers } from "../support/log_state.ts";
import { withTempDir } from "../support/temp_dir.ts";

const DIR = "/wal";
const SEGMENT = BLOCK_SIZE;
const quiet = { onWarning: () => {} };

function openMem(
  fs: MemoryFileAdapter,
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  return MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    segmentBytes: SEGMENT,
    ...quiet,
    ...options,
  });
}

/** The size of a payload for queue "q" whose append takes exactly `bytes` from `laidOut`. */
function payloadFilling(laidOut: number, bytes: number): number {
  for (let size = Math.max(0, bytes - 60); size <= bytes; size++) {
    if (framedLength(laidOut, appendRecordLength(1, 1, size)) === bytes) {
      return size;
    }
  }
  throw new Error(`no payload takes exactly ${bytes} bytes`);
}

describe("MultiRecordLog disk use", () => {
  it("reports the bytes the files occupy, not their apparent length (a sparse 128 MiB file holding 35 bytes)", async () => {
    await withTempDir(async (dir) => {
      await using log = await MultiRecordLog.open(dir, quiet);
      await log.createQueue("q");
      await log.appendRecord("q", undefined, new Uint8Array(3));
      await log.persist("fsync");
      const files = log.summary().files;
      assert.deepEqual(files, [{ number: 0, bytes: 128 * 1024 * 1024 }]);
      assert.equal(log.resourceUsage().diskUsedBytes, 4096);
      // What the file system says, give or take its allocation granularity.
      const stat = statSync(`${dir}/${segmentName(0)}`);
      assert.ok(
        stat.blocks * 512 <= 64 * 1024,
        `${stat.blocks} blocks of 512 bytes`,
      );
    });
  });

  it("follows rolls and garbage collection", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    let laidOut = 19; // the Touch record of createQueue
    for (let i = 0; i < 20; i++) {
      laidOut += (await log.appendRecord("q", undefined, new Uint8Array(5000)))
        .walBytesWritten;
      assert.equal(
        log.resourceUsage().diskUsedBytes,
        Math.ceil(laidOut / 4096) * 4096,
      );
    }
    const files = walNumbers(fs, DIR).length;
    assert.ok(files > 2);
    const { walBytesWritten } = await log.truncate("q", 19);
    laidOut += walBytesWritten;
    assert.deepEqual(walNumbers(fs, DIR), [files - 1]);
    assert.equal(
      log.resourceUsage().diskUsedBytes,
      Math.ceil(laidOut / 4096) * 4096 - (files - 1) * SEGMENT,
    );
    await log.close();
  });

  it("counts the newest file up to the block its data ends in after reopen, and to its data read-only", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("q");
    for (let i = 0; i < 8; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(5000));
    }
    const before = log.resourceUsage().diskUsedBytes;
    await log.close();
    const reader = await openMem(fs, { readOnly: true });
    assert.equal(reader.resourceUsage().diskUsedBytes, before);
    await reader.close();
    log = await openMem(fs);
    // Recovery zeroed the rest of the last block: file 0 full, file 1 to 32 KiB.
    assert.equal(log.resourceUsage().diskUsedBytes, SEGMENT + BLOCK_SIZE);
    assert.ok(before > SEGMENT && before < 2 * SEGMENT);
    await log.close();
  });
});

describe("MultiRecordLog disk limit", () => {
  it("refuses an append that would pass diskLimitBytes with DiskLimitError, writing nothing; one that reaches it exactly is accepted", async () => {
    const fs = new MemoryFileAdapter();
    const limit = 2 * SEGMENT;
    const log = await openMem(fs, { diskLimitBytes: limit });
    assert.equal(log.diskLimitBytes, limit);
    await log.createQueue("q");
    let laidOut = 19;
    for (let i = 0; i < 10; i++) {
      laidOut += (await log.appendRecord("q", undefined, new Uint8Array(5000)))
        .walBytesWritten;
    }
    const exact = payloadFilling(laidOut, limit - laidOut);
    await log.appendRecord("q", undefined, new Uint8Array(exact));
    assert.equal(log.resourceUsage().diskUsedBytes, limit);
    const written = fs.stats.bytesWritten;
    await assert.rejects(
      log.appendRecords("q", undefined, [new Uint8Array(0)]),
      (e: unknown) => {
        assert.ok(e instanceof DiskLimitError);
        assert.equal(e.name, "DiskLimitError");
        assert.equal(e.limitBytes, limit);
        assert.equal(e.diskBytes, limit + 4096);
        assert.match(e.message, /65536/);
        return true;
      },
    );
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    assert.equal(log.lastPosition("q"), 10);
    await log.close();
  });

  it("is lifted by a truncation that deletes files; control records are not limited", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, { diskLimitBytes: 2 * SEGMENT });
    await log.createQueue("q");
    let refused: unknown;
    for (let i = 0; refused === undefined; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(3000))
        .catch((e) => refused = e);
    }
    assert.ok(refused instanceof DiskLimitError);
    assert.ok(refused.diskBytes > 2 * SEGMENT);
    assert.ok(log.resourceUsage().diskUsedBytes <= 2 * SEGMENT);
    // Not limited: they free room.
    await log.createQueue("other");
    const last = log.lastPosition("q")!;
    await log.truncate("q", last - 1);
    assert.deepEqual(walNumbers(fs, DIR), [1]);
    const { lastPosition } = await log.appendRecord(
      "q",
      undefined,
      new Uint8Array(3000),
    );
    assert.equal(lastPosition, last + 1);
    await log.close();
  });

  it("counts the files already there on reopen", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("q");
    for (let i = 0; i < 14; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(5000));
    }
    await log.close();
    log = await openMem(fs, { diskLimitBytes: 3 * SEGMENT });
    await assert.rejects(
      log.appendRecord("q", undefined, new Uint8Array(2 * SEGMENT)),
      DiskLimitError,
    );
    await log.appendRecord("q", undefined, new Uint8Array(100));
    await log.close();
  });

  it("has no limit by default; refuses a limit that is not a number of at least two files", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    assert.equal(log.diskLimitBytes, Infinity);
    await log.close();
    for (const diskLimitBytes of [0, -1, NaN, "1", 2 * SEGMENT - 1]) {
      await assert.rejects(
        openMem(fs, { diskLimitBytes: diskLimitBytes as number }),
        (e: unknown) => {
          assert.ok(e instanceof RangeError);
          assert.match(e.message, /diskLimitBytes/);
          return true;
        },
      );
    }
  });
});
