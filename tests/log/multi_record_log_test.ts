import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  CorruptionError,
  LogClosedError,
  LogFailedError,
  MemoryFileAdapter,
  MemoryLimitError,
  MissingQueueError,
  MultiRecordLog,
  type OpenOptions,
  PositionInPastError,
  QueueAlreadyExistsError,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { GatedFileAdapter } from "../support/gated_file_adapter.ts";
import { LogBuilder, writeLogFiles } from "../support/log_bytes.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { readLog } from "../support/read_log.ts";
import { stateOf, walNumbers } from "../support/log_state.ts";
import { text, utf8 } from "../support/bytes.ts";
import { waitFor } from "../support/waiting.ts";
import { withTempDir } from "../support/temp_dir.ts";

const DIR = "/wal";
const quiet = { onWarning: () => {} };

/** Opens a log on `fs` (a fresh memory file system by default). */
function openMem(
  fs = new MemoryFileAdapter(),
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  return MultiRecordLog.open(DIR, { fileAdapter: fs, ...quiet, ...options });
}

/** Opens a log on `fs` with queue "q" holding `payloads` (UTF-8) from position 0. */
async function openWithQueue(
  fs: MemoryFileAdapter,
  ...payloads: string[]
): Promise<MultiRecordLog> {
  const log = await openMem(fs);
  await log.createQueue("q");
  await log.appendRecords("q", undefined, payloads.map((p) => utf8(p)));
  return log;
}

/** Closes `log` and opens the same directory again. */
async function reopen(
  log: MultiRecordLog,
  fs: MemoryFileAdapter,
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  await log.close();
  return await openMem(fs, options);
}

/** The queue summaries without `droppedOnOpen` (which is about the open, not the state). */
function queueSummaries(log: MultiRecordLog): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, q] of Object.entries(log.summary().queues)) {
    out[name] = {
      start: q.start,
      end: q.end,
      recordCount: q.recordCount,
      payloadBytes: q.payloadBytes,
    };
  }
  return out;
}

/** Appends `payload` (UTF-8) at the next position of `queue`; returns the position it got. */
async function appendText(
  log: MultiRecordLog,
  queue: string,
  payload: string,
): Promise<number | undefined> {
  return (await log.appendRecord(queue, undefined, utf8(payload))).lastPosition;
}

/** Bytes of an AppendRecords of `payloads` to a queue named with `nameBytes` bytes, in one frame. */
function appendBytes(nameBytes: number, ...payloads: number[]): number {
  return 7 + 11 + nameBytes + payloads.reduce((n, p) => n + 12 + p, 0);
}

describe("MultiRecordLog queues", () => {
  it("creates, lists (sorted), checks and deletes queues", async () => {
    const log = await openMem();
    assert.deepEqual(log.listQueues(), []);
    assert.deepEqual(await log.createQueue("b"), {
      walBytesWritten: 7 + 11 + 1,
    });
    await log.createQueue("a");
    await log.createQueue("B");
    await log.createQueue("é");
    assert.deepEqual(log.listQueues(), ["B", "a", "b", "é"]);
    assert.equal(log.queueExists("a"), true);
    assert.equal(log.queueExists("c"), false);
    const { walBytesWritten } = await log.deleteQueue("a");
    assert.ok(walBytesWritten >= 7 + 11 + 1);
    assert.equal(log.queueExists("a"), false);
    assert.deepEqual(log.listQueues(), ["B", "b", "é"]);
    assert.deepEqual(Object.keys(log.summary().queues), ["B", "b", "é"]);
    await log.close();
  });

  it("lists queues in code-point order (the Rust crate's BTreeMap order), not UTF-16 order", async () => {
    const log = await openMem();
    await log.createQueue("\u{1F600}"); // U+1F600, UTF-16 D83D DE00
    await log.createQueue("\uFFFF");
    await log.createQueue("\uE000");
    const expected = ["\uE000", "\uFFFF", "\u{1F600}"];
    assert.deepEqual(log.listQueues(), expected);
    assert.deepEqual(Object.keys(log.summary().queues), expected);
    await log.close();
  });

  it("raises QueueAlreadyExistsError and MissingQueueError before writing anything", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    const written = fs.stats.bytesWritten;
    await assert.rejects(log.createQueue("q"), (e: unknown) => {
      assert.ok(e instanceof QueueAlreadyExistsError);
      assert.equal(e.name, "QueueAlreadyExistsError");
      assert.equal(e.queue, "q");
      return true;
    });
    const missing = (e: unknown) => {
      assert.ok(e instanceof MissingQueueError);
      assert.equal(e.name, "MissingQueueError");
      assert.equal(e.queue, "nope");
      return true;
    };
    await assert.rejects(log.deleteQueue("nope"), missing);
    await assert.rejects(
      log.appendRecord("nope", undefined, utf8("x")),
      missing,
    );
    await assert.rejects(log.appendRecords("nope", 3, []), missing);
    await assert.rejects(log.truncate("nope", 0), missing);
    assert.throws(() => log.range("nope"), missing);
    assert.throws(() => log.lastPosition("nope"), missing);
    assert.throws(() => log.lastRecord("nope"), missing);
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    await log.close();
  });

  it("restarts positions at 0 when a deleted queue is created again", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("phoenix");
    await log.appendRecords("phoenix", undefined, [utf8("a"), utf8("b")]);
    await log.deleteQueue("phoenix");
    await log.createQueue("phoenix");
    assert.equal(log.lastPosition("phoenix"), undefined);
    assert.deepEqual(
      await log.appendRecord("phoenix", undefined, utf8("new")),
      {
        lastPosition: 0,
        walBytesWritten: appendBytes(7, 3),
      },
    );
    log = await reopen(log, fs);
    assert.deepEqual(
      [...log.range("phoenix")].map((r) => [r.position, text(r.payload)]),
      [[0, "new"]],
    );
    await log.close();
  });
});

