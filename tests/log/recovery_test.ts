import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type RecoveryOptions,
  replay,
  type ReplayResult,
} from "../../src/log/recovery.ts";
import { CorruptionError } from "../../src/errors.ts";
import { BLOCK_SIZE, FrameType } from "../../src/format/frame.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import type { MemQueues } from "../../src/log/mem_queues.ts";
import { plainAllocator } from "../../src/log/chunk_allocator.ts";
import { RecordKind } from "../../src/format/record.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import {
  block,
  frameBytes,
  LogBuilder,
  recordBytes,
  writeLogFiles,
} from "../support/log_bytes.ts";
import { concat, text, utf8 } from "../support/bytes.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/wal";
const SEGMENT = 4 * BLOCK_SIZE;
/** A one-item AppendRecords of queue "q" with this payload fills a segment exactly (4 frames). */
const FILLING_PAYLOAD = SEGMENT - 4 * 7 - 24;

interface Replayed {
  fs: MemoryFileAdapter;
  result: ReplayResult;
  queues: Record<string, { next: number; records: [number, string][] }>;
}

/** Recovery options: plain chunks, `strict` as given. */
function recoveryOptions(strict: boolean): RecoveryOptions {
  return { strict, allocator: plainAllocator };
}

function dump(queues: MemQueues): Replayed["queues"] {
  const out: Replayed["queues"] = {};
  for (const q of queues.sorted()) {
    out[q.name] = {
      next: q.nextPosition,
      records: [...q.range(0, Infinity)].map((
        r,
      ) => [r.position, text(r.payload)]),
    };
  }
  return out;
}

function replayFiles(
  files: Uint8Array[],
  options: { segmentBytes?: number; strict?: boolean; first?: number } = {},
): Replayed {
  const fs = new MemoryFileAdapter();
  writeLogFiles(fs, DIR, files, options.first ?? 0);
  const result = replay(
    fs,
    DIR,
    options.segmentBytes ?? SEGMENT,
    recoveryOptions(options.strict ?? false),
  );
  return { fs, result, queues: dump(result.queues) };
}

function replayLog(log: LogBuilder): Replayed {
  return replayFiles(log.files(SEGMENT));
}

describe("replay of an empty directory", () => {
  it("creates file 0 of segmentBytes and starts writing at offset 0", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir(DIR);
    const result = replay(fs, DIR, SEGMENT, recoveryOptions(false));
    assert.equal(result.queues.size, 0);
    assert.deepEqual([...result.files], [[0, SEGMENT]]);
    assert.equal(result.offset, 0);
    assert.equal(fs.fileSize(`${DIR}/${segmentName(0)}`), SEGMENT);
    assert.deepEqual(result.report, {
      filesRead: 0,
      corruptions: [],
      corruptionCount: 0,
      droppedRecords: {},
      detachedFiles: [],
    });
    result.file.close();
  });
});

