// Disk faults injected through the memory file adapter: a short write is
// retried transparently; ENOSPC part way through a record and EIO on fsync
// fail the append and every one pending with it or behind it with
// LogFailedError, the log then refuses writes until it is reopened, and after
// reopening everything acknowledged before the fault is there.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type FileAdapter,
  LogFailedError,
  LogLockedError,
  MemoryFileAdapter,
  MultiRecordLog,
  type OpenOptions,
} from "../../mod.ts";
import { GatedFileAdapter } from "../support/gated_file_adapter.ts";
import { tick } from "../support/waiting.ts";
import { xorshiftFill } from "../support/random_bytes.ts";

const DIR = "/disk/wal";
const SEGMENT_BYTES = 65_536;

function payload(seed: number, size: number): Uint8Array {
  return xorshiftFill(new Uint8Array(size), (seed * 2654435761) | 1);
}

function options(fileAdapter: FileAdapter): OpenOptions {
  return {
    fileAdapter,
    segmentBytes: SEGMENT_BYTES,
    persistPolicy: { kind: "always", action: "fsync" },
    onWarning: () => {},
  };
}

/** queue -> position -> payload, of acknowledged appends. */
type Acked = Map<string, Map<number, Uint8Array>>;

/** Opens a log with two queues and some acknowledged records across files. */
async function logWithRecords(
  fileAdapter: FileAdapter,
): Promise<{ log: MultiRecordLog; acked: Acked }> {
  const log = await MultiRecordLog.open(DIR, options(fileAdapter));
  const acked: Acked = new Map();
  for (const queue of ["a", "b"]) {
    await log.createQueue(queue);
    acked.set(queue, new Map());
  }
  for (let i = 0; i < 12; i++) {
    const queue = i % 3 === 0 ? "b" : "a";
    const bytes = payload(i, i % 4 === 0 ? 20_000 : 300 + i * 50);
    const { lastPosition } = await log.appendRecord(queue, undefined, bytes);
    acked.get(queue)!.set(lastPosition!, bytes);
  }
  return { log, acked };
}

/**
 * Checks the log holds every acknowledged record, and that any other record
 * it holds is one of `maybe` (written by an append that failed).
 */
function assertHolds(
  log: MultiRecordLog,
  acked: Acked,
  maybe: Acked = new Map(),
): void {
  for (const [queue, records] of acked) {
    const got = new Map(
      [...log.range(queue)].map((r) => [r.position, r.payload]),
    );
    for (const [position, bytes] of records) {
      assert.deepEqual(got.get(position), bytes, `${queue}@${position}`);
    }
    for (const [position, bytes] of got) {
      if (records.has(position)) continue;
      assert.deepEqual(
        maybe.get(queue)?.get(position),
        bytes,
        `${queue}@${position} was never written`,
      );
    }
  }
}

/** Reopens the log on `fileAdapter`, applies {@linkcode assertHolds} to it, and closes it. */
async function assertReopenHolds(
  fileAdapter: FileAdapter,
  acked: Acked,
  maybe?: Acked,
): Promise<void> {
  const again = await MultiRecordLog.open(DIR, options(fileAdapter));
  assertHolds(again, acked, maybe);
  await again.close();
}

function isLogFailed(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LogFailedError, String(error));
    assert.equal(error.name, "LogFailedError");
    assert.equal((error.cause as { code?: string }).code, code);
    return true;
  };
}

/** Every writing entry point now rejects with LogFailedError, and nothing is written. */
async function assertRefusesWrites(
  log: MultiRecordLog,
  fs: MemoryFileAdapter,
  code: string,
): Promise<void> {
  const before = fs.stats;
  await assert.rejects(
    log.appendRecord("a", undefined, payload(99, 10)),
    isLogFailed(code),
  );
  await assert.rejects(
    log.appendRecords("b", undefined, [payload(98, 10)]),
    isLogFailed(code),
  );
  await assert.rejects(log.createQueue("c"), isLogFailed(code));
  await assert.rejects(log.deleteQueue("a"), isLogFailed(code));
  await assert.rejects(log.truncate("a", 0), isLogFailed(code));
  await assert.rejects(log.persist("fsync"), isLogFailed(code));
  await assert.rejects(log.persist("flush"), isLogFailed(code));
  const after = fs.stats;
  assert.equal(after.writes, before.writes);
  assert.equal(after.syncs, before.syncs);
  assert.equal(after.removes, before.removes);
  // Reads still work.
  assert.deepEqual(log.listQueues(), ["a", "b"]);
}