describe("MultiRecordLog appends and position rules", () => {
  it("appends at the next position and reports the last position and bytes written", async () => {
    const log = await openMem();
    await log.createQueue("q");
    assert.equal(log.lastPosition("q"), undefined);
    assert.equal(log.lastRecord("q"), undefined);
    assert.deepEqual(await log.appendRecord("q", undefined, utf8("abc")), {
      lastPosition: 0,
      walBytesWritten: appendBytes(1, 3),
    });
    assert.deepEqual(
      await log.appendRecords("q", undefined, [
        utf8("d"),
        new Uint8Array(0),
        utf8("ef"),
      ]),
      { lastPosition: 3, walBytesWritten: appendBytes(1, 1, 0, 2) },
    );
    assert.equal(log.lastPosition("q"), 3);
    const last = log.lastRecord("q")!;
    assert.equal(last.position, 3);
    assert.equal(text(last.payload), "ef");
    assert.deepEqual(
      [...log.range("q")].map((r) => [r.position, text(r.payload)]),
      [[0, "abc"], [1, "d"], [2, ""], [3, "ef"]],
    );
    assert.deepEqual(
      [...log.range("q", { from: 1, to: 2 })].map((r) => r.position),
      [1, 2],
    );
    assert.deepEqual([...log.range("q", { from: 3 })].map((r) => r.position), [
      3,
    ]);
    assert.deepEqual([...log.range("q", { to: 0 })].map((r) => r.position), [
      0,
    ]);
    assert.deepEqual([...log.range("q", { from: 4 })], []);
    await log.close();
  });

  it("appends at an explicit position equal to the next position", async () => {
    const log = await openMem();
    await log.createQueue("q");
    assert.equal((await log.appendRecord("q", 0, utf8("a"))).lastPosition, 0);
    assert.equal((await log.appendRecord("q", 1, utf8("b"))).lastPosition, 1);
    await log.close();
  });

  it("treats a retry of the last record as a no-op reporting no position and 0 bytes", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openWithQueue(fs, "a", "b");
    const written = fs.stats.bytesWritten;
    assert.deepEqual(await log.appendRecord("q", 1, utf8("b again")), {
      lastPosition: undefined,
      walBytesWritten: 0,
    });
    // A batch ending at the last position: only `position + 1 === next` counts.
    assert.deepEqual(await log.appendRecords("q", 1, [utf8("x"), utf8("y")]), {
      lastPosition: undefined,
      walBytesWritten: 0,
    });
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    assert.deepEqual([...log.range("q")].map((r) => text(r.payload)), [
      "a",
      "b",
    ]);
    assert.equal(log.lastPosition("q"), 1);
    await log.close();
  });

  it("raises PositionInPastError for a position further in the past, writing nothing", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openWithQueue(fs, "a", "b", "c");
    const written = fs.stats.bytesWritten;
    for (const position of [0, 1]) {
      await assert.rejects(
        log.appendRecord("q", position, utf8("x")),
        (e: unknown) => {
          assert.ok(e instanceof PositionInPastError);
          assert.equal(e.name, "PositionInPastError");
          assert.equal(e.queue, "q");
          assert.equal(e.position, position);
          assert.equal(e.nextPosition, 3);
          return true;
        },
      );
    }
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    assert.equal(log.lastPosition("q"), 2);
    await log.close();
  });

  it("accepts a position ahead of the next one, leaving a gap", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("0"));
    assert.equal(
      (await log.appendRecords("q", 10, [utf8("10"), utf8("11")])).lastPosition,
      11,
    );
    assert.equal(await appendText(log, "q", "12"), 12);
    const expected = [[0, "0"], [10, "10"], [11, "11"], [12, "12"]];
    assert.deepEqual(
      [...log.range("q")].map((r) => [r.position, text(r.payload)]),
      expected,
    );
    assert.deepEqual(
      [...log.range("q", { from: 1, to: 10 })].map((r) => r.position),
      [10],
    );
    log = await reopen(log, fs);
    assert.deepEqual(
      [...log.range("q")].map((r) => [r.position, text(r.payload)]),
      expected,
    );
    await log.close();
  });

  it("starts an empty queue at the position of its first record", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("late");
    assert.equal(
      (await log.appendRecord("late", 42, utf8("x"))).lastPosition,
      42,
    );
    assert.equal(log.summary().queues.late.start, 42);
    assert.equal(await appendText(log, "late", "y"), 43);
    log = await reopen(log, fs);
    assert.deepEqual([...log.range("late")].map((r) => r.position), [42, 43]);
    assert.equal(log.summary().queues.late.start, 42);
    await log.close();
  });

  it("handles empty batches: no-op, but position checks come first", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openWithQueue(fs, "a", "b", "c");
    const written = fs.stats.bytesWritten;
    const noop = { lastPosition: undefined, walBytesWritten: 0 };
    assert.deepEqual(await log.appendRecords("q", undefined, []), noop);
    assert.deepEqual(await log.appendRecords("q", 3, []), noop);
    assert.deepEqual(await log.appendRecords("q", 2, []), noop);
    assert.deepEqual(await log.appendRecords("q", 100, []), noop);
    await assert.rejects(log.appendRecords("q", 1, []), PositionInPastError);
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    // The empty batch at 100 left no gap.
    assert.equal(await appendText(log, "q", "d"), 3);
    await log.close();
  });

  it("counts the padding an append writes first in walBytesWritten", async () => {
    for (
      const [left, expected] of [[3, 3 + appendBytes(1, 1)], [
        7,
        7 + appendBytes(1, 1),
      ]]
    ) {
      const fs = new MemoryFileAdapter();
      const log = await openMem(fs);
      const create = (await log.createQueue("q")).walBytesWritten;
      const filler = BLOCK_SIZE - left - create - appendBytes(1, 0);
      await log.appendRecord("q", undefined, new Uint8Array(filler));
      assert.equal(
        (await log.appendRecord("q", undefined, utf8("x"))).walBytesWritten,
        expected,
        `${left} bytes left`,
      );
      await log.close();
    }
  });

  it("reports in walBytesWritten exactly the bytes added to the log", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    let total = 0;
    total += (await log.createQueue("a")).walBytesWritten;
    total += (await log.createQueue("bb")).walBytesWritten;
    for (let i = 0; i < 60; i++) {
      const q = i % 3 === 0 ? "a" : "bb";
      const payloads = [
        randomBytes((i * 997) % 3000, i),
        randomBytes(i, i + 1),
      ];
      total +=
        (await log.appendRecords(q, undefined, payloads)).walBytesWritten;
    }
    total +=
      (await log.appendRecords("a", 1000, [utf8("gap")])).walBytesWritten;
    total += (await log.truncate("a", 5)).walBytesWritten;
    total += (await log.truncate("a", 5)).walBytesWritten;
    total += (await log.deleteQueue("bb")).walBytesWritten;
    total += (await log.createQueue("bb")).walBytesWritten;
    total += (await log.appendRecords("bb", 0, [])).walBytesWritten;
    await log.close();
    const { end } = readLog([fs.readFileBytes(`${DIR}/${segmentName(0)}`)]);
    assert.equal(end?.zeroHeader, true);
    assert.equal(total, end?.offset);
  });
});