describe("replay rules of FORMAT.md", () => {
  it("Touch creates a missing queue at its position", () => {
    const { queues, result } = replayLog(
      new LogBuilder().touch("a", 0).touch("b", 17),
    );
    assert.deepEqual(queues, {
      a: { next: 0, records: [] },
      b: { next: 17, records: [] },
    });
    assert.equal(result.queues.get("b")!.visibleNext, 17);
  });

  it("Touch replaces a non-empty queue, or one with another next position, by an empty one", () => {
    const { queues } = replayLog(
      new LogBuilder()
        .touch("full", 0)
        .append("full", 0, ["a", "b"])
        .touch("full", 2)
        .touch("moved", 0)
        .touch("moved", 9)
        .touch("same", 4)
        .touch("same", 4),
    );
    assert.deepEqual(queues, {
      full: { next: 2, records: [] },
      moved: { next: 9, records: [] },
      same: { next: 4, records: [] },
    });
  });

  it("AppendRecords creates a missing queue at its first position and appends, gaps included", () => {
    const { queues, result } = replayLog(
      new LogBuilder()
        .append("late", 42, ["x", "y"])
        .touch("gaps", 0)
        .append("gaps", 0, ["0"])
        .append("gaps", 5, ["5", "6"])
        .append("gaps", 100, ["100"]),
    );
    assert.deepEqual(queues, {
      gaps: {
        next: 101,
        records: [[0, "0"], [5, "5"], [6, "6"], [100, "100"]],
      },
      late: { next: 44, records: [[42, "x"], [43, "y"]] },
    });
    assert.equal(result.queues.get("late")!.visibleNext, 44);
    assert.deepEqual(result.report.droppedRecords, {});
  });

  it("Truncate drops up to p, empties the queue at p + 1 past the end, ignores p below the first", () => {
    const { queues } = replayLog(
      new LogBuilder()
        .append("partial", 0, ["0", "1", "2", "3"])
        .truncate("partial", 1)
        .truncate("partial", 0)
        .append("beyond", 0, ["0", "1"])
        .truncate("beyond", 100)
        .touch("empty", 5)
        .truncate("empty", 2)
        .touch("empty2", 5)
        .truncate("empty2", 5)
        .append("below", 10, ["10"])
        .truncate("below", 3)
        .truncate("unknown", 7),
    );
    assert.deepEqual(queues, {
      below: { next: 11, records: [[10, "10"]] },
      beyond: { next: 101, records: [] },
      empty: { next: 5, records: [] },
      empty2: { next: 6, records: [] },
      partial: { next: 4, records: [[2, "2"], [3, "3"]] },
    });
  });

  it("DeleteQueue deletes the queue if it exists", () => {
    const { queues } = replayLog(
      new LogBuilder()
        .touch("gone", 0)
        .append("gone", 0, ["a"])
        .deleteQueue("gone", 1)
        .deleteQueue("never", 0)
        .touch("phoenix", 0)
        .append("phoenix", 0, ["old"])
        .deleteQueue("phoenix", 1)
        .touch("phoenix", 0)
        .append("phoenix", 0, ["new"]),
    );
    assert.deepEqual(queues, { phoenix: { next: 1, records: [[0, "new"]] } });
  });

  it("drops records below a queue's next position, counts them, and keeps other queues", () => {
    const { queues, result } = replayLog(
      new LogBuilder()
        .touch("q", 0)
        .touch("other", 0)
        .append("q", 0, ["a", "b", "c"])
        .append("other", 0, ["o"])
        .append("q", 1, ["B", "C"])
        .append("q", 0, ["A"])
        .append("other", 1, ["p"])
        .append("q", 3, ["d"]),
    );
    assert.deepEqual(queues, {
      other: { next: 2, records: [[0, "o"], [1, "p"]] },
      q: { next: 4, records: [[0, "a"], [1, "b"], [2, "c"], [3, "d"]] },
    });
    assert.deepEqual(result.report.droppedRecords, { q: 3 });
    assert.equal(result.report.corruptionCount, 0);
  });

  it("drops records above 2^53 - 1 instead of rounding them", () => {
    const big = 2n ** 53n;
    const { queues, result } = replayLog(
      new LogBuilder()
        .touch("q", 0)
        .append("q", 0, ["a"])
        .record(recordBytes(RecordKind.AppendRecords, big, "q", [
          { position: big, payload: utf8("x") },
          { position: big + 1n, payload: utf8("y") },
          { position: big + 2n, payload: utf8("z") },
        ]))
        .record(recordBytes(RecordKind.Touch, 2n ** 64n - 1n, "t"))
        .append("ok", 0, ["fine"]),
    );
    assert.deepEqual(queues.q, { next: 1, records: [[0, "a"]] });
    assert.equal(queues.t, undefined);
    assert.deepEqual(queues.ok, { next: 1, records: [[0, "fine"]] });
    assert.equal(result.report.droppedRecords.t, 1);
    assert.ok((result.report.droppedRecords.q ?? 0) > 0);
  });

  it("counts every record of an AppendRecords above 2^53 - 1 as dropped", () => {
    const big = 2n ** 53n;
    const { result } = replayLog(
      new LogBuilder().touch("q", 0).record(
        recordBytes(RecordKind.AppendRecords, big, "q", [
          { position: big, payload: utf8("x") },
          { position: big + 1n, payload: utf8("y") },
          { position: big + 2n, payload: utf8("z") },
        ]),
      ),
    );
    assert.deepEqual(result.report.droppedRecords, { q: 3 });
  });

  it("keeps the records' file numbers", () => {
    const files = new LogBuilder()
      .append("q", 0, ["a"])
      .append("q", 1, [new Uint8Array(SEGMENT)])
      .append("q", 2, ["c"])
      .files(SEGMENT);
    const { result } = replayFiles(files, { first: 4 });
    const q = result.queues.get("q")!;
    assert.equal(q.firstFileNumber, 4);
    q.truncate(1);
    assert.equal(q.firstFileNumber, 5);
    result.file.close();
  });
});

