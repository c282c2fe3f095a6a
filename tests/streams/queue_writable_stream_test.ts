import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  LogClosedError,
  MemoryLimitError,
  MissingQueueError,
  PositionInPastError,
} from "../../src/errors.ts";
import type { FileAdapter } from "../../src/storage/file_adapter.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import {
  MultiRecordLog,
  type OpenOptions,
} from "../../src/log/multi_record_log.ts";
import { RecordBatchStream } from "../../src/streams/record_batch_stream.ts";
import { countListeners } from "../support/log_state.ts";
import { isPending, tick, waitFor } from "../support/waiting.ts";
import { readLog } from "../support/read_log.ts";
import { text, utf8 } from "../support/bytes.ts";

const DIR = "/wal";

async function openLog(
  options: OpenOptions = {},
  fs: FileAdapter = new MemoryFileAdapter(),
): Promise<MultiRecordLog> {
  const log = await MultiRecordLog.open(DIR, { ...options, fileAdapter: fs });
  await log.createQueue("q");
  return log;
}

/** `[position, text]` of every record of the queue. */
function contents(log: MultiRecordLog, queue = "q"): [number, string][] {
  return [...log.range(queue)].map((r) => [r.position, text(r.payload)]);
}

/** How long a read or write must stay pending to count as waiting. */
const PENDING_MS = 20;

/**
 * A writer of queue "q" whose first write (60 bytes) went through and whose
 * second (50 bytes) is under way: with a 100-byte memory limit, it waits.
 */
async function stalledWriter(log: MultiRecordLog): Promise<{
  writer: WritableStreamDefaultWriter<Uint8Array | Uint8Array[]>;
  stalled: Promise<void>;
}> {
  const writer = log.writable("q").getWriter();
  await writer.write(new Uint8Array(60));
  return { writer, stalled: writer.write(new Uint8Array(50)) };
}