describe("MultiRecordLog truncate", () => {
  it("drops records up to the position and reports how many", async () => {
    const log = await openMem();
    await log.createQueue("q");
    await log.appendRecords(
      "q",
      undefined,
      Array.from({ length: 10 }, (_, i) => utf8(`${i}`)),
    );
    const outcome = await log.truncate("q", 3);
    assert.equal(outcome.evictedRecords, 4);
    assert.equal(outcome.walBytesWritten, 7 + 11 + 1);
    assert.deepEqual([...log.range("q")].map((r) => r.position), [
      4,
      5,
      6,
      7,
      8,
      9,
    ]);
    assert.equal(log.summary().queues.q.start, 4);
    // Already covered: nothing evicted, but the Truncate record is still written.
    assert.deepEqual(await log.truncate("q", 2), {
      evictedRecords: 0,
      walBytesWritten: 19,
    });
    assert.equal(log.lastPosition("q"), 9);
    await log.close();
  });

  it("moves the next position when truncating beyond the end", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("q");
    await log.createQueue("never");
    await log.appendRecords("q", undefined, [utf8("a"), utf8("b")]);
    assert.equal((await log.truncate("q", 100)).evictedRecords, 2);
    assert.equal(log.lastPosition("q"), 100);
    assert.equal(log.lastRecord("q"), undefined);
    assert.deepEqual([...log.range("q")], []);
    await log.truncate("never", 4);
    assert.equal(log.lastPosition("never"), 4);
    log = await reopen(log, fs);
    assert.equal(log.lastPosition("q"), 100);
    assert.equal(log.lastPosition("never"), 4);
    assert.equal(await appendText(log, "q", "c"), 101);
    assert.equal(await appendText(log, "never", "c"), 5);
    await log.close();
  });

  it("keeps the last position after truncating everything", async () => {
    const log = await openWithQueue(new MemoryFileAdapter(), "a", "b");
    assert.equal((await log.truncate("q", 1)).evictedRecords, 2);
    assert.equal(log.lastPosition("q"), 1);
    assert.equal(log.lastRecord("q"), undefined);
    assert.deepEqual(log.summary().queues.q, {
      start: 2,
      end: 1,
      firstFileNumber: undefined,
      recordCount: 0,
      payloadBytes: 0,
      droppedOnOpen: 0,
    });
    await log.close();
  });
});

