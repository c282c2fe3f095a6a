import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogClosedError, MissingQueueError } from "../../src/errors.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import type { LogRecord } from "../../src/log/mem_queue.ts";
import {
  MultiRecordLog,
  type OpenOptions,
} from "../../src/log/multi_record_log.ts";
import { countListeners } from "../support/log_state.ts";
import { isPending, tick } from "../support/waiting.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { text, utf8 } from "../support/bytes.ts";

async function openLog(options: OpenOptions = {}): Promise<MultiRecordLog> {
  const log = await MultiRecordLog.open("/wal", {
    ...options,
    fileAdapter: new MemoryFileAdapter(),
  });
  await log.createQueue("q");
  return log;
}

/** Appends records whose payload is their position, as text. */
async function appendNumbered(
  log: MultiRecordLog,
  count: number,
  queue = "q",
): Promise<void> {
  const next = (log.lastPosition(queue) ?? -1) + 1;
  const payloads = Array.from({ length: count }, (_, i) => utf8(`${next + i}`));
  await log.appendRecords(queue, undefined, payloads);
}

function positions(records: LogRecord[]): number[] {
  return records.map((r) => r.position);
}

/** The positions of the next `count` records `reader` reads. */
async function readPositions(
  reader: ReadableStreamDefaultReader<LogRecord>,
  count: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push((await reader.read()).value!.position);
  }
  return out;
}

/** How long a read or write must stay pending to count as waiting. */
const PENDING_MS = 10;

