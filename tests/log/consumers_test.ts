import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ConsumerAlreadyExistsError,
  type LogRecord,
  MemoryFileAdapter,
  MissingConsumerError,
  MissingQueueError,
  MultiRecordLog,
  type OpenOptions,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { STATE_QUEUE_PREFIX } from "../../src/log/state_queue_names.ts";
import { text, utf8 } from "../support/bytes.ts";
import { walNumbers } from "../support/log_state.ts";
import { isPending } from "../support/waiting.ts";

const DIR = "/wal";

function openMem(
  fs: MemoryFileAdapter,
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  return MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    onWarning: () => {},
    ...options,
  });
}

/** A log with queue "q" holding records "r0".."r<count-1>" at positions 0.. */
async function withRecords(
  fs: MemoryFileAdapter,
  count: number,
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  const log = await openMem(fs, options);
  await log.createQueue("q");
  for (let i = 0; i < count; i++) {
    await log.appendRecord("q", undefined, utf8(`r${i}`));
  }
  return log;
}

/** The positions `range` gives for "q". */
function positions(log: MultiRecordLog): number[] {
  return [...log.range("q")].map((r) => r.position);
}

/** Reads up to `count` records of a stream, then cancels it. */
async function take(
  stream: ReadableStream<LogRecord>,
  count: number,
): Promise<string[]> {
  const out: string[] = [];
  const reader = stream.getReader();
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    out.push(`${value.position}:${text(value.payload)}`);
  }
  await reader.cancel();
  return out;
}

describe("consumers: create, list, delete", () => {
  it("starts at the queue's first record held by default, or at from", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 5);
    await log.truncate("q", 1);
    await log.createConsumer("q", "a");
    await log.createConsumer("q", "b", { from: 4 });
    await log.createConsumer("q", "c", { from: 100 });
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: undefined, lag: 3 },
      { name: "b", acked: undefined, lag: 1 },
      { name: "c", acked: undefined, lag: 0 },
    ]);
    assert.deepEqual(await take(log.readable("q", { consumer: "a" }), 9), [
      "2:r2",
      "3:r3",
      "4:r4",
    ]);
    assert.deepEqual(await take(log.readable("q", { consumer: "b" }), 9), [
      "4:r4",
    ]);
    await log.close();
  });

  it("refuses a name taken, a missing queue or consumer, and bad arguments, writing nothing", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 2);
    await log.createConsumer("q", "a");
    const written = fs.stats.bytesWritten;
    await assert.rejects(log.createConsumer("q", "a"), (e: unknown) => {
      assert.ok(e instanceof ConsumerAlreadyExistsError);
      assert.equal(e.name, "ConsumerAlreadyExistsError");
      assert.equal(e.queue, "q");
      assert.equal(e.consumer, "a");
      return true;
    });
    await assert.rejects(log.createConsumer("nope", "a"), MissingQueueError);
    await assert.rejects(log.deleteConsumer("q", "b"), (e: unknown) => {
      assert.ok(e instanceof MissingConsumerError);
      assert.equal(e.name, "MissingConsumerError");
      assert.equal(e.consumer, "b");
      return true;
    });
    await assert.rejects(log.ack("q", "b", 0), MissingConsumerError);
    assert.throws(
      () => log.readable("q", { consumer: "b" }),
      MissingConsumerError,
    );
    await assert.rejects(log.createConsumer("q", ""), RangeError);
    await assert.rejects(log.createConsumer("q", 7 as never), TypeError);
    await assert.rejects(log.createConsumer("q", "x".repeat(1025)), RangeError);
    await assert.rejects(log.createConsumer("q", "\ud800"), TypeError);
    await assert.rejects(
      log.createConsumer("q", "b", { from: -1 }),
      RangeError,
    );
    assert.throws(
      () => log.readable("q", { consumer: "a", from: 0 }),
      TypeError,
    );
    assert.throws(() => log.listConsumers("nope"), MissingQueueError);
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    assert.deepEqual(log.listConsumers("q").map((c) => c.name), ["a"]);
    await log.close();
  });

  it("deleting a consumer lets the others truncate the queue; its stream closes", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 6);
    await log.createConsumer("q", "a");
    await log.createConsumer("q", "slow");
    await log.ack("q", "a", 3);
    assert.deepEqual(positions(log), [0, 1, 2, 3, 4, 5]);
    const reader = log.readable("q", { consumer: "slow", follow: true })
      .getReader();
    for (let i = 0; i < 6; i++) assert.equal((await reader.read()).done, false);
    const end = reader.read();
    assert.equal(await isPending(end), true);
    await log.deleteConsumer("q", "slow");
    await log.appendRecord("q", undefined, utf8("r6"));
    assert.deepEqual(await end, { done: true, value: undefined });
    assert.deepEqual(positions(log), [4, 5, 6]);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 3, lag: 3 },
    ]);
    await log.close();
  });
});