describe("MultiRecordLog concurrency", () => {
  it("gives concurrent appends positions in call order", async () => {
    const log = await openMem();
    await log.createQueue("a");
    await log.createQueue("b");
    const calls: Promise<{ lastPosition: number | undefined }>[] = [];
    for (let i = 0; i < 30; i++) {
      calls.push(log.appendRecord(i % 2 ? "a" : "b", undefined, utf8(`${i}`)));
      if (i % 10 === 9) {
        calls.push(log.appendRecords("a", undefined, [utf8("x"), utf8("y")]));
      }
    }
    const outcomes = await Promise.all(calls);
    let a = -1;
    let b = -1;
    let k = 0;
    for (let i = 0; i < 30; i++) {
      const expected = i % 2 ? ++a : ++b;
      assert.equal(outcomes[k++].lastPosition, expected);
      if (i % 10 === 9) {
        a += 2;
        assert.equal(outcomes[k++].lastPosition, a);
      }
    }
    assert.deepEqual([...log.range("b")].map((r) => text(r.payload)), [
      "0",
      "2",
      "4",
      "6",
      "8",
      "10",
      "12",
      "14",
      "16",
      "18",
      "20",
      "22",
      "24",
      "26",
      "28",
    ]);
    await log.close();
  });

  it("shows a record to range, lastPosition and lastRecord only once it is written", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open(DIR, { fileAdapter: fs });
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("first"));
    // The first append of a turn is written at once (always/flush): visible.
    const writes = fs.stats.writes;
    const written = log.appendRecord("q", undefined, utf8("second"));
    assert.equal(fs.stats.writes, writes + 1);
    assert.equal(log.lastPosition("q"), 1);
    // The next one of the same turn waits for the commit: hidden until then.
    const pending = log.appendRecord("q", undefined, utf8("third"));
    assert.equal(fs.stats.writes, writes + 1);
    assert.equal(log.lastPosition("q"), 1);
    assert.equal(text(log.lastRecord("q")!.payload), "second");
    assert.deepEqual([...log.range("q")].map((r) => r.position), [0, 1]);
    assert.equal(log.summary().queues.q.end, 1);
    assert.equal((await written).lastPosition, 1);
    assert.equal((await pending).lastPosition, 2);
    assert.equal(fs.stats.writes, writes + 2);
    assert.equal(log.lastPosition("q"), 2);
    assert.deepEqual([...log.range("q")].map((r) => r.position), [0, 1, 2]);
    await log.close();
  });

  it("keeps records hidden while their fsync runs (always/fsync)", async () => {
    const fs = new MemoryFileAdapter();
    const gated = new GatedFileAdapter(fs);
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: gated,
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    gated.hold();
    const pending = [
      log.appendRecord("q", undefined, utf8("a")),
      log.appendRecord("q", undefined, utf8("b")),
    ];
    assert.ok(await waitFor(() => gated.waiting > 0));
    assert.equal(log.lastPosition("q"), undefined);
    assert.deepEqual([...log.range("q")], []);
    gated.release();
    await Promise.all(pending);
    assert.equal(log.lastPosition("q"), 1);
    await log.close();
  });

  it("shares one fsync among many concurrent appends (group commit)", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, {
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    const syncs = fs.stats.syncs;
    const calls = [];
    for (let i = 0; i < 200; i++) {
      calls.push(log.appendRecord("q", undefined, utf8(`${i}`)));
    }
    await Promise.all(calls);
    assert.ok(fs.stats.syncs - syncs <= 2, `${fs.stats.syncs - syncs} fsyncs`);
    assert.ok(fs.stats.syncs - syncs >= 1);
    assert.equal(log.lastPosition("q"), 199);
    await log.close();
  });
});

describe("MultiRecordLog reopen", () => {
  it("gives the same state after every kind of operation", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    const steps: [string, () => Promise<unknown>][] = [
      ["create", () => log.createQueue("a")],
      ["create another", () => log.createQueue("b")],
      [
        "append",
        () =>
          log.appendRecords("a", undefined, [
            utf8("a0"),
            utf8("a1"),
            utf8("a2"),
          ]),
      ],
      ["append explicit", () => log.appendRecord("a", 3, utf8("a3"))],
      ["append with a gap", () => log.appendRecord("b", 7, utf8("b7"))],
      ["retry", () => log.appendRecord("b", 7, utf8("b7"))],
      ["truncate", () => log.truncate("a", 1)],
      ["truncate covered", () => log.truncate("a", 0)],
      ["truncate beyond end", () => log.truncate("b", 20)],
      ["append after", () => log.appendRecord("b", undefined, utf8("b21"))],
      ["delete", () => log.deleteQueue("a")],
      ["recreate", () => log.createQueue("a")],
      ["append recreated", () => log.appendRecord("a", undefined, utf8("new"))],
      ["create empty", () => log.createQueue("empty")],
    ];
    for (const [label, step] of steps) {
      await step();
      const state = stateOf(log);
      const summaries = queueSummaries(log);
      log = await reopen(log, fs);
      assert.deepEqual(stateOf(log), state, label);
      assert.deepEqual(queueSummaries(log), summaries, label);
    }
    assert.deepEqual(stateOf(log), {
      a: { last: 0, records: [[0, "6e6577"]] },
      b: { last: 21, records: [[21, "623231"]] },
      empty: { last: undefined, records: [] },
    });
    await log.close();
  });

  it("keeps the data written after reopening with a smaller segmentBytes", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs, { segmentBytes: 8 * BLOCK_SIZE });
    await log.createQueue("q");
    for (let i = 0; i < 5; i++) {
      await log.appendRecord("q", undefined, randomBytes(20_000, i));
    }
    log = await reopen(log, fs, { segmentBytes: 2 * BLOCK_SIZE });
    assert.equal(log.lastPosition("q"), 4);
    await log.appendRecord("q", undefined, utf8("after"));
    const state = stateOf(log);
    log = await reopen(log, fs, { segmentBytes: 2 * BLOCK_SIZE });
    assert.deepEqual(stateOf(log), state);
    assert.deepEqual(log.summary().recovery.detachedFiles, []);
    await log.close();
  });

  it("keeps a queue whose next position reached 2^53 through garbage collection", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs, { segmentBytes: 2 * BLOCK_SIZE });
    const max = Number.MAX_SAFE_INTEGER;
    await log.createQueue("top");
    await log.createQueue("filler");
    await log.appendRecord("top", max, utf8("last"));
    await log.truncate("top", max);
    for (let i = 0; i < 8; i++) {
      await log.appendRecord("filler", undefined, new Uint8Array(20_000));
    }
    await log.truncate("filler", 7); // every file but the newest goes
    assert.equal(log.lastPosition("top"), max);
    log = await reopen(log, fs, { segmentBytes: 2 * BLOCK_SIZE });
    assert.deepEqual(log.listQueues(), ["filler", "top"]);
    assert.equal(log.lastPosition("top"), max);
    await log.close();
  });

  it("holds the same records with prefaultChunks true or false", async () => {
    // Enough per queue (3 MB) for chunks of the full 256 KiB.
    const states: unknown[] = [];
    for (const prefaultChunks of [true, false]) {
      const fs = new MemoryFileAdapter();
      let log = await openMem(fs, { prefaultChunks });
      await log.createQueue("q");
      for (let i = 0; i < 300; i++) {
        await log.appendRecord("q", undefined, randomBytes(10_000, i));
      }
      const state = stateOf(log);
      const usage = log.resourceUsage();
      log = await reopen(log, fs, { prefaultChunks: !prefaultChunks });
      assert.deepEqual(stateOf(log), state);
      // On disk, the newest file now reaches to the block recovery zeroed.
      const { diskUsedBytes, ...memory } = log.resourceUsage();
      assert.deepEqual(
        { ...memory, diskUsedBytes: usage.diskUsedBytes },
        usage,
      );
      assert.ok(diskUsedBytes >= usage.diskUsedBytes);
      assert.ok(diskUsedBytes < usage.diskUsedBytes + BLOCK_SIZE);
      states.push(state);
      await log.close();
    }
    assert.deepEqual(states[0], states[1]);
  });
});