describe("replay of records cut across frames", () => {
  // Item sizes that cut item headers and payloads at frame, file and 4 MiB
  // read boundaries; a queue name long enough to cut a record's header.
  const longName = "n".repeat(BLOCK_SIZE - 20);
  const sizes = [
    5,
    40_000,
    70_000,
    1_300_000,
    0,
    32_761,
    3,
    3_000_000,
    17,
    1_500_000,
  ];

  function build(): { builder: LogBuilder; payloads: Uint8Array[] } {
    const payloads = sizes.map((size, i) => randomBytes(size, i + 1));
    const builder = new LogBuilder()
      .touch(longName, 7)
      .append("q", 0, payloads.slice(0, 3))
      .append(longName, 7, [payloads[3]])
      .append("q", 3, payloads.slice(4));
    return { builder, payloads };
  }

  function check(result: ReplayResult, payloads: Uint8Array[]): void {
    const q = [...result.queues.get("q")!.range(0, Infinity)];
    assert.deepEqual(q.map((r) => r.position), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const long = [...result.queues.get(longName)!.range(0, Infinity)];
    assert.deepEqual(long.map((r) => r.position), [7]);
    const got = [...q.slice(0, 3), ...long, ...q.slice(3)];
    got.forEach((r, i) => assert.deepEqual(r.payload, payloads[i], `#${i}`));
    assert.equal(result.report.corruptionCount, 0);
    result.file.close();
  }

  it("in one file larger than a 4 MiB read", () => {
    const { builder, payloads } = build();
    const files = [builder.bytes()];
    assert.ok(files[0].length > 4 * 1024 * 1024);
    const segmentBytes = Math.ceil(files[0].length / BLOCK_SIZE) * BLOCK_SIZE;
    const { result } = replayFiles(files, { segmentBytes });
    check(result, payloads);
  });

  it("across many small files", () => {
    const { builder, payloads } = build();
    const { result } = replayFiles(builder.files(SEGMENT));
    check(result, payloads);
  });
});

describe("replay of damaged logs", () => {
  it("reports malformed records as corruption, with file number and offset", () => {
    const bad = recordBytes(9, 0, "q");
    const offset = 7 + 11 + 1; // after the Touch record of "q"
    const { queues, result } = replayFiles(
      new LogBuilder().touch("q", 0).record(bad).append("q", 0, ["a"]).files(
        SEGMENT,
      ),
      { first: 3 },
    );
    assert.deepEqual(queues, { q: { next: 1, records: [[0, "a"]] } });
    assert.equal(result.report.corruptionCount, 1);
    assert.equal(result.report.corruptions[0].fileNumber, 3);
    assert.equal(result.report.corruptions[0].offset, offset);
    assert.match(result.report.corruptions[0].reason, /kind/);
  });

  it("raises CorruptionError in strict mode, and closes what it opened", () => {
    const fs = new MemoryFileAdapter();
    writeLogFiles(fs, DIR, [
      block(frameBytes(FrameType.Full, utf8("abc"), { checksum: 1 })),
    ], 2);
    assert.throws(
      () => replay(fs, DIR, SEGMENT, recoveryOptions(true)),
      (e: unknown) => {
        assert.ok(e instanceof CorruptionError);
        assert.equal(e.name, "CorruptionError");
        assert.equal(e.fileNumber, 2);
        assert.equal(e.offset, 0);
        return true;
      },
    );
    // Not strict: the same log opens.
    const result = replay(fs, DIR, SEGMENT, recoveryOptions(false));
    assert.equal(result.report.corruptionCount, 1);
    result.file.close();
  });

  it("reports at most 1,000 corruptions but counts them all", () => {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 1500; i++) {
      frames.push(frameBytes(FrameType.Full, utf8("x"), { checksum: 1 }));
    }
    const { result } = replayFiles([block(...frames)]);
    assert.equal(result.report.corruptionCount, 1500);
    assert.equal(result.report.corruptions.length, 1000);
    result.file.close();
  });

  it("sets aside files after a zero header that ends the log early", () => {
    const full = new LogBuilder().append("q", 0, [
      new Uint8Array(FILLING_PAYLOAD),
    ]);
    const [file0] = full.files(SEGMENT);
    const file1 = new LogBuilder().append("q", 1, ["b"]).bytes(); // ends with zeros
    const file2 = new LogBuilder().append("q", 2, ["lost"]).bytes();
    const { fs, result, queues } = replayFiles([file0, file1, file2]);
    assert.deepEqual(queues.q.records.map(([p]) => p), [0, 1]);
    assert.deepEqual(result.report.detachedFiles, [segmentName(2)]);
    assert.equal(result.report.filesRead, 2);
    assert.deepEqual(walNumbers(fs, DIR), [0, 1]);
    assert.ok(fs.pathExists(`${DIR}/${segmentName(2)}.detached`));
    assert.deepEqual([...result.files.keys()], [0, 1]);
    result.file.close();
  });
});

