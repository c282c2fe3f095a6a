// Where a consumer starts (`createConsumer`'s `from`): past the queue's end
// (it waits there, like a JetStream consumer's start sequence not yet
// reached), or before the first record held (it reads from the first record
// held), and what that means for its acks, its lag and the queue's
// truncation, before and after reopening.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type LogRecord,
  MemoryFileAdapter,
  MultiRecordLog,
} from "../../mod.ts";
import { text, utf8 } from "../support/bytes.ts";
import { isPending } from "../support/waiting.ts";

const DIR = "/wal";

function openMem(fs: MemoryFileAdapter): Promise<MultiRecordLog> {
  return MultiRecordLog.open(DIR, { fileAdapter: fs, onWarning: () => {} });
}

/** Appends "r<position>" to queue "q" until its next position is `next`. */
async function appendUntil(log: MultiRecordLog, next: number): Promise<void> {
  for (let at = (log.lastPosition("q") ?? -1) + 1; at < next; at++) {
    await log.appendRecord("q", undefined, utf8(`r${at}`));
  }
}

/** The positions `range` gives for "q". */
function positions(log: MultiRecordLog): number[] {
  return [...log.range("q")].map((r) => r.position);
}

/** "position:payload" of a record. */
function show(record: LogRecord): string {
  return `${record.position}:${text(record.payload)}`;
}

describe("a consumer created with from past the queue's end", () => {
  it("waits there: the records before from, appended later, are never delivered to it", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    await appendUntil(log, 3);
    await log.createConsumer("q", "late", { from: 6 });
    assert.deepEqual(log.listConsumers("q"), [
      { name: "late", acked: undefined, lag: 0 },
    ]);
    const reader = log.readable("q", { consumer: "late", follow: true })
      .getReader();
    const first = reader.read();
    await appendUntil(log, 6); // positions 3..5: before its from
    assert.equal(await isPending(first), true);
    assert.equal(log.listConsumers("q")[0].lag, 0);
    await appendUntil(log, 8);
    assert.equal(show((await first).value!), "6:r6");
    assert.equal(show((await reader.read()).value!), "7:r7");
    await reader.cancel();
    assert.equal(log.listConsumers("q")[0].lag, 2);
    await log.close();
  });

  it("an ack below from is a no-op, writing nothing; one past the last position is a RangeError", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    await appendUntil(log, 3);
    await log.createConsumer("q", "late", { from: 10 });
    await assert.rejects(log.ack("q", "late", 5), RangeError); // past 2
    await appendUntil(log, 8);
    assert.equal((await log.ack("q", "late", 5)).walBytesWritten, 0);
    assert.equal((await log.ack("q", "late", 7)).walBytesWritten, 0);
    assert.equal(log.listConsumers("q")[0].acked, undefined);
    await log.close();
  });

  it("holds the whole queue until it acknowledges a position from on, then truncation follows its ack", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openMem(fs);
    await log.createQueue("q");
    await appendUntil(log, 3);
    await log.createConsumer("q", "late", { from: 6 });
    await log.createConsumer("q", "a");
    await appendUntil(log, 9);
    await log.ack("q", "a", 8);
    // "late" acknowledged nothing yet: the queue keeps every record.
    assert.deepEqual(positions(log), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    await log.close();
    log = await openMem(fs);
    assert.deepEqual(positions(log), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "a", acked: 8, lag: 0 },
      { name: "late", acked: undefined, lag: 3 },
    ]);
    assert.deepEqual(
      (await readAll(log.readable("q", { consumer: "late" }))).map(show),
      ["6:r6", "7:r7", "8:r8"],
    );
    await log.ack("q", "late", 6);
    assert.deepEqual(positions(log), [7, 8]);
    await log.close();
  });
});

describe("a consumer created with from before the first record held", () => {
  it("reads from the first record held, and its lag counts the records held", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openMem(fs);
    await log.createQueue("q");
    await appendUntil(log, 6);
    await log.truncate("q", 3);
    await log.createConsumer("q", "early", { from: 0 });
    assert.deepEqual(log.listConsumers("q"), [
      { name: "early", acked: undefined, lag: 2 },
    ]);
    assert.deepEqual(
      (await readAll(log.readable("q", { consumer: "early" }))).map(show),
      ["4:r4", "5:r5"],
    );
    // An ack of a position truncated away still moves it forward.
    await log.ack("q", "early", 1);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "early", acked: 1, lag: 2 },
    ]);
    assert.deepEqual(positions(log), [4, 5]);
    await log.close();
  });
});

/** Every record of a stream that ends. */
async function readAll(
  stream: ReadableStream<LogRecord>,
): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const record of stream) out.push(record);
  return out;
}