describe("MultiRecordLog garbage collection", () => {
  it("deletes old files once everything is truncated; empty queues survive reopen", async () => {
    await withTempDir(async (dir) => {
      const options = { segmentBytes: 2 * BLOCK_SIZE, ...quiet };
      let log = await MultiRecordLog.open(dir, options);
      await log.createQueue("idle");
      await log.createQueue("moved");
      await log.truncate("moved", 1000);
      await log.createQueue("data");
      for (let i = 0; i < 40; i++) {
        await log.appendRecord("data", undefined, randomBytes(4096, i));
      }
      const before = walFiles(dir);
      assert.ok(before.length >= 3, `files ${before}`);
      assert.equal(log.summary().queues.data.firstFileNumber, 0);
      const outcome = await log.truncate("data", 39);
      assert.equal(outcome.evictedRecords, 40);
      // The Truncate record plus a Touch for each of the three empty queues.
      assert.ok(
        outcome.walBytesWritten >= 19 + 22 + 23 + 22,
        `${outcome.walBytesWritten}`,
      );
      const after = walFiles(dir);
      assert.equal(after.length, 1, `files ${after}`);
      assert.deepEqual(
        log.summary().files.map((f) => segmentName(f.number)),
        after,
      );
      await log.close();
      log = await MultiRecordLog.open(dir, options);
      assert.deepEqual(log.listQueues(), ["data", "idle", "moved"]);
      assert.equal(log.lastPosition("idle"), undefined);
      assert.equal(log.lastPosition("moved"), 1000);
      assert.equal(log.lastPosition("data"), 39);
      assert.deepEqual([...log.range("data")], []);
      assert.equal(await appendText(log, "data", "x"), 40);
      assert.equal(await appendText(log, "moved", "x"), 1001);
      assert.equal(await appendText(log, "idle", "x"), 0);
      await log.close();
    });
  });

  it("keeps the files that hold records still in memory", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, { segmentBytes: 2 * BLOCK_SIZE });
    await log.createQueue("keep");
    await log.createQueue("churn");
    await log.appendRecord("keep", undefined, utf8("old"));
    for (let i = 0; i < 20; i++) {
      await log.appendRecord("churn", undefined, new Uint8Array(10_000));
      await log.truncate("churn", i);
    }
    assert.equal(walNumbers(fs, DIR)[0], 0);
    await log.truncate("keep", 0);
    assert.ok(walNumbers(fs, DIR).length <= 2, `${walNumbers(fs, DIR)}`);
    assert.ok(!walNumbers(fs, DIR).includes(0));
    await log.close();
  });

  it("deletes files after deleteQueue too", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs, { segmentBytes: 2 * BLOCK_SIZE });
    await log.createQueue("big");
    await log.createQueue("small");
    for (let i = 0; i < 10; i++) {
      await log.appendRecord("big", undefined, new Uint8Array(20_000));
    }
    assert.ok(walNumbers(fs, DIR).length >= 3);
    await log.deleteQueue("big");
    assert.equal(walNumbers(fs, DIR).length, 1);
    log = await reopen(log, fs, { segmentBytes: 2 * BLOCK_SIZE });
    assert.deepEqual(log.listQueues(), ["small"]);
    await log.close();
  });
});

/** The `wal-` files of a real directory, sorted. */
function walFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^wal-\d{20}$/.test(n)).sort();
}

