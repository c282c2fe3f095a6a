import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LogWriter, type RecordPlacement } from "../../src/log/log_writer.ts";
import { LogFailedError } from "../../src/errors.ts";
import type { FileAdapter } from "../../src/storage/file_adapter.ts";
import { errorCode } from "../../src/storage/file_adapter.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { appendRecordLength, RecordKind } from "../../src/format/record.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { createSegment, segmentName } from "../../src/storage/segment_file.ts";
import { GatedFileAdapter } from "../support/gated_file_adapter.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { readLog } from "../support/read_log.ts";
import { text, utf8 } from "../support/bytes.ts";
import { tick, waitFor } from "../support/waiting.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/log";

function newWriter(adapter: FileAdapter, segmentBytes = 64 * 1024): LogWriter {
  adapter.mkdir(DIR);
  const file = createSegment(adapter, DIR, 0, segmentBytes);
  return new LogWriter({
    adapter,
    dir: DIR,
    files: new Map([[0, segmentBytes]]),
    file,
    offset: 0,
    segmentBytes,
  });
}

/** A writer on a memory disk whose fsyncs are held until `gated.release()`. */
function heldWriter(): {
  fs: MemoryFileAdapter;
  gated: GatedFileAdapter;
  writer: LogWriter;
} {
  const fs = new MemoryFileAdapter();
  const gated = new GatedFileAdapter(fs);
  const writer = newWriter(gated);
  gated.hold();
  return { fs, gated, writer };
}

/** Lays out an AppendRecords of one payload to queue "q" at `position`. */
function add(
  writer: LogWriter,
  position: number,
  payload: Uint8Array,
): RecordPlacement {
  return writer.addAppend(utf8("q"), position, [payload]);
}

/** The records in the log files of `fs`, with the file their first frame is in and its offset. */
function logRecords(
  fs: MemoryFileAdapter,
): { bytes: Uint8Array; file: number; offset: number }[] {
  const numbers = walNumbers(fs, DIR);
  const files = numbers.map((n) =>
    fs.readFileBytes(`${DIR}/${segmentName(n)}`)
  );
  const { records, corruptions } = readLog(files, numbers[0]);
  assert.deepEqual(corruptions, []);
  return records.map((r) => ({
    bytes: r.bytes,
    file: r.fileNumber,
    offset: r.offset,
  }));
}

/**
 * Lays out a record #`i` of a random kind and size, often one that ends 1 to
 * 6 bytes before the end of its block (too little for a frame header: the
 * next record starts after padding, maybe in the next file). `laidOut` is
 * the bytes laid out so far (blocks are aligned on it).
 */
function randomRecord(
  writer: LogWriter,
  random: () => number,
  laidOut: number,
  i: number,
): RecordPlacement {
  const name = utf8("q".repeat(1 + Math.floor(random() * 40)));
  const kind = random();
  if (kind < 0.15) {
    return writer.addControl(RecordKind.Touch, name, i);
  }
  const room = BLOCK_SIZE - (laidOut % BLOCK_SIZE);
  const overhead = 7 + 11 + name.length + 12; // one frame, one item
  let size: number;
  if (kind < 0.55 && room - overhead - 6 >= 0) {
    size = room - overhead - (1 + Math.floor(random() * 6));
  } else if (kind < 0.85) {
    size = Math.floor(random() * 200);
  } else {
    size = Math.floor(random() * 3 * BLOCK_SIZE);
  }
  return writer.addAppend(name, i, [new Uint8Array(size).fill(i & 0xff)]);
}

/** The file the next record goes to after `laidOut` bytes, by the files' lengths. */
function expectedCurrent(fs: MemoryFileAdapter, laidOut: number): number {
  let offset = laidOut;
  let number = 0;
  for (;;) {
    const path = `${DIR}/${segmentName(number)}`;
    const size = fs.pathExists(path) ? fs.fileSize(path) : 2 * BLOCK_SIZE;
    if (offset < size) return number;
    offset -= size;
    number++;
  }
}