describe("createQueueReadable", () => {
  test("reads the records from `from` to `to`, both inclusive", async () => {
    await using log = await openLog();
    await appendNumbered(log, 10);
    const all = await Array.fromAsync(log.readable("q"));
    assert.deepEqual(positions(all), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(all.map((r) => text(r.payload)), [
      ..."0123456789",
    ]);
    const some = await Array.fromAsync(
      log.readable("q", { from: 3, to: 6 }),
    );
    assert.deepEqual(positions(some), [3, 4, 5, 6]);
    const past = await Array.fromAsync(
      log.readable("q", { from: 20 }),
    );
    assert.deepEqual(past, []);
  });

  test("payloads are views of the log's memory", async () => {
    await using log = await openLog();
    await appendNumbered(log, 2);
    const [first] = await Array.fromAsync(log.readable("q"));
    const [held] = log.range("q", { from: 0, to: 0 });
    assert.equal(first.payload.buffer, held.payload.buffer);
    assert.equal(first.payload.byteOffset, held.payload.byteOffset);
  });

  test("without follow, ends at the last position when created", async () => {
    await using log = await openLog();
    assert.deepEqual(await Array.fromAsync(log.readable("q")), []);
    await appendNumbered(log, 3);
    const stream = log.readable("q", { highWaterMark: 0 });
    await appendNumbered(log, 3);
    assert.deepEqual(positions(await Array.fromAsync(stream)), [0, 1, 2]);
  });

  test("skips records truncated before it reaches them", async () => {
    await using log = await openLog();
    await appendNumbered(log, 10);
    const reader = log.readable("q", { highWaterMark: 0 })
      .getReader();
    assert.equal((await reader.read()).value!.position, 0);
    assert.equal((await reader.read()).value!.position, 1);
    await log.truncate("q", 5);
    assert.equal((await reader.read()).value!.position, 6);
    await log.truncate("q", 9);
    assert.equal((await reader.read()).done, true);
  });

  test("a slow reader's stream holds at most highWaterMark records", async () => {
    for (const follow of [false, true]) {
      await using log = await openLog();
      await appendNumbered(log, 100);
      const reader = log.readable("q", {
        highWaterMark: 4,
        follow,
      }).getReader();
      await tick();
      // Whatever the stream did not take yet is gone.
      await log.truncate("q", 49);
      const taken = await readPositions(reader, 4);
      assert.deepEqual(taken, [0, 1, 2, 3]);
      // Then it goes on from what is left.
      assert.equal((await reader.read()).value!.position, 50);
      // Reading one lets it take one more, no further: 54 if its pull ran
      // before the truncation (a pull may first pause, for as long as a
      // loaded machine's event loop takes), never 55.
      await tick();
      await log.truncate("q", 99);
      assert.deepEqual(await readPositions(reader, 3), [51, 52, 53]);
      const next = reader.read();
      if (follow) {
        if (!await isPending(next, PENDING_MS)) {
          assert.equal((await next).value!.position, 54);
          assert.ok(await isPending(reader.read(), PENDING_MS));
        }
        await reader.cancel();
      } else {
        const last = await next;
        if (!last.done) {
          assert.equal(last.value.position, 54);
          assert.equal((await reader.read()).done, true);
        }
      }
    }
  });

  test("follow: delivers the records appended later, then ends at `to`", async () => {
    await using log = await openLog();
    const listeners = countListeners(log);
    const reader = log.readable("q", { follow: true, to: 6 })
      .getReader();
    const first = reader.read();
    assert.ok(await isPending(first, PENDING_MS));
    await appendNumbered(log, 1);
    assert.equal((await first).value!.position, 0);
    await appendNumbered(log, 3);
    await log.createQueue("other");
    await appendNumbered(log, 5, "other");
    await appendNumbered(log, 10);
    const seen: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen.push(value.position);
      assert.equal(text(value.payload), `${value.position}`);
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
    assert.equal(listeners(), 0);
  });

  test("follow: ends when `to` is truncated away while waiting", async () => {
    await using log = await openLog();
    await appendNumbered(log, 2);
    const reader = log.readable("q", {
      follow: true,
      to: 5,
      highWaterMark: 0,
    }).getReader();
    assert.equal((await reader.read()).value!.position, 0);
    assert.equal((await reader.read()).value!.position, 1);
    const waiting = reader.read();
    assert.ok(await isPending(waiting, PENDING_MS));
    await log.truncate("q", 7);
    assert.equal((await waiting).done, true);
  });

  test("follow: deleting the queue closes the stream", async () => {
    await using log = await openLog();
    const listeners = countListeners(log);
    await appendNumbered(log, 1);
    const reader = log.readable("q", { follow: true })
      .getReader();
    assert.equal((await reader.read()).value!.position, 0);
    const waiting = reader.read();
    assert.ok(await isPending(waiting, PENDING_MS));
    await log.deleteQueue("q");
    assert.equal((await waiting).done, true);
    assert.equal(listeners(), 0);
  });

  test("follow: closing the log closes the stream", async () => {
    const log = await openLog();
    const listeners = countListeners(log);
    const readers = [0, 1, 2].map(() =>
      log.readable("q", { follow: true }).getReader()
    );
    const reads = readers.map((reader) => reader.read());
    for (const read of reads) assert.ok(await isPending(read, PENDING_MS));
    await log.close();
    for (const read of reads) assert.equal((await read).done, true);
    assert.equal(listeners(), 0);
  });

  test("follow: cancelling stops waiting and unsubscribes", async () => {
    await using log = await openLog();
    const listeners = countListeners(log);
    const reader = log.readable("q", { follow: true })
      .getReader();
    const waiting = reader.read();
    assert.ok(await isPending(waiting, PENDING_MS));
    assert.equal(listeners(), 1);
    await reader.cancel();
    assert.equal((await waiting).done, true);
    assert.equal(listeners(), 0);
    await appendNumbered(log, 1);
  });

  test("follow: in order, no duplicates, no losses, none delivered after its truncation", async () => {
    for (const highWaterMark of [0, 1, 16]) {
      await using log = await openLog();
      const total = 1500;
      const random = mulberry32(highWaterMark + 1);
      let truncatedTo = -1;
      const reader = log.readable("q", {
        follow: true,
        to: total - 1,
        highWaterMark,
      }).getReader();

      const writing = (async () => {
        for (let written = 0; written < total;) {
          const count = Math.min(1 + Math.floor(random() * 5), total - written);
          await appendNumbered(log, count);
          written += count;
          if (random() < 0.3) await tick();
        }
      })();
      let stop = false;
      const truncating = (async () => {
        while (!stop) {
          await tick(random() < 0.5 ? 0 : 1);
          const last = log.lastPosition("q");
          // Never the last record: the reader must reach `to`.
          if (last === undefined || last >= total - 1) continue;
          const position = Math.floor(random() * (last + 1));
          if (position <= truncatedTo) continue;
          truncatedTo = position; // Takes effect as truncate() is called.
          await log.truncate("q", position);
        }
      })();

      // Truncation points as each read was asked for.
      const floors: number[] = [];
      const seen: number[] = [];
      for (;;) {
        floors.push(truncatedTo);
        const { done, value } = await reader.read();
        if (done) break;
        const k = seen.length;
        const p = value.position;
        assert.equal(text(value.payload), `${p}`);
        if (k > 0) assert.ok(p > seen[k - 1], `${p} after ${seen[k - 1]}`);
        // The record was taken from the log after read number k - hwm was
        // asked for, so it was not truncated then.
        if (k >= highWaterMark) {
          assert.ok(p > floors[k - highWaterMark], `${p} was truncated`);
        }
        // Positions skipped were truncated before this one was delivered.
        const previous = k > 0 ? seen[k - 1] : -1;
        if (p > previous + 1) {
          assert.ok(truncatedTo >= p - 1, `lost ${previous + 1}..${p - 1}`);
        }
        seen.push(p);
        if (random() < 0.1) await tick();
      }
      stop = true;
      await writing;
      await truncating;
      assert.equal(seen.at(-1), total - 1);
      assert.ok(seen.length > 0);
    }
  });

  test("a missing queue or a closed log throws at creation; bad options throw", async () => {
    const log = await openLog();
    assert.throws(() => log.readable("nope"), MissingQueueError);
    assert.throws(
      () => log.readable("q", { from: -1 }),
      RangeError,
    );
    assert.throws(() => log.readable("q", { to: 0.5 }), RangeError);
    assert.throws(
      () => log.readable("q", { follow: 1 as unknown as boolean }),
      TypeError,
    );
    assert.throws(
      () => log.readable("q", { highWaterMark: -1 }),
      RangeError,
    );
    await log.close();
    assert.throws(() => log.readable("q"), LogClosedError);
  });

  test("without follow, a queue deleted while reading ends the stream", async () => {
    await using log = await openLog();
    await appendNumbered(log, 10);
    const reader = log.readable("q", { highWaterMark: 0 })
      .getReader();
    assert.equal((await reader.read()).value!.position, 0);
    await log.deleteQueue("q");
    assert.equal((await reader.read()).done, true);
  });
});

describe("log.readable and log.writable across a delete and re-create", () => {
  const text = new TextEncoder();
  test("a follower stops at the delete and never reads the new queue of the same name", async () => {
    const log = await MultiRecordLog.open("/d", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    await log.appendRecords("q", undefined, [
      text.encode("old0"),
      text.encode("old1"),
    ]);
    const reader = log.readable("q", { follow: true, highWaterMark: 0 })
      .getReader();
    assert.equal((await reader.read()).value?.position, 0);
    const deleted = log.deleteQueue("q");
    await log.createQueue("q");
    await deleted;
    for (let i = 0; i < 3; i++) {
      await log.appendRecord("q", undefined, text.encode(`new${i}`));
    }
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
    await log.close();
  });

  test("a writable errors at the delete and never appends to the new queue", async () => {
    const log = await MultiRecordLog.open("/d", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    const writer = log.writable("q").getWriter();
    await writer.write(text.encode("old"));
    const deleted = log.deleteQueue("q");
    await log.createQueue("q");
    await deleted;
    await assert.rejects(writer.write(text.encode("stray")), MissingQueueError);
    assert.deepEqual([...log.range("q")], []);
    await log.close();
  });
});