describe("MultiRecordLog summary and resource usage", () => {
  it("summarizes queues, files and recovery", async () => {
    const log = await openMem(new MemoryFileAdapter(), {
      segmentBytes: 2 * BLOCK_SIZE,
    });
    await log.createQueue("b");
    await log.createQueue("a");
    await log.appendRecords("a", 5, [utf8("xy"), utf8("z")]);
    const summary = log.summary();
    assert.deepEqual(Object.keys(summary.queues), ["a", "b"]);
    assert.deepEqual(summary.queues.a, {
      start: 5,
      end: 6,
      firstFileNumber: 0,
      recordCount: 2,
      payloadBytes: 3,
      droppedOnOpen: 0,
    });
    assert.deepEqual(summary.queues.b, {
      start: 0,
      end: undefined,
      firstFileNumber: undefined,
      recordCount: 0,
      payloadBytes: 0,
      droppedOnOpen: 0,
    });
    assert.deepEqual(summary.files, [{ number: 0, bytes: 2 * BLOCK_SIZE }]);
    assert.deepEqual(summary.recovery, {
      filesRead: 0,
      corruptions: [],
      corruptionCount: 0,
      droppedRecords: {},
      detachedFiles: [],
    });
    summary.recovery.corruptionCount = 99; // a copy
    assert.equal(log.summary().recovery.corruptionCount, 0);
    await log.close();
  });

  it("reports memory close to the retained payload bytes, and less after truncation", async () => {
    const log = await openMem(new MemoryFileAdapter(), {
      segmentBytes: 16 * BLOCK_SIZE,
    });
    await log.createQueue("q");
    await log.createQueue("r");
    let payload = 0;
    for (let i = 0; i < 500; i++) {
      const size = 100 + (i * 37) % 900;
      payload += size;
      await log.appendRecords(i % 2 ? "q" : "r", undefined, [
        randomBytes(size, i),
      ]);
    }
    const usage = log.resourceUsage();
    assert.ok(
      Math.abs(usage.memoryUsedBytes - payload) <= payload * 0.1 + 32 * 500,
      `${usage.memoryUsedBytes} vs ${payload}`,
    );
    assert.ok(usage.memoryAllocatedBytes >= payload);
    assert.equal(log.retainedBytes, payload);
    // Bytes on disk: the files are full but the newest (sparse past its data).
    const files = log.summary().files;
    const full = files.slice(0, -1).reduce((n, f) => n + f.bytes, 0);
    assert.ok(usage.diskUsedBytes > full);
    assert.ok(usage.diskUsedBytes <= full + files.at(-1)!.bytes);
    await log.truncate("q", 100);
    const less = log.resourceUsage();
    assert.ok(less.memoryUsedBytes < usage.memoryUsedBytes);
    assert.ok(log.retainedBytes < payload);
    await log.truncate("q", 1000);
    await log.truncate("r", 1000);
    const none = log.resourceUsage();
    assert.equal(none.memoryUsedBytes, 0);
    assert.ok(none.memoryAllocatedBytes < usage.memoryAllocatedBytes);
    assert.equal(log.retainedBytes, 0);
    await log.close();
  });

  it("calls onChange listeners after appends, truncations, deletions and close", async () => {
    const log = await openMem();
    await log.createQueue("q");
    let calls = 0;
    const stop = log.onChange(() => calls++);
    await log.appendRecord("q", undefined, utf8("a"));
    assert.equal(calls, 1);
    await log.truncate("q", 0);
    assert.equal(calls, 2);
    await log.deleteQueue("q");
    assert.equal(calls, 3);
    stop();
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("a"));
    assert.equal(calls, 3);
    let closed = 0;
    log.onChange(() => closed++);
    await log.close();
    assert.equal(closed, 1);
  });

  it("a listener that throws fails no change: the others run, the error goes to onWarning", async () => {
    const warnings: string[] = [];
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, { onWarning: (m) => warnings.push(m) });
    await log.createQueue("q");
    log.onChange(() => {
      throw new Error("listener bug");
    });
    let calls = 0;
    log.onChange(() => calls++);
    // Written at once, then appended through a commit, then truncated.
    const first = log.appendRecord("q", undefined, utf8("a"));
    const second = log.appendRecord("q", undefined, utf8("b"));
    const outcomes = await Promise.all([first, second]);
    assert.deepEqual(outcomes.map((o) => o.lastPosition), [0, 1]);
    assert.equal((await log.truncate("q", 0)).evictedRecords, 1);
    assert.equal(calls, 3);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0], /onChange listener threw: Error: listener bug/);
    await log.close();
    const reopened = await openMem(fs);
    assert.equal(reopened.lastPosition("q"), 1);
    await reopened.close();
  });
});

describe("MultiRecordLog close", () => {
  it("raises LogClosedError from every method after close", async () => {
    const log = await openMem();
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("a"));
    await log.close();
    assert.equal(log.closed, true);
    await log.close(); // twice is fine
    const closed = (e: unknown) =>
      e instanceof LogClosedError && e.name === "LogClosedError";
    await assert.rejects(log.createQueue("r"), closed);
    await assert.rejects(log.deleteQueue("q"), closed);
    await assert.rejects(log.appendRecord("q", undefined, utf8("b")), closed);
    await assert.rejects(log.appendRecords("q", undefined, []), closed);
    await assert.rejects(log.truncate("q", 0), closed);
    await assert.rejects(log.persist("flush"), closed);
    assert.throws(() => log.range("q"), closed);
    assert.throws(() => log.lastPosition("q"), closed);
    assert.throws(() => log.lastRecord("q"), closed);
    assert.throws(() => log.summary(), closed);
    assert.throws(() => log.resourceUsage(), closed);
  });

  it("raises LogClosedError from queueExists and listQueues after close", async () => {
    const log = await openMem();
    await log.createQueue("q");
    await log.close();
    assert.throws(() => log.queueExists("q"), LogClosedError);
    assert.throws(() => log.listQueues(), LogClosedError);
  });

  it("persists and closes with await using", async () => {
    const fs = new MemoryFileAdapter();
    let outer: MultiRecordLog;
    {
      await using log = await openMem(fs, {
        persistPolicy: { kind: "doNothing" },
      });
      outer = log;
      await log.createQueue("q");
      await log.appendRecord("q", undefined, utf8("kept"));
    }
    assert.equal(outer.closed, true);
    const after = await openMem(fs.crash({ mode: "drop" }));
    assert.deepEqual([...after.range("q")].map((r) => text(r.payload)), [
      "kept",
    ]);
    await after.close();
  });

  it("waits for pending appends on close", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    const pending = log.appendRecord("q", undefined, utf8("a"));
    await log.close();
    assert.equal((await pending).lastPosition, 0);
    const again = await openMem(fs);
    assert.equal(again.lastPosition("q"), 0);
    await again.close();
  });
});