describe("createQueueWritable", () => {
  test("writes each record at the next position; write resolves once visible", async () => {
    await using log = await openLog();
    await log.appendRecord("q", undefined, utf8("before"));
    const writer = log.writable("q").getWriter();
    await writer.write(utf8("a"));
    assert.equal(log.lastPosition("q"), 1);
    await writer.write(utf8("b"));
    assert.equal(log.lastPosition("q"), 2);
    await writer.close();
    assert.deepEqual(contents(log), [[0, "before"], [1, "a"], [2, "b"]]);
  });

  test("an array chunk is one atomic batch: one log record, one write, one fsync", async () => {
    const fs = new MemoryFileAdapter();
    await using log = await openLog({
      persistPolicy: { kind: "always", action: "fsync" },
    }, fs);
    const writer = log.writable("q").getWriter();
    const before = fs.stats;
    await writer.write(["x", "y", "z"].map(utf8));
    const after = fs.stats;
    assert.equal(after.writes - before.writes, 1);
    assert.equal(after.syncs - before.syncs, 1);
    await writer.write([]); // Nothing at all.
    assert.equal(fs.stats.writes, after.writes);
    await writer.close();
    assert.deepEqual(contents(log), [[0, "x"], [1, "y"], [2, "z"]]);
    await log.close();
    // In the file: a Touch for the creation, then one AppendRecords record.
    const { records } = readLog([fs.readFileBytes(`${DIR}/${walName(fs)}`)]);
    assert.equal(records.length, 2);
  });

  test("close resolves once every chunk written is persisted", async () => {
    await using log = await openLog();
    const writer = log.writable("q", { highWaterMark: 100 })
      .getWriter();
    for (let i = 0; i < 50; i++) writer.write(utf8(`r${i}`));
    await writer.close();
    assert.equal(log.lastPosition("q"), 49);
    assert.equal(contents(log)[49][1], "r49");
  });

  test("payloads are copied: chunks may be reused once written", async () => {
    await using log = await openLog();
    const writer = log.writable("q").getWriter();
    const buffer = utf8("one");
    await writer.write(buffer);
    buffer.set(utf8("two"));
    await writer.write(buffer);
    await writer.close();
    assert.deepEqual(contents(log), [[0, "one"], [1, "two"]]);
  });

  test("RecordBatchStream in front commits records arriving together in one write and fsync", async () => {
    const fs = new MemoryFileAdapter();
    await using log = await openLog({
      persistPolicy: { kind: "always", action: "fsync" },
      memoryLimitBytes: 10_000,
    }, fs);
    // The log is full: the first record waits while the others arrive.
    await log.appendRecord("q", undefined, new Uint8Array(10_000));
    const before = fs.stats;
    const records = Array.from({ length: 500 }, (_, i) => utf8(`${i}`));
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller): void {
        if (pulled === records.length) controller.close();
        else controller.enqueue(records[pulled++]);
      },
    }, { highWaterMark: 0 });
    const piped = source
      .pipeThrough(new RecordBatchStream())
      .pipeTo(log.writable("q"));
    assert.ok(await waitFor(() => pulled === records.length));
    await tick(5);
    assert.equal(log.lastPosition("q"), 0);
    await log.truncate("q", 0);
    await piped;
    assert.deepEqual(
      contents(log),
      records.map((r, i) => [i + 1, text(r)]),
    );
    // The truncate, the first record, then all the others together.
    const after = fs.stats;
    assert.equal(after.writes - before.writes, 3);
    assert.equal(after.syncs - before.syncs, 3);
  });

  test("position: the first chunk goes there, later ones follow, leaving a gap", async () => {
    await using log = await openLog();
    const writer = log.writable("q", { position: 5 }).getWriter();
    await writer.write(utf8("a"));
    await writer.write([utf8("b"), utf8("c")]);
    await writer.write(utf8("d"));
    await writer.close();
    assert.deepEqual(contents(log), [[5, "a"], [6, "b"], [7, "c"], [8, "d"]]);
  });

  test("position: a replay of records held is skipped, the rest appended", async () => {
    await using log = await openLog();
    const first = log.writable("q").getWriter();
    for (const s of ["a", "b", "c", "d"]) await first.write(utf8(s));
    await first.close();
    const replay = log.writable("q", { position: 1 }).getWriter();
    await replay.write(utf8("b"));
    await replay.write([utf8("c")]);
    await replay.write([utf8("d"), utf8("e"), utf8("f")]); // Straddles the end.
    await replay.write(utf8("g"));
    await replay.close();
    assert.deepEqual(contents(log), [
      [0, "a"],
      [1, "b"],
      [2, "c"],
      [3, "d"],
      [4, "e"],
      [5, "f"],
      [6, "g"],
    ]);
  });

  test("position: a replay of truncated records is skipped", async () => {
    await using log = await openLog();
    await log.appendRecords("q", undefined, ["a", "b", "c"].map(utf8));
    await log.truncate("q", 1);
    const writer = log.writable("q", { position: 0 }).getWriter();
    await writer.write([utf8("ANY"), utf8("b")]);
    await writer.write(utf8("c"));
    await writer.write(utf8("d"));
    await writer.close();
    assert.deepEqual(contents(log), [[2, "c"], [3, "d"]]);
  });

  test("position: a different record at a past position errors with PositionInPastError", async () => {
    await using log = await openLog();
    await log.appendRecords("q", undefined, ["a", "b", "c"].map(utf8));
    const writer = log.writable("q", { position: 1 }).getWriter();
    await writer.write(utf8("b"));
    await assert.rejects(writer.write(utf8("C")), (error) => {
      assert.ok(error instanceof PositionInPastError);
      assert.equal(error.position, 2);
      assert.equal(error.nextPosition, 3);
      return true;
    });
    await assert.rejects(writer.closed, PositionInPastError);
    assert.deepEqual(contents(log), [[0, "a"], [1, "b"], [2, "c"]]);
  });

  test("stalls at the memory limit, with desiredSize at zero, and resumes after a truncate", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const listeners = countListeners(log);
    const { writer, stalled } = await stalledWriter(log);
    assert.ok(await isPending(stalled, PENDING_MS));
    assert.ok(writer.desiredSize! <= 0);
    assert.equal(log.lastPosition("q"), 0);
    // An append elsewhere that frees nothing does not let it through.
    await log.createQueue("other");
    await log.appendRecord("other", undefined, new Uint8Array(1));
    assert.ok(await isPending(stalled, PENDING_MS));
    await log.truncate("q", 0);
    await stalled;
    assert.equal(log.lastPosition("q"), 1);
    assert.equal(writer.desiredSize, 1);
    await writer.close();
    assert.equal(listeners(), 0);
  });

  test("memoryWaitTimeoutMs errors the stream with the MemoryLimitError", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const listeners = countListeners(log);
    const writer = log.writable("q", { memoryWaitTimeoutMs: 30 })
      .getWriter();
    await writer.write(new Uint8Array(60));
    await assert.rejects(writer.write(new Uint8Array(50)), MemoryLimitError);
    await assert.rejects(writer.closed, MemoryLimitError);
    assert.equal(log.lastPosition("q"), 0);
    assert.equal(listeners(), 0);
  });

  test("an upstream error ends a pipe waiting at the memory limit once there is room", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const listeners = countListeners(log);
    await log.appendRecord("q", undefined, new Uint8Array(100));
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const piped = new ReadableStream<Uint8Array>({
      start(controller): void {
        source = controller;
        for (let i = 0; i < 10; i++) controller.enqueue(utf8(`${i}`));
      },
    }).pipeThrough(new RecordBatchStream({ maxRecords: 4 }))
      .pipeTo(log.writable("q"));
    assert.ok(await isPending(piped, PENDING_MS));
    const reason = new Error("connection reset");
    source.error(reason);
    // A pipe lets the write in progress settle before it aborts.
    assert.ok(await isPending(piped, PENDING_MS));
    await log.truncate("q", 0);
    await assert.rejects(piped, (e) => e === reason);
    // What the pipes had read may be written, the rest is not.
    const written = contents(log).map(([, s]) => s);
    assert.deepEqual(
      written,
      ["0", "1", "2", "3", "4"].slice(0, written.length),
    );
    assert.ok(written.length >= 1);
    assert.equal(listeners(), 0);
  });

  test("a batch larger than the memory limit errors at once", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const writer = log.writable("q").getWriter();
    await assert.rejects(
      writer.write([new Uint8Array(60), new Uint8Array(60)]),
      MemoryLimitError,
    );
    assert.equal(log.lastPosition("q"), undefined);
  });

  test("abort while waiting at the memory limit stops without writing", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const listeners = countListeners(log);
    const { writer, stalled } = await stalledWriter(log);
    assert.ok(await isPending(stalled, PENDING_MS));
    const reason = new Error("give up");
    await writer.abort(reason);
    await assert.rejects(stalled, (e) => e === reason);
    await log.truncate("q", 0);
    await tick();
    assert.equal(log.lastPosition("q"), 0);
    assert.equal(listeners(), 0);
  });

  test("deleting the queue errors an idle stream with MissingQueueError", async () => {
    await using log = await openLog();
    const listeners = countListeners(log);
    const writer = log.writable("q").getWriter();
    await writer.write(utf8("a"));
    await log.deleteQueue("q");
    await assert.rejects(writer.closed, MissingQueueError);
    await assert.rejects(writer.write(utf8("b")), MissingQueueError);
    assert.equal(listeners(), 0);
  });

  test("deleting the queue errors a write waiting at the memory limit", async () => {
    await using log = await openLog({ memoryLimitBytes: 100 });
    const { writer, stalled } = await stalledWriter(log);
    assert.ok(await isPending(stalled, PENDING_MS));
    await log.deleteQueue("q");
    await assert.rejects(stalled, MissingQueueError);
    await assert.rejects(writer.closed, MissingQueueError);
  });

  test("closing the log errors the stream with LogClosedError", async () => {
    const log = await openLog({ memoryLimitBytes: 100 });
    const { writer, stalled } = await stalledWriter(log);
    assert.ok(await isPending(stalled, PENDING_MS));
    await log.close();
    await assert.rejects(stalled, LogClosedError);
    await assert.rejects(writer.closed, LogClosedError);
  });

  test("a write in flight when the log closes still persists", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openLog({}, fs);
    const writer = log.writable("q").getWriter();
    await writer.write(utf8("first"));
    const write = writer.write(utf8("last"));
    const closing = log.close();
    await write;
    await closing;
    await assert.rejects(writer.closed, LogClosedError);
    await using again = await MultiRecordLog.open(DIR, { fileAdapter: fs });
    assert.deepEqual(contents(again), [[0, "first"], [1, "last"]]);
  });

  test("a missing queue or a closed log throws at creation", async () => {
    const log = await openLog();
    assert.throws(() => log.writable("nope"), MissingQueueError);
    await log.close();
    assert.throws(() => log.writable("q"), LogClosedError);
  });

  test("bad chunks error the stream with TypeError; bad options throw", async () => {
    await using log = await openLog();
    const writer = log.writable("q").getWriter();
    await assert.rejects(
      writer.write([utf8("ok"), "no" as unknown as Uint8Array]),
      TypeError,
    );
    await assert.rejects(writer.closed, TypeError);
    assert.equal(log.lastPosition("q"), undefined);
    assert.throws(() => log.writable("q", { position: -1 }));
    assert.throws(
      () => log.writable("q", { memoryWaitTimeoutMs: -1 }),
      RangeError,
    );
    assert.throws(
      () => log.writable("q", { highWaterMark: NaN }),
      RangeError,
    );
  });

  test("highWaterMark sets how many chunks queue before desiredSize is zero", async () => {
    await using log = await openLog();
    const writer = log.writable("q", { highWaterMark: 3 })
      .getWriter();
    assert.equal(writer.desiredSize, 3);
    const writes = [writer.write(utf8("a")), writer.write([utf8("b")])];
    assert.equal(writer.desiredSize, 1);
    await Promise.all(writes);
    assert.equal(writer.desiredSize, 3);
    await writer.close();
  });
});