describe("replay: where writing resumes", () => {
  it("resumes at the zero header and zeroes everything after it", () => {
    const data = new LogBuilder().touch("q", 0).append("q", 0, ["a"]);
    const bytes = data.bytes();
    const end = bytes.findLastIndex((b) => b !== 0) + 1;
    // Stale bytes after the end of the data (an old frame beyond a zero header).
    const stale = concat(
      bytes,
      block(frameBytes(FrameType.Full, utf8("stale"))),
    );
    const { fs, result } = replayFiles([stale]);
    assert.equal(result.offset, end);
    const after = fs.readFileBytes(`${DIR}/${segmentName(0)}`);
    assert.equal(after.length, SEGMENT);
    assert.ok(after.subarray(end).every((b) => b === 0));
    assert.deepEqual(after.subarray(0, end), bytes.subarray(0, end));
    result.file.close();
  });

  it("starts a new file when the last one is full", () => {
    const files = new LogBuilder()
      .append("q", 0, [new Uint8Array(FILLING_PAYLOAD)])
      .files(SEGMENT);
    assert.equal(files.length, 1);
    const { fs, result } = replayFiles(files, { first: 6 });
    assert.deepEqual([...result.files.keys()], [6, 7]);
    assert.equal(result.offset, 0);
    assert.deepEqual(walNumbers(fs, DIR), [6, 7]);
    result.file.close();
  });

  it("resumes after the last whole block of a file that ends mid-block", () => {
    const bytes = new LogBuilder().append("q", 0, [
      new Uint8Array(BLOCK_SIZE - 7 - 24),
    ]).bytes();
    const torn = concat(
      bytes,
      frameBytes(FrameType.Full, utf8("partial block")),
    );
    const { queues, result } = replayFiles([torn]);
    assert.deepEqual(queues.q.records.map(([p]) => p), [0]);
    assert.equal(result.offset, BLOCK_SIZE);
    result.file.close();
  });
});