describe("short writes", () => {
  test("are retried transparently", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    for (const bytes of [1, 7, 100, undefined]) {
      fs.injectFault({ op: "write", kind: "short", bytes });
    }
    fs.injectFault({ op: "write", kind: "short", after: 3 });
    const writesBefore = fs.stats.writes;
    for (let i = 0; i < 6; i++) {
      const bytes = payload(100 + i, 5_000 * i);
      const { lastPosition } = await log.appendRecord("a", undefined, bytes);
      acked.get("a")!.set(lastPosition!, bytes);
    }
    assert.equal(fs.pendingFaults, 0);
    assert.ok(fs.stats.writes >= writesBefore + 6 + 5);
    assertHolds(log, acked);
    await log.close();
    const again = await MultiRecordLog.open(DIR, options(fs));
    assertHolds(again, acked);
    assert.equal(again.summary().recovery.corruptionCount, 0);
    await again.close();
  });
});

describe("ENOSPC part way through a record", () => {
  for (const partialBytes of [0, 5, 7, 4_000, 19_000]) {
    test(`after ${partialBytes} bytes: the batch fails, writes are refused, acknowledged records survive`, async () => {
      const fs = new MemoryFileAdapter();
      const { log, acked } = await logWithRecords(fs);
      fs.injectFault({
        op: "write",
        kind: "error",
        code: "ENOSPC",
        partialBytes,
      });
      // Three appends in one commit: the first (20 KB, several frames) is cut
      // by the fault; all three fail.
      const failing = [
        log.appendRecord("a", undefined, payload(200, 20_000)),
        log.appendRecord("b", undefined, payload(201, 100)),
        log.appendRecords("a", undefined, [payload(202, 10), payload(203, 0)]),
      ];
      for (const p of failing) await assert.rejects(p, isLogFailed("ENOSPC"));
      assert.equal(fs.pendingFaults, 0);
      // Not acknowledged, so not visible.
      assert.equal(log.lastPosition("a"), Math.max(...acked.get("a")!.keys()));
      assertHolds(log, acked);
      await assertRefusesWrites(log, fs, "ENOSPC");

      // The failed log still holds the directory in this process.
      await assert.rejects(
        MultiRecordLog.open(DIR, options(fs)),
        LogLockedError,
      );
      await log.close();
      const again = await MultiRecordLog.open(DIR, options(fs));
      // The cut record is dropped whole: exactly the acknowledged records.
      assertHolds(again, acked);
      for (const [queue, records] of acked) {
        assert.equal([...again.range(queue)].length, records.size);
      }
      // The reopened log takes appends again.
      const bytes = payload(300, 1_000);
      const { lastPosition } = await again.appendRecord("a", undefined, bytes);
      acked.get("a")!.set(lastPosition!, bytes);
      await again.close();
      await assertReopenHolds(fs, acked);
    });
  }

  test("the disk of a failed log that was never closed opens after a power loss", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    fs.injectFault({
      op: "write",
      kind: "error",
      code: "ENOSPC",
      partialBytes: 100,
    });
    await assert.rejects(
      log.appendRecord("a", undefined, payload(1, 5_000)),
      isLogFailed("ENOSPC"),
    );
    // The lock file is left behind by this process: not stale for this disk...
    await assert.rejects(MultiRecordLog.open(DIR, options(fs)), LogLockedError);
    // ...but after the power loss it names no live open log, and is taken over.
    for (const mode of ["keep", "drop", "torn"] as const) {
      const after = fs.crash({ mode });
      await assertReopenHolds(after, acked);
    }
  });
});