describe("MultiRecordLog persist policies", () => {
  /** Appends one record under `policy`, then simulates a power loss; returns what survived. */
  async function survivesPowerLoss(
    policy: OpenOptions["persistPolicy"],
    before?: (log: MultiRecordLog, fs: MemoryFileAdapter) => Promise<void>,
  ): Promise<number> {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, { persistPolicy: policy });
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("record"));
    await before?.(log, fs);
    const after = await openMem(fs.crash({ mode: "drop" }));
    assert.ok(after.queueExists("q"), "create always fsyncs");
    const count = [...after.range("q")].length;
    await after.close();
    return count;
  }

  it("always/fsync: an append is durable once it resolves", async () => {
    assert.equal(
      await survivesPowerLoss({ kind: "always", action: "fsync" }),
      1,
    );
  });

  it("always/flush: an append is written but not fsynced", async () => {
    assert.equal(
      await survivesPowerLoss({ kind: "always", action: "flush" }),
      0,
    );
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, {
      persistPolicy: { kind: "always", action: "flush" },
    });
    await log.createQueue("q");
    const syncs = fs.stats.syncs;
    await log.appendRecord("q", undefined, utf8("record"));
    assert.equal(fs.stats.syncs, syncs);
    const kept = await openMem(fs.crash({ mode: "keep" }));
    assert.equal(kept.lastPosition("q"), 0);
    await kept.close();
  });

  it("doNothing: only persist('fsync') and close() make appends durable", async () => {
    assert.equal(await survivesPowerLoss({ kind: "doNothing" }), 0);
    assert.equal(
      await survivesPowerLoss(
        { kind: "doNothing" },
        (log) => log.persist("fsync"),
      ),
      1,
    );
    assert.equal(
      await survivesPowerLoss(
        { kind: "doNothing" },
        (log) => log.persist("flush"),
      ),
      0,
    );
  });

  it("onDelay/fsync: an fsync follows within the interval", async () => {
    const survived = await survivesPowerLoss(
      { kind: "onDelay", intervalMs: 5, action: "fsync" },
      async (_log, fs) => {
        const syncs = fs.stats.syncs;
        assert.ok(await waitFor(() => fs.stats.syncs > syncs));
      },
    );
    assert.equal(survived, 1);
  });

  it("onDelay/flush: appends resolve once written", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, {
      persistPolicy: { kind: "onDelay", intervalMs: 5, action: "flush" },
    });
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("a"));
    const kept = await openMem(fs.crash({ mode: "keep" }));
    assert.equal(kept.lastPosition("q"), 0);
    await kept.close();
  });

  it("every policy reopens with the same state", async () => {
    const policies: OpenOptions["persistPolicy"][] = [
      { kind: "always", action: "fsync" },
      { kind: "always", action: "flush" },
      { kind: "onDelay", intervalMs: 1, action: "fsync" },
      { kind: "onDelay", intervalMs: 1, action: "flush" },
      { kind: "doNothing" },
    ];
    for (const persistPolicy of policies) {
      const fs = new MemoryFileAdapter();
      let log = await openMem(fs, { persistPolicy });
      await log.createQueue("q");
      await log.appendRecords("q", undefined, [utf8("a"), utf8("b")]);
      await log.truncate("q", 0);
      const state = stateOf(log);
      log = await reopen(log, fs, { persistPolicy });
      assert.deepEqual(stateOf(log), state, persistPolicy?.kind);
      await log.close();
    }
  });
});

describe("MultiRecordLog memory limit", () => {
  it("raises MemoryLimitError past memoryLimitBytes, writing nothing, until truncation frees room", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, { memoryLimitBytes: 1000 });
    assert.equal(log.memoryLimitBytes, 1000);
    await log.createQueue("q");
    await log.appendRecord("q", undefined, new Uint8Array(600));
    const written = fs.stats.bytesWritten;
    await assert.rejects(
      log.appendRecords("q", undefined, [
        new Uint8Array(300),
        new Uint8Array(200),
      ]),
      (e: unknown) => {
        assert.ok(e instanceof MemoryLimitError);
        assert.equal(e.name, "MemoryLimitError");
        assert.equal(e.limitBytes, 1000);
        return true;
      },
    );
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    assert.equal(log.lastPosition("q"), 0);
    await log.appendRecord("q", undefined, new Uint8Array(400)); // exactly at the limit
    await log.truncate("q", 0);
    assert.equal(log.retainedBytes, 400);
    assert.equal(
      (await log.appendRecord("q", undefined, new Uint8Array(600)))
        .lastPosition,
      2,
    );
    await log.close();
  });

  it("has no limit by default", async () => {
    const log = await openMem();
    assert.equal(log.memoryLimitBytes, Infinity);
    await log.close();
  });
});

describe("MultiRecordLog failures", () => {
  it("rejects the failed append and every later write with LogFailedError; reads still work", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs, {
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("durable"));
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    const failing = [
      log.appendRecord("q", undefined, utf8("lost 1")),
      log.appendRecord("q", undefined, utf8("lost 2")),
    ];
    for (const result of await Promise.allSettled(failing)) {
      assert.equal(result.status, "rejected");
      assert.ok(
        (result as PromiseRejectedResult).reason instanceof LogFailedError,
      );
    }
    await assert.rejects(
      log.appendRecord("q", undefined, utf8("later")),
      LogFailedError,
    );
    await assert.rejects(log.createQueue("r"), LogFailedError);
    await assert.rejects(log.truncate("q", 0), LogFailedError);
    await assert.rejects(log.persist("flush"), LogFailedError);
    assert.deepEqual([...log.range("q")].map((r) => text(r.payload)), [
      "durable",
    ]);
    assert.equal(log.lastPosition("q"), 0);
    await log.close();
    // What was fsynced survives a power loss (the failed appends' bytes may or may not).
    const again = await openMem(fs.crash({ mode: "drop" }));
    assert.equal(text([...again.range("q")][0].payload), "durable");
    await again.close();
  });
});

