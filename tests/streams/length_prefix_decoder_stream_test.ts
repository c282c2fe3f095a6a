import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LengthPrefixDecoderStream } from "../../src/streams/length_prefix_decoder_stream.ts";
import { LengthPrefixEncoderStream } from "../../src/streams/length_prefix_encoder_stream.ts";
import { RecordTooLargeError, TruncatedInputError } from "../../src/errors.ts";
import { lengthPrefixed } from "../support/bytes.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { pipeChunks } from "../support/pipe_chunks.ts";

/** Frames `records` by hand: u32 LE length, then bytes. */
function frame(...records: number[][]): Uint8Array {
  return lengthPrefixed(records.map((record) => new Uint8Array(record)));
}

/** Cuts `bytes` into chunks of the given sizes (the last one repeats). */
function cut(bytes: Uint8Array, ...sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[Math.min(i, sizes.length - 1)];
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

const decode = (chunks: Uint8Array[], maxRecordBytes?: number) =>
  pipeChunks(new LengthPrefixDecoderStream({ maxRecordBytes }), chunks);
const arrays = (records: Uint8Array[]) => records.map((record) => [...record]);

describe("LengthPrefixDecoderStream", () => {
  test("decodes a chunk holding many records, including empty ones", async () => {
    const records = await decode([frame([1, 2, 3], [], [4], [])]);
    assert.deepEqual(arrays(records), [[1, 2, 3], [], [4], []]);
    assert.ok(records[1] instanceof Uint8Array);
  });

  test("emits a record within one chunk as a view of it (zero copy)", async () => {
    const chunk = frame([1, 2, 3], [4, 5]);
    const [first, second] = await decode([chunk]);
    assert.equal(first.buffer, chunk.buffer);
    assert.equal(first.byteOffset, 4);
    assert.equal(second.buffer, chunk.buffer);
    assert.equal(second.byteOffset, 11);
  });

  test("assembles a record split across many chunks", async () => {
    const bytes = frame([1, 2, 3, 4, 5, 6, 7], [8, 9]);
    const expected = [[1, 2, 3, 4, 5, 6, 7], [8, 9]];
    for (const sizes of [[1], [2], [3], [5, 1], [6, 3, 100]]) {
      const records = await decode(cut(bytes, ...sizes));
      assert.deepEqual(arrays(records), expected, `chunk sizes ${sizes}`);
    }
    // A spanning record is one buffer of its exact size.
    const [record] = await decode(cut(bytes, 1));
    assert.equal(record.buffer.byteLength, 7);
  });

  test("a prefix split across chunks then a whole payload is a view", async () => {
    const bytes = frame([1, 2, 3]);
    const tail = bytes.slice(2);
    const [record] = await decode([bytes.slice(0, 2), tail]);
    assert.equal(record.buffer, tail.buffer);
    assert.deepEqual([...record], [1, 2, 3]);
  });

  test("errors with TruncatedInputError on a cut length prefix", async () => {
    const bytes = frame([1, 2], [3]).subarray(0, 6 + 2);
    await assert.rejects(decode(cut(bytes, 1)), (error: unknown) => {
      assert.ok(error instanceof TruncatedInputError);
      assert.equal(error.name, "TruncatedInputError");
      assert.equal(error.part, "length prefix");
      assert.equal(error.expectedBytes, 4);
      assert.equal(error.receivedBytes, 2);
      assert.match(error.message, /expected 4 bytes, got 2/);
      return true;
    });
  });

  test("errors with TruncatedInputError on a cut record", async () => {
    const bytes = frame([1, 2, 3, 4, 5]).subarray(0, 4 + 3);
    for (const chunks of [[bytes], cut(bytes, 1), cut(bytes, 5)]) {
      await assert.rejects(decode(chunks), (error: unknown) => {
        assert.ok(error instanceof TruncatedInputError);
        assert.equal(error.part, "record");
        assert.equal(error.expectedBytes, 5);
        assert.equal(error.receivedBytes, 3);
        return true;
      });
    }
    // A prefix announcing bytes that never come at all.
    await assert.rejects(
      decode([frame([1]).subarray(0, 4)]),
      TruncatedInputError,
    );
  });

  test("errors with RecordTooLargeError on reading a prefix over the limit", async () => {
    assert.deepEqual(arrays(await decode([frame([1, 2, 3, 4])], 4)), [[
      1,
      2,
      3,
      4,
    ]]);
    await assert.rejects(
      decode([frame([1, 2, 3, 4, 5])], 4),
      (error: unknown) => {
        assert.ok(error instanceof RecordTooLargeError);
        assert.equal(error.name, "RecordTooLargeError");
        assert.equal(error.limitBytes, 4);
        assert.equal(error.recordBytes, 5);
        assert.match(error.message, /4 bytes/);
        return true;
      },
    );
    // Immediately: the prefix alone is enough, no payload is awaited.
    const { writable, readable } = new LengthPrefixDecoderStream({
      maxRecordBytes: 1024,
    });
    const reading = readable.getReader().read();
    const writer = writable.getWriter();
    await writer.write(new Uint8Array([0xff, 0xff]));
    await assert.rejects(
      writer.write(new Uint8Array([0xff, 0xff])),
      RecordTooLargeError,
    );
    await assert.rejects(reading, RecordTooLargeError);
  });

  test("validates options and chunks", async () => {
    for (const maxRecordBytes of [0, -1, 1.5, NaN]) {
      assert.throws(
        () => new LengthPrefixDecoderStream({ maxRecordBytes }),
        RangeError,
      );
    }
    await assert.rejects(
      decode([[1, 0, 0, 0] as unknown as Uint8Array]),
      TypeError,
    );
  });

  test("round-trips random records through encoder and random rechunking", async () => {
    for (const seed of [1, 2, 3, 42, 2024]) {
      const random = mulberry32(seed);
      const records: Uint8Array[] = [];
      for (let i = 0; i < 200; i++) {
        const size = random() < 0.1
          ? Math.floor(random() * 5000)
          : Math.floor(random() * 40);
        const record = new Uint8Array(size);
        for (let j = 0; j < size; j++) record[j] = Math.floor(random() * 256);
        records.push(record);
      }
      const framed = await pipeChunks(new LengthPrefixEncoderStream(), records);
      const bytes = new Uint8Array(
        framed.reduce((sum, c) => sum + c.length, 0),
      );
      let offset = 0;
      for (const chunk of framed) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = random() < 0.3 ? 1 : 1 + Math.floor(random() * 700);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      assert.deepEqual(
        arrays(await decode(chunks)),
        arrays(records),
        `seed ${seed}`,
      );
    }
  });

  test("pipes encoder output straight into the decoder", async () => {
    const records = [
      new Uint8Array([5, 6]),
      new Uint8Array(0),
      new Uint8Array(300).fill(7),
    ];
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const record of records) controller.enqueue(record);
        controller.close();
      },
    });
    const out: Uint8Array[] = [];
    const piped = source
      .pipeThrough(new LengthPrefixEncoderStream())
      .pipeThrough(new LengthPrefixDecoderStream());
    for await (const record of piped) out.push(record);
    assert.deepEqual(arrays(out), arrays(records));
  });
});