/** The payload of a one-item AppendRecords record of queue "q". */
function payloadOf(record: Uint8Array): Uint8Array {
  return record.subarray(11 + 1 + 12);
}

describe("LogWriter writing and committing", () => {
  it("writes nothing until commit, then the records laid out, in order", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    const { bytes, fileNumber } = add(writer, 0, utf8("hello"));
    assert.equal(bytes, 7 + 12 + 12 + 5);
    assert.equal(fileNumber, 0);
    add(writer, 1, utf8("world"));
    assert.equal(logRecords(fs).length, 0);
    await writer.commit(false);
    assert.deepEqual(
      logRecords(fs).map((r) => text(payloadOf(r.bytes))),
      ["hello", "world"],
    );
    writer.close();
  });

  it("writeNow writes at once, but only once per microtask turn and never past a pending commit", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    add(writer, 0, utf8("a"));
    const writes = fs.stats.writes;
    assert.equal(writer.writeNow(), true);
    assert.equal(fs.stats.writes, writes + 1);
    assert.deepEqual(logRecords(fs).map((r) => text(payloadOf(r.bytes))), [
      "a",
    ]);
    // A second append of the same turn joins a commit instead.
    add(writer, 1, utf8("b"));
    assert.equal(writer.writeNow(), false);
    const b = writer.commit(false);
    add(writer, 2, utf8("c"));
    assert.equal(writer.writeNow(), false);
    const c = writer.commit(false);
    assert.equal(fs.stats.writes, writes + 1);
    await Promise.all([b, c]);
    assert.equal(fs.stats.writes, writes + 2);
    // A later turn writes at once again.
    add(writer, 3, utf8("d"));
    assert.equal(writer.writeNow(), true);
    assert.deepEqual(
      logRecords(fs).map((r) => text(payloadOf(r.bytes))),
      ["a", "b", "c", "d"],
    );
    writer.close();
  });

  it("writeNow does not write while an fsync runs", async () => {
    const { fs, gated, writer } = heldWriter();
    add(writer, 0, utf8("a"));
    const first = writer.commit(true);
    assert.ok(await waitFor(() => gated.waiting > 0));
    add(writer, 1, utf8("b"));
    assert.equal(writer.writeNow(), false);
    const second = writer.commit(false);
    assert.equal(logRecords(fs).length, 1);
    gated.release();
    await Promise.all([first, second]);
    assert.equal(logRecords(fs).length, 2);
    writer.close();
  });

  it("writeNow throws LogFailedError when the write fails, and fails the writer", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    fs.injectFault({ op: "write", kind: "error", code: "EIO" });
    add(writer, 0, utf8("a"));
    assert.throws(() => writer.writeNow(), (e: unknown) => {
      assert.ok(e instanceof LogFailedError);
      assert.equal(errorCode(e.cause), "EIO");
      return true;
    });
    assert.ok(writer.failed instanceof LogFailedError);
    await tick();
    assert.equal(writer.writeNow(), false);
    await assert.rejects(writer.commit(false), LogFailedError);
    writer.close();
  });

  it("fsyncs only when a commit asks for it", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    const before = fs.stats.syncs;
    add(writer, 0, utf8("a"));
    await writer.commit(false);
    assert.equal(fs.stats.syncs, before);
    assert.equal(
      fs.crash({ mode: "drop" }).readFileBytes(`${DIR}/${segmentName(0)}`)[6],
      0,
    );
    const fs2 = new MemoryFileAdapter();
    const writer2 = newWriter(fs2);
    const before2 = fs2.stats.syncs;
    add(writer2, 0, utf8("a"));
    await writer2.commit(true);
    assert.equal(fs2.stats.syncs, before2 + 1);
    const after = fs2.crash({ mode: "drop" });
    const { records } = readLog([
      after.readFileBytes(`${DIR}/${segmentName(0)}`),
    ]);
    assert.equal(records.length, 1);
    writer.close();
  });

  it("group commit: many concurrent commits share one write and one fsync", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    const syncs = fs.stats.syncs;
    const writes = fs.stats.writes;
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      add(writer, i, utf8(`r${i}`));
      commits.push(writer.commit(true));
    }
    await Promise.all(commits);
    assert.ok(fs.stats.syncs - syncs <= 2, `${fs.stats.syncs - syncs} syncs`);
    assert.ok(fs.stats.syncs - syncs >= 1);
    assert.ok(
      fs.stats.writes - writes <= 2,
      `${fs.stats.writes - writes} writes`,
    );
    assert.equal(logRecords(fs).length, 100);
    writer.close();
  });

  it("group commit: commits arriving while an fsync runs share the next one", async () => {
    const { fs, gated, writer } = heldWriter();
    // Two commits in the first batch, so that their fsync runs off the event
    // loop (a lone commit may fsync in place) and can be held.
    add(writer, 0, utf8("first"));
    let firstDone = false;
    const first = Promise.all([writer.commit(true), writer.commit(true)])
      .then(() => firstDone = true);
    assert.ok(await waitFor(() => gated.waiting === 1));
    const syncs = fs.stats.syncs;
    const later: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      add(writer, i, utf8(`r${i}`));
      later.push(writer.commit(true));
    }
    await tick(10);
    assert.equal(firstDone, false);
    assert.equal(gated.syncDataCalls, 1);
    gated.release();
    await Promise.all([first, ...later]);
    // The held fsync, then one more for all 50 that arrived meanwhile.
    assert.equal(fs.stats.syncs - syncs, 2);
    assert.equal(logRecords(fs).length, 51);
    writer.close();
  });

  it("resolves a commit with nothing pending", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    const writes = fs.stats.writes;
    await writer.commit(false);
    await writer.commit(true);
    assert.equal(fs.stats.writes, writes);
    writer.close();
  });

  it("loops over short writes", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    for (let i = 0; i < 5; i++) {
      fs.injectFault({ op: "write", kind: "short", bytes: 3 });
    }
    const payload = randomBytes(5000, 1);
    add(writer, 0, payload);
    await writer.commit(true);
    assert.equal(fs.pendingFaults, 0);
    assert.deepEqual(payloadOf(logRecords(fs)[0].bytes), payload);
    writer.close();
  });

  it("fsyncs later with syncLater", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    add(writer, 0, utf8("a"));
    await writer.commit(false);
    const syncs = fs.stats.syncs;
    writer.syncLater(5);
    writer.syncLater(5); // one planned at a time
    assert.ok(await waitFor(() => fs.stats.syncs > syncs));
    await tick(20);
    assert.equal(fs.stats.syncs, syncs + 1);
    writer.close();
  });
});