describe("EIO on fsync", () => {
  test("fails the commit and every append pending behind it", async () => {
    const fs = new MemoryFileAdapter();
    const disk = new GatedFileAdapter(fs);
    const { log, acked } = await logWithRecords(disk);
    const maybe: Acked = new Map([["a", new Map()], ["b", new Map()]]);
    const append = (queue: string, seed: number) => {
      const bytes = payload(seed, 700);
      const position = (log.lastPosition(queue) ?? -1) + 1 +
        maybe.get(queue)!.size;
      maybe.get(queue)!.set(position, bytes);
      return log.appendRecord(queue, undefined, bytes);
    };
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    disk.hold();
    // Two appends share a commit whose fsync is held...
    const first = [append("a", 1), append("b", 2)];
    await tick(5);
    // ...and two more wait behind it for the next one.
    const behind = [append("a", 3), append("a", 4)];
    disk.release();
    for (const p of [...first, ...behind]) {
      await assert.rejects(p, isLogFailed("EIO"));
    }
    assert.equal(fs.pendingFaults, 0);
    assertHolds(log, acked);
    await assertRefusesWrites(log, fs, "EIO");
    await log.close();

    // After a power loss the unsynced appends may be gone; without one they
    // may be there (they reached the page cache). Acknowledged ones are there.
    for (const mode of ["drop", "keep", "torn"] as const) {
      const after = fs.crash({ mode });
      await assertReopenHolds(after, acked, maybe);
    }
  });

  test("of a lone append fails it; reopening the same disk keeps what was acknowledged", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    const bytes = payload(5, 3_000);
    const position = (log.lastPosition("b") ?? -1) + 1;
    await assert.rejects(
      log.appendRecord("b", undefined, bytes),
      isLogFailed("EIO"),
    );
    await assertRefusesWrites(log, fs, "EIO");
    await log.close();
    await assertReopenHolds(
      fs,
      acked,
      new Map([["b", new Map([[position, bytes]])]]),
    );
  });

  test("while rolling to a new file fails the append", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    const fileCount = log.summary().files.length;
    // The next file boundary is crossed by a 70 KB record: the old file's
    // fsync before the roll fails.
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    await assert.rejects(
      log.appendRecord("a", undefined, payload(6, 70_000)),
      isLogFailed("EIO"),
    );
    await assertRefusesWrites(log, fs, "EIO");
    assert.ok(log.summary().files.length <= fileCount + 1);
    await log.close();
    const after = fs.crash({ mode: "drop" });
    await assertReopenHolds(after, acked);
  });
});

describe("other faults", () => {
  test("a failed file creation when rolling fails the append; acknowledged records survive", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    fs.injectFault({ op: "open", kind: "error", code: "ENOSPC" });
    await assert.rejects(
      log.appendRecord("a", undefined, payload(7, 70_000)),
      isLogFailed("ENOSPC"),
    );
    await assertRefusesWrites(log, fs, "ENOSPC");
    const closing = await log.close().then(() => "closed", (e) => String(e));
    // Closing released the directory...
    await assertReopenHolds(fs, acked);
    // ...and did not throw.
    assert.equal(closing, "closed");
  });

  test("a failed removal of a log file by garbage collection fails the truncate, not the data", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    const removesOnOpen = fs.stats.removes; // the lock's draft file
    for (let i = 0; i < 3; i++) {
      const bytes = payload(400 + i, 30_000);
      const { lastPosition } = await log.appendRecord("a", undefined, bytes);
      acked.get("a")!.set(lastPosition!, bytes);
    }
    assert.ok(log.summary().files.length >= 3);
    await log.truncate("b", Math.max(...acked.get("b")!.keys()));
    acked.get("b")!.clear();
    assert.equal(fs.stats.removes, removesOnOpen);
    fs.injectFault({ op: "remove", kind: "error", code: "EIO" });
    const upTo = Math.max(...acked.get("a")!.keys()) - 1;
    await assert.rejects(log.truncate("a", upTo), isLogFailed("EIO"));
    await assertRefusesWrites(log, fs, "EIO");
    await log.close();
    for (const [position] of acked.get("a")!) {
      if (position <= upTo) acked.get("a")!.delete(position);
    }
    const again = await MultiRecordLog.open(DIR, options(fs));
    // The truncation was written and fsynced before the removal failed.
    assertHolds(again, acked);
    assert.equal([...again.range("a")].length, 1);
    await again.close();
  });

  test("a fault while opening fails the open and leaves no lock behind", async () => {
    const fs = new MemoryFileAdapter();
    const { log, acked } = await logWithRecords(fs);
    await log.close();
    const faults = [
      { op: "listFiles", kind: "error", code: "EIO" },
      {
        op: "open",
        kind: "error",
        code: "EMFILE",
        path: `${DIR}/wal-00000000000000000001`,
      },
      { op: "truncate", kind: "error", code: "ENOSPC" },
      { op: "sync", kind: "error", code: "EIO" },
    ] as const;
    for (const fault of faults) {
      fs.injectFault(fault);
      await assert.rejects(
        MultiRecordLog.open(DIR, options(fs)),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.notEqual(error.name, "LogLockedError");
          return true;
        },
        fault.op,
      );
      assert.equal(fs.pendingFaults, 0, fault.op);
      await assertReopenHolds(fs, acked);
    }
  });
});