describe("consumers: acks", () => {
  it("move forward only: an older position is a no-op, one past the last is a RangeError", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 5);
    await log.createConsumer("q", "a", { from: 2 });
    assert.equal((await log.ack("q", "a", 1)).walBytesWritten, 0);
    assert.equal(log.listConsumers("q")[0].acked, undefined);
    assert.ok((await log.ack("q", "a", 3)).walBytesWritten > 0);
    assert.equal((await log.ack("q", "a", 2)).walBytesWritten, 0);
    assert.equal((await log.ack("q", "a", 3)).walBytesWritten, 0);
    await assert.rejects(log.ack("q", "a", 5), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /past the last position .* \(4\)/);
      return true;
    });
    await assert.rejects(log.ack("q", "a", -1), RangeError);
    await assert.rejects(log.ack("q", "a", 1.5), RangeError);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 3, lag: 1 },
    ]);
    assert.deepEqual(await take(log.readable("q", { consumer: "a" }), 9), [
      "4:r4",
    ]);
    await log.close();
  });

  it("truncate the queue to the lowest ack once every consumer acknowledged something", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 10);
    await log.createConsumer("q", "a");
    await log.createConsumer("q", "b");
    await log.ack("q", "a", 6);
    assert.deepEqual(positions(log).length, 10); // b acknowledged nothing
    await log.ack("q", "b", 2);
    assert.deepEqual(positions(log), [3, 4, 5, 6, 7, 8, 9]);
    await log.ack("q", "b", 8);
    assert.deepEqual(positions(log), [7, 8, 9]);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 6, lag: 3 },
      { name: "b", acked: 8, lag: 1 },
    ]);
    await log.close();
  });

  it("are durable like appends: fsynced under always/fsync, and group-committed with appends", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 3, {
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createConsumer("q", "a");
    const syncs = fs.stats.syncs;
    const results = await Promise.all([
      log.ack("q", "a", 0),
      log.appendRecord("q", undefined, utf8("r3")),
      log.ack("q", "a", 1),
    ]);
    assert.equal(fs.stats.syncs, syncs + 1);
    assert.equal(results[1].lastPosition, 3);
    // A power loss keeps what resolved.
    const after = fs.crash({ mode: "drop" });
    await log.close().catch(() => {}); // its disk is gone
    const again = await openMem(after);
    assert.deepEqual(again.listConsumers("q"), [
      { name: "a", acked: 1, lag: 2 },
    ]);
    assert.deepEqual(positions(again), [2, 3]);
    await again.close();
  });

  it("an operator's truncate past a consumer: it continues from the first record held", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 6);
    await log.createConsumer("q", "a");
    await log.ack("q", "a", 1);
    await log.truncate("q", 3);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 1, lag: 2 },
    ]);
    assert.deepEqual(await take(log.readable("q", { consumer: "a" }), 9), [
      "4:r4",
      "5:r5",
    ]);
    await log.ack("q", "a", 2); // truncated away, still forward
    assert.equal(log.listConsumers("q")[0].acked, 2);
    await log.close();
  });

  it("a follower that reconnects gets every record after the last ack again", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 4);
    await log.createConsumer("q", "a");
    const first = log.readable("q", { consumer: "a", follow: true });
    const got = await take(first, 3); // read 0..2, processed 0 and 1 only
    assert.deepEqual(got, ["0:r0", "1:r1", "2:r2"]);
    await log.ack("q", "a", 1);
    const second = log.readable("q", { consumer: "a", follow: true });
    const pending = take(second, 3);
    await log.appendRecord("q", undefined, utf8("r4"));
    assert.deepEqual(await pending, ["2:r2", "3:r3", "4:r4"]);
    await log.close();
  });
});

