import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RecordBatchStream } from "../../src/streams/record_batch_stream.ts";
import { isPending, tick } from "../support/waiting.ts";

function record(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

/** A stream of batches of one record and its writer, whose first write waits for a reader. */
function blockedWrite(): {
  stream: RecordBatchStream;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  blocked: Promise<void>;
} {
  const stream = new RecordBatchStream({ maxRecords: 1 });
  const writer = stream.writable.getWriter();
  return { stream, writer, blocked: writer.write(record(1)) };
}

describe("RecordBatchStream", () => {
  test("groups the records written while nobody reads into one batch", async () => {
    const stream = new RecordBatchStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const records = [record(1), record(2, 3), record(), record(4)];
    for (const r of records) await writer.write(r);
    const { value } = await reader.read();
    assert.equal(value!.length, records.length);
    // The very same arrays: nothing copied.
    value!.forEach((r, i) => assert.equal(r, records[i]));
    await writer.close();
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  test("a read waiting gets the next record at once, alone", async () => {
    const stream = new RecordBatchStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const read = reader.read();
    assert.ok(await isPending(read));
    await writer.write(record(9));
    assert.deepEqual((await read).value, [record(9)]);
    await writer.write(record(1));
    await writer.write(record(2));
    assert.deepEqual((await reader.read()).value, [record(1), record(2)]);
    await writer.close();
    assert.equal((await reader.read()).done, true);
  });

  test("applies backpressure when a batch reaches maxRecords", async () => {
    const stream = new RecordBatchStream({ maxRecords: 3 });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    await writer.write(record(1));
    await writer.write(record(2));
    const third = writer.write(record(3));
    assert.ok(await isPending(third));
    assert.ok(writer.desiredSize! <= 0);
    assert.deepEqual((await reader.read()).value, [
      record(1),
      record(2),
      record(3),
    ]);
    await third;
    await writer.write(record(4));
    await writer.close();
    assert.deepEqual((await reader.read()).value, [record(4)]);
    assert.equal((await reader.read()).done, true);
  });

  test("applies backpressure when a batch reaches maxBytes", async () => {
    const stream = new RecordBatchStream({ maxBytes: 10 });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    await writer.write(new Uint8Array(6));
    const second = writer.write(new Uint8Array(6));
    assert.ok(await isPending(second));
    const { value } = await reader.read();
    assert.deepEqual(value!.map((r) => r.length), [6, 6]);
    await second;
    await writer.close();
    assert.equal((await reader.read()).done, true);
  });

  test("closing emits the pending batch, then ends; nothing pending emits nothing", async () => {
    const stream = new RecordBatchStream();
    const writer = stream.writable.getWriter();
    await writer.write(record(1));
    await writer.close();
    assert.deepEqual(await Array.fromAsync(stream.readable), [[record(1)]]);

    const empty = new RecordBatchStream();
    await empty.writable.close();
    assert.deepEqual(await Array.fromAsync(empty.readable), []);
  });

  test("aborting the writable side errors the readable side", async () => {
    const stream = new RecordBatchStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    await writer.write(record(1));
    const reason = new Error("stop");
    await writer.abort(reason);
    await assert.rejects(reader.read(), (e) => e === reason);
  });

  test("aborting frees a write blocked on a full batch", async () => {
    const { stream, writer, blocked } = blockedWrite();
    assert.ok(await isPending(blocked));
    const reason = new Error("stop");
    await writer.abort(reason);
    await blocked;
    await assert.rejects(
      stream.readable.getReader().read(),
      (e) => e === reason,
    );
  });

  test("cancelling the readable side errors the writable side and frees a blocked write", async () => {
    const { stream, writer, blocked } = blockedWrite();
    assert.ok(await isPending(blocked));
    const reason = new Error("enough");
    await stream.readable.cancel(reason);
    await blocked;
    await assert.rejects(writer.write(record(2)), (e) => e === reason);
    await assert.rejects(writer.closed, (e) => e === reason);
  });

  test("rejects chunks that are not Uint8Array", async () => {
    const stream = new RecordBatchStream();
    const writer = stream.writable.getWriter();
    await assert.rejects(
      writer.write("text" as unknown as Uint8Array),
      TypeError,
    );
    await assert.rejects(stream.readable.getReader().read(), TypeError);
  });

  test("rejects bad options", () => {
    assert.throws(() => new RecordBatchStream({ maxRecords: 0 }), RangeError);
    assert.throws(() => new RecordBatchStream({ maxBytes: 1.5 }), RangeError);
    assert.throws(
      () => new RecordBatchStream({ maxRecords: "2" as unknown as number }),
      RangeError,
    );
  });

  test("piped into a slow sink, keeps every record in order and groups them", async () => {
    const records = Array.from(
      { length: 2000 },
      (_, i) => record(i & 0xff, i >> 8),
    );
    const batches: Uint8Array[][] = [];
    await ReadableStream.from(records)
      .pipeThrough(new RecordBatchStream({ maxRecords: 64 }))
      .pipeTo(
        new WritableStream({
          async write(batch): Promise<void> {
            batches.push(batch);
            await tick();
          },
        }),
      );
    const flat = batches.flat();
    assert.equal(flat.length, records.length);
    flat.forEach((r, i) => assert.equal(r, records[i]));
    assert.ok(batches.every((b) => b.length >= 1 && b.length <= 64));
    assert.ok(
      batches.length < records.length / 4,
      `${batches.length} batches for ${records.length} records`,
    );
  });
});