describe("MultiRecordLog open of damaged or inconsistent logs", () => {
  it("opens a log where a queue gets records below its next position (#51), reporting them", async () => {
    const fs = new MemoryFileAdapter();
    writeLogFiles(
      fs,
      DIR,
      new LogBuilder()
        .touch("q", 0)
        .touch("other", 0)
        .append("q", 0, ["a", "b", "c"])
        .append("other", 0, ["o0", "o1"])
        .append("q", 1, ["B", "C"]) // below q's next position (3)
        .append("other", 2, ["o2"])
        .files(2 * BLOCK_SIZE),
    );
    const warnings: string[] = [];
    let log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      onWarning: (w) => warnings.push(w),
    });
    assert.deepEqual(
      [...log.range("q")].map((r) => [r.position, text(r.payload)]),
      [[0, "a"], [1, "b"], [2, "c"]],
    );
    assert.deepEqual([...log.range("other")].map((r) => text(r.payload)), [
      "o0",
      "o1",
      "o2",
    ]);
    const summary = log.summary();
    assert.equal(summary.queues.q.droppedOnOpen, 2);
    assert.equal(summary.queues.other.droppedOnOpen, 0);
    assert.deepEqual(summary.recovery.droppedRecords, { q: 2 });
    assert.ok(
      warnings.some((w) => w.includes('"q"') && w.includes("2")),
      warnings.join("\n"),
    );
    assert.equal(await appendText(log, "q", "d"), 3);
    const state = stateOf(log);
    log = await reopen(log, fs);
    assert.deepEqual(stateOf(log), state);
    await log.close();
  });

  it("opens the records of two logs concatenated: a Touch resets the queue", async () => {
    const fs = new MemoryFileAdapter();
    writeLogFiles(
      fs,
      DIR,
      new LogBuilder()
        // The first log's records...
        .touch("q", 0)
        .append("q", 0, ["1a", "1b"])
        .touch("one", 0)
        // ...then the second log's, which created "q" again at 0.
        .touch("q", 0)
        .append("q", 0, ["2a"])
        .append("q", 1, ["2b", "2c"])
        .files(2 * BLOCK_SIZE),
    );
    const log = await openMem(fs);
    assert.deepEqual([...log.range("q")].map((r) => text(r.payload)), [
      "2a",
      "2b",
      "2c",
    ]);
    assert.deepEqual(log.listQueues(), ["one", "q"]);
    assert.deepEqual(log.summary().recovery.droppedRecords, {});
    await log.close();
  });

  it("raises CorruptionError with strict: true on a damaged file, and opens it otherwise", async () => {
    await withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir, {
        segmentBytes: 2 * BLOCK_SIZE,
      });
      await log.createQueue("q");
      for (let i = 0; i < 5; i++) {
        await log.appendRecord("q", undefined, utf8(`record-${i}`));
      }
      await log.close();
      const path = `${dir}/${segmentName(0)}`;
      const bytes = readFileSync(path);
      const at = bytes.indexOf("record-2");
      bytes[at] ^= 0xff;
      writeFileSync(path, bytes);
      await assert.rejects(
        MultiRecordLog.open(dir, {
          strict: true,
          segmentBytes: 2 * BLOCK_SIZE,
        }),
        (e: unknown) => {
          assert.ok(e instanceof CorruptionError);
          assert.equal(e.name, "CorruptionError");
          assert.equal(e.fileNumber, 0);
          assert.ok(e.offset < at && e.offset > 0);
          return true;
        },
      );
      const warnings: string[] = [];
      const again = await MultiRecordLog.open(dir, {
        segmentBytes: 2 * BLOCK_SIZE,
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual([...again.range("q")].map((r) => r.position), [
        0,
        1,
        3,
        4,
      ]);
      assert.equal(again.summary().recovery.corruptionCount, 1);
      assert.equal(again.summary().recovery.corruptions[0].fileNumber, 0);
      assert.equal(warnings.length, 1);
      await again.close();
    });
  });

  it("opens a directory holding a wal file of random bytes", async () => {
    await withTempDir(async (dir) => {
      writeFileSync(
        `${dir}/${segmentName(0)}`,
        randomBytes(3 * BLOCK_SIZE, 42),
      );
      await assert.rejects(
        MultiRecordLog.open(dir, { strict: true }),
        CorruptionError,
      );
      const warnings: string[] = [];
      let log = await MultiRecordLog.open(dir, {
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual(log.listQueues(), []);
      assert.ok(log.summary().recovery.corruptionCount >= 3);
      assert.ok(warnings.length >= 1);
      await log.createQueue("q");
      await log.appendRecord("q", undefined, utf8("after the garbage"));
      await log.close();
      log = await MultiRecordLog.open(dir, quiet);
      assert.equal(text(log.lastRecord("q")!.payload), "after the garbage");
      await log.close();
    });
  });
});

test("summary() counts only records persisted as the policy says", async () => {
  const log = await MultiRecordLog.open("/d", {
    fileAdapter: new MemoryFileAdapter(),
  });
  await log.createQueue("q");
  await log.appendRecord("q", undefined, new Uint8Array([1]));
  // The first append of this turn is written at once, the second waits for
  // the commit.
  const written = log.appendRecord("q", undefined, new Uint8Array([2]));
  const pending = log.appendRecord("q", undefined, new Uint8Array([3]));
  assert.equal(log.summary().queues.q.recordCount, 2);
  await Promise.all([written, pending]);
  assert.equal(log.summary().queues.q.recordCount, 3);
  await log.close();
});