describe("LogWriter rolling to new files", () => {
  it("rolls at segmentBytes: records span files and read back in order", async () => {
    const fs = new MemoryFileAdapter();
    const segment = 64 * 1024;
    const writer = newWriter(fs, segment);
    const payloads: Uint8Array[] = [];
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) {
      const payload = randomBytes(10_000 + i, i);
      payloads.push(payload);
      starts.push(add(writer, i, payload).fileNumber);
      await writer.commit(i % 7 === 0);
    }
    const numbers = walNumbers(fs, DIR);
    assert.deepEqual(numbers, [0, 1, 2, 3, 4]);
    for (const n of numbers) {
      assert.equal(fs.fileSize(`${DIR}/${segmentName(n)}`), segment);
    }
    assert.deepEqual([...writer.files.keys()], numbers);
    assert.ok([...writer.files.values()].every((b) => b === segment));
    assert.equal(writer.currentFileNumber, 4);
    const records = logRecords(fs);
    assert.deepEqual(records.map((r) => payloadOf(r.bytes)), payloads);
    assert.deepEqual(records.map((r) => r.file), starts);
    // Some record starts in one file and ends in the next.
    assert.ok(starts.some((file, i) => i > 0 && starts[i - 1] !== file));
    writer.close();
  });

  it("places each record in the file it is written to, around block and file ends", async () => {
    for (const seed of [1, 2, 3, 4]) {
      const random = mulberry32(seed);
      const fs = new MemoryFileAdapter();
      const segment = 2 * BLOCK_SIZE;
      // Seeds 3 and 4 start in a file written with a larger segmentBytes.
      const firstLimit = seed > 2 ? 5 * BLOCK_SIZE : segment;
      fs.mkdir(DIR);
      const writer = new LogWriter({
        adapter: fs,
        dir: DIR,
        files: new Map([[0, firstLimit]]),
        file: createSegment(fs, DIR, 0, firstLimit),
        offset: 0,
        fileLimit: firstLimit,
        segmentBytes: segment,
      });
      const placed: number[] = [];
      let laidOut = 0; // bytes laid out, padding included
      for (let i = 0; i < 600; i++) {
        const placement = randomRecord(writer, random, laidOut, i);
        placed.push(placement.fileNumber);
        laidOut += placement.bytes;
        // Written at once, committed, or left pending with the next ones.
        const how = random();
        if (how < 0.2) writer.writeNow();
        else if (how < 0.4) await writer.commit(false);
      }
      await writer.commit(false);
      const records = logRecords(fs);
      assert.equal(records.length, placed.length, `seed ${seed}`);
      assert.deepEqual(records.map((r) => r.file), placed, `seed ${seed}`);
      assert.equal(writer.currentFileNumber, expectedCurrent(fs, laidOut));
      // Records started at the very start of a file, after padding at the
      // end of the one before, and ran across files.
      assert.ok(records.some((r) => r.offset === 0 && r.file > 0));
      assert.ok(placed.at(-1)! > 10, `only ${placed.at(-1)} files`);
      writer.close();
    }
  });

  it("fsyncs the full file and the directory when rolling", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs, BLOCK_SIZE);
    add(writer, 0, new Uint8Array(BLOCK_SIZE - 7 - 24)); // exactly fills file 0
    await writer.commit(false);
    assert.equal(writer.currentFileNumber, 1);
    const { syncs, syncDirs } = fs.stats;
    assert.equal(add(writer, 1, utf8("next")).fileNumber, 1);
    await writer.commit(false);
    assert.ok(fs.stats.syncs > syncs);
    assert.ok(fs.stats.syncDirs > syncDirs);
    // After a power loss, file 0 and the new file 1 both exist.
    const after = fs.crash({ mode: "drop" });
    assert.deepEqual(walNumbers(after, DIR), [0, 1]);
    assert.equal(
      readLog([after.readFileBytes(`${DIR}/${segmentName(0)}`)]).records.length,
      1,
    );
    writer.close();
  });

  it("removes the files below a number, never the current one", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs, BLOCK_SIZE);
    for (let i = 0; i < 4; i++) add(writer, i, new Uint8Array(BLOCK_SIZE - 31));
    add(writer, 4, utf8("x"));
    await writer.commit(false);
    assert.deepEqual(walNumbers(fs, DIR), [0, 1, 2, 3, 4]);
    const syncDirs = fs.stats.syncDirs;
    await writer.commit(false, 2);
    assert.deepEqual(walNumbers(fs, DIR), [2, 3, 4]);
    assert.deepEqual([...writer.files.keys()], [2, 3, 4]);
    assert.ok(fs.stats.syncDirs > syncDirs);
    await writer.commit(false, 1000);
    assert.deepEqual(walNumbers(fs, DIR), [4]);
    assert.deepEqual([...writer.files.keys()], [4]);
    writer.close();
  });
});