function walName(fs: MemoryFileAdapter): string {
  const names = fs.listFiles(DIR).filter((n) => n.startsWith("wal-"));
  assert.equal(names.length, 1);
  return names[0];
}

test("onPersisted reports the positions each chunk really got", async () => {
  const log = await MultiRecordLog.open("/d", {
    fileAdapter: new MemoryFileAdapter(),
  });
  await log.createQueue("q");
  const seen: [number, number][] = [];
  const writer = log.writable("q", {
    onPersisted: (first, last) => seen.push([first, last]),
  }).getWriter();
  const text = new TextEncoder();
  await writer.write([text.encode("a"), text.encode("b")]);
  await log.truncate("q", 100); // moves the queue's next position to 101
  await writer.write(text.encode("c"));
  await writer.close();
  assert.deepEqual(seen, [[0, 1], [101, 101]]);
  assert.deepEqual([...log.range("q")].map((r) => r.position), [101]);
  await log.close();
});

test("with position, a record still being appended is compared, not dropped", async () => {
  const log = await MultiRecordLog.open("/d", {
    fileAdapter: new MemoryFileAdapter(),
  });
  await log.createQueue("q");
  const text = new TextEncoder();
  const pending = log.appendRecord("q", undefined, text.encode("x"));
  const writer = log.writable("q", { position: 0 }).getWriter();
  await assert.rejects(
    writer.write([text.encode("a"), text.encode("b")]),
    PositionInPastError,
  );
  await pending;
  assert.deepEqual(
    [...log.range("q")].map((r) => new TextDecoder().decode(r.payload)),
    ["x"],
  );
  await log.close();
});