describe("consumers: storage", () => {
  it("survive reopen; 3,000 acks over files of one block are one record in a hidden state queue, and old files go", async () => {
    const fs = new MemoryFileAdapter();
    const segmentBytes = BLOCK_SIZE;
    let log = await withRecords(fs, 0, { segmentBytes });
    await log.createConsumer("q", "a");
    for (let i = 0; i < 3000; i++) {
      await log.appendRecord("q", undefined, utf8(`r${i}`));
      await log.ack("q", "a", i);
    }
    const stateQueue = STATE_QUEUE_PREFIX + "q";
    assert.deepEqual(log.listQueues(), ["q"]);
    assert.deepEqual(log.listQueues({ internal: true }), [stateQueue, "q"]);
    assert.deepEqual(Object.keys(log.summary().queues), ["q"]);
    const internal = log.summary({ internal: true }).queues[stateQueue];
    assert.equal(internal.recordCount, 1);
    assert.throws(() => log.queueExists(stateQueue), /reserved/);
    assert.ok(walNumbers(fs, DIR).length <= 2, `${walNumbers(fs, DIR)}`);
    assert.equal(log.retainedBytes, 0);
    log = await (async () => {
      await log.close();
      return await openMem(fs, { segmentBytes });
    })();
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 2999, lag: 0 },
    ]);
    assert.deepEqual(positions(log), []);
    assert.equal(log.lastPosition("q"), 2999);
    await log.close();
  });

  it("refuses queue names starting with U+0000 for user queues", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 1);
    await log.createConsumer("q", "a");
    const stateQueue = STATE_QUEUE_PREFIX + "q";
    for (const name of [stateQueue, "\u0000x"]) {
      await assert.rejects(log.createQueue(name), /reserved/);
      await assert.rejects(
        log.appendRecord(name, undefined, utf8("x")),
        /reserved/,
      );
      await assert.rejects(log.truncate(name, 0), /reserved/);
      await assert.rejects(log.deleteQueue(name), /reserved/);
      assert.throws(() => log.range(name), /reserved/);
      assert.throws(() => log.queueExists(name), /reserved/);
    }
    await log.close();
  });

  it("deleting a queue deletes its consumers and retention; the name re-created starts clean", async () => {
    const fs = new MemoryFileAdapter();
    let log = await withRecords(fs, 3);
    await log.createConsumer("q", "a");
    await log.ack("q", "a", 0);
    await log.setRetention("q", { maxRecords: 10, discard: "old" });
    await log.deleteQueue("q");
    assert.deepEqual(log.listQueues({ internal: true }), []);
    await log.createQueue("q");
    assert.deepEqual(log.listConsumers("q"), []);
    assert.equal(log.retention("q"), undefined);
    await log.close();
    log = await openMem(fs);
    assert.deepEqual(log.listConsumers("q"), []);
    assert.equal(log.retention("q"), undefined);
    assert.deepEqual(log.listQueues({ internal: true }), ["q"]);
    await log.close();
  });

  it("a state record held back in an old file is written again before the file goes", async () => {
    const fs = new MemoryFileAdapter();
    const segmentBytes = BLOCK_SIZE;
    let log = await withRecords(fs, 0, { segmentBytes });
    await log.createConsumer("q", "idle", { from: 0 });
    await log.createQueue("busy");
    for (let i = 0; i < 300; i++) {
      await log.appendRecord("busy", undefined, new Uint8Array(1000));
      if (i % 50 === 49) await log.truncate("busy", i);
    }
    // Only the newest files remain, the consumer's record with them.
    assert.ok(walNumbers(fs, DIR)[0] >= 7, `${walNumbers(fs, DIR)}`);
    await log.close();
    log = await openMem(fs, { segmentBytes });
    assert.deepEqual(log.listConsumers("q"), [
      { name: "idle", acked: undefined, lag: 0 },
    ]);
    await log.close();
  });

  it("a read-only open sees the consumers", async () => {
    const fs = new MemoryFileAdapter();
    const log = await withRecords(fs, 3);
    await log.createConsumer("q", "a");
    await log.ack("q", "a", 1);
    const reader = await openMem(fs, { readOnly: true });
    assert.deepEqual(reader.listConsumers("q"), [
      { name: "a", acked: 1, lag: 1 },
    ]);
    await assert.rejects(reader.ack("q", "a", 2), /read-only/);
    await reader.close();
    await log.close();
  });
});