describe("LogWriter disk use", () => {
  it("counts each file's written extent in 4 KiB blocks, ahead of a record, across rolls and removals", async () => {
    const random = mulberry32(7);
    const fs = new MemoryFileAdapter();
    const segment = 2 * BLOCK_SIZE;
    const writer = newWriter(fs, segment);
    assert.equal(writer.diskUsedBytes, 0);
    let laidOut = 0;
    for (let i = 0; i < 300; i++) {
      const size = random() < 0.1
        ? Math.floor(random() * 3 * segment)
        : Math.floor(random() * 3000);
      const length = appendRecordLength(1, 1, size);
      const ahead = writer.diskUsedBytesWith([length]);
      laidOut += add(writer, i, new Uint8Array(size)).bytes;
      // Files are whole blocks: their extents add up to the bytes laid out.
      assert.equal(writer.diskUsedBytes, Math.ceil(laidOut / 4096) * 4096);
      assert.equal(ahead, writer.diskUsedBytes, `record ${i}`);
      if (random() < 0.3) await writer.commit(false);
    }
    await writer.commit(false);
    const current = writer.currentFileNumber;
    assert.ok(current > 5, `only ${current} files`);
    await writer.commit(false, current - 2);
    assert.equal(
      writer.diskUsedBytes,
      Math.ceil(laidOut / 4096) * 4096 - (current - 2) * segment,
    );
    writer.close();
  });

  it("counts the block a resumed file was zeroed to, and older files at their length", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir(DIR);
    createSegment(fs, DIR, 3, 5000).close();
    const file = createSegment(fs, DIR, 4, 2 * BLOCK_SIZE);
    const writer = new LogWriter({
      adapter: fs,
      dir: DIR,
      files: new Map([[3, 5000], [4, 2 * BLOCK_SIZE]]),
      file,
      offset: 100,
      segmentBytes: 2 * BLOCK_SIZE,
    });
    assert.equal(writer.diskUsedBytes, 8192 + BLOCK_SIZE);
    add(writer, 0, new Uint8Array(BLOCK_SIZE));
    assert.equal(writer.diskUsedBytes, 8192 + BLOCK_SIZE + 4096);
    writer.close();
  });
});

describe("LogWriter failures", () => {
  it("rejects the commit whose fsync failed, all pending ones, and every later one", async () => {
    const { fs, gated, writer } = heldWriter();
    add(writer, 0, utf8("a"));
    const first = writer.commit(true);
    const firstToo = writer.commit(true);
    assert.ok(await waitFor(() => gated.waiting === 1));
    add(writer, 1, utf8("b"));
    const second = writer.commit(true);
    const third = writer.commit(false);
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    gated.release();
    const results = await Promise.allSettled([first, firstToo, second, third]);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      const reason = (result as PromiseRejectedResult).reason;
      assert.ok(reason instanceof LogFailedError);
      assert.equal(reason.name, "LogFailedError");
      assert.equal(errorCode(reason.cause), "EIO");
    }
    assert.ok(writer.failed instanceof LogFailedError);
    add(writer, 2, utf8("c"));
    await assert.rejects(writer.commit(false), (e) => e === writer.failed);
    await assert.rejects(writer.commit(true), LogFailedError);
    writer.close();
  });

  it("rejects with LogFailedError when a write fails, and later commits too", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs);
    fs.injectFault({
      op: "write",
      kind: "error",
      code: "ENOSPC",
      partialBytes: 5,
    });
    add(writer, 0, utf8("a"));
    const a = writer.commit(false);
    add(writer, 1, utf8("b"));
    const b = writer.commit(true);
    await assert.rejects(a, (e: unknown) => {
      assert.ok(e instanceof LogFailedError);
      assert.equal(errorCode(e.cause), "ENOSPC");
      assert.match(e.message, /ENOSPC/);
      return true;
    });
    await assert.rejects(b, LogFailedError);
    assert.equal(fs.pendingFaults, 0);
    add(writer, 2, utf8("c"));
    await assert.rejects(writer.commit(false), LogFailedError);
    writer.close();
  });

  it("fails when rolling to a new file fails", async () => {
    const fs = new MemoryFileAdapter();
    const writer = newWriter(fs, BLOCK_SIZE);
    fs.injectFault({ op: "open", kind: "error", code: "EMFILE" });
    add(writer, 0, new Uint8Array(BLOCK_SIZE));
    await assert.rejects(writer.commit(false), LogFailedError);
    assert.ok(writer.failed);
  });
});
