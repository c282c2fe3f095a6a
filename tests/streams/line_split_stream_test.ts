import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LineSplitStream } from "../../src/streams/line_split_stream.ts";
import { RecordTooLargeError } from "../../src/errors.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { pipeChunks } from "../support/pipe_chunks.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Splits `parts` (strings, one chunk each) and decodes the lines. */
async function lines(
  parts: string[],
  options?: ConstructorParameters<typeof LineSplitStream>[0],
): Promise<string[]> {
  const out = await pipeChunks(
    new LineSplitStream(options),
    parts.map((part) => encoder.encode(part)),
  );
  return out.map((line) => decoder.decode(line));
}

describe("LineSplitStream", () => {
  test("splits a chunk holding many lines", async () => {
    assert.deepEqual(await lines(['{"a":1}\n{"b":2}\n{"c":3}\n']), [
      '{"a":1}',
      '{"b":2}',
      '{"c":3}',
    ]);
  });

  test("emits the final line without a newline", async () => {
    assert.deepEqual(await lines(["a\nb"]), ["a", "b"]);
    assert.deepEqual(await lines(["a\n", "b"]), ["a", "b"]);
    assert.deepEqual(await lines(["a\n"]), ["a"]);
    assert.deepEqual(await lines([]), []);
    assert.deepEqual(await lines([""]), []);
  });

  test("removes \\r before \\n only", async () => {
    assert.deepEqual(await lines(["a\r\nb\r", "\nc\r"]), ["a", "b", "c\r"]);
    assert.deepEqual(await lines(["a\rb\n"]), ["a\rb"]);
    assert.deepEqual(await lines(["a", "\r", "\n"]), ["a"]);
  });

  test("skips empty lines by default", async () => {
    assert.deepEqual(await lines(["\n\na\n\r\n\nb\n\n"]), ["a", "b"]);
  });

  test("emits empty lines with skipEmptyLines: false", async () => {
    const out = await lines(["\na\n\r\n", "\n"], { skipEmptyLines: false });
    assert.deepEqual(out, ["", "a", "", ""]);
    const [empty] = await pipeChunks(
      new LineSplitStream({ skipEmptyLines: false }),
      [
        encoder.encode("\n"),
      ],
    );
    assert.ok(empty instanceof Uint8Array);
    assert.equal(empty.length, 0);
  });

  test("joins a line split across many chunks", async () => {
    const text = "hello, wide world\r\nsecond";
    const oneByte = [...text];
    assert.deepEqual(await lines(oneByte), ["hello, wide world", "second"]);
    assert.deepEqual(
      await lines(["hel", "lo", ", wide", " world\r", "\nsec", "ond"]),
      [
        "hello, wide world",
        "second",
      ],
    );
  });

  test("emits a line within one chunk as a view of it (zero copy)", async () => {
    const chunk = encoder.encode("first\nsecond\r\nthi");
    const [first, second, third] = await pipeChunks(new LineSplitStream(), [
      chunk,
      encoder.encode("rd\n"),
    ]);
    assert.equal(first.buffer, chunk.buffer);
    assert.equal(first.byteOffset, 0);
    assert.equal(second.buffer, chunk.buffer);
    assert.equal(second.byteOffset, 6);
    assert.equal(decoder.decode(second), "second");
    // A spanning line is copied once into a buffer of its exact size.
    assert.notEqual(third.buffer, chunk.buffer);
    assert.equal(third.buffer.byteLength, 5);
    assert.equal(decoder.decode(third), "third");
  });

  test("a line whose bytes lie in one chunk stays a view", async () => {
    const chunk = encoder.encode("abc\r");
    const [line] = await pipeChunks(new LineSplitStream(), [
      chunk,
      encoder.encode("\n"),
    ]);
    assert.equal(line.buffer, chunk.buffer);
    assert.equal(decoder.decode(line), "abc");
  });

  test("matches a reference split under random chunking", async () => {
    const random = mulberry32(7);
    const alphabet = "ab\r\n\n";
    for (let round = 0; round < 50; round++) {
      let text = "";
      const size = Math.floor(random() * 300);
      for (let i = 0; i < size; i++) {
        text += alphabet[Math.floor(random() * alphabet.length)];
      }
      const bytes = encoder.encode(text);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = 1 + Math.floor(random() * 20);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      const expected = text.split("\n")
        .map((line, i, all) =>
          i < all.length - 1 ? line.replace(/\r$/, "") : line
        )
        .filter((line, i, all) => i < all.length - 1 || line !== "");
      const out = await pipeChunks(
        new LineSplitStream({ skipEmptyLines: false }),
        chunks,
      );
      assert.deepEqual(out.map((line) => decoder.decode(line)), expected);
    }
  });

  test("matches a byte-level reference split in long chunks of any bytes", async () => {
    // Chunks of 1 KiB and more are searched as latin1 text under V8: any
    // byte value, and views at odd offsets, must keep their indices.
    const random = mulberry32(11);
    for (let round = 0; round < 20; round++) {
      const bytes = new Uint8Array(Math.floor(random() * 20_000));
      for (let i = 0; i < bytes.length; i++) {
        const pick = random();
        bytes[i] = pick < 0.01 ? 0x0a : pick < 0.02 ? 0x0d : random() * 256;
      }
      const expected: number[][] = [];
      let line: number[] = [];
      for (const byte of bytes) {
        if (byte !== 0x0a) line.push(byte);
        else {
          if (line.at(-1) === 0x0d) line.pop();
          expected.push(line);
          line = [];
        }
      }
      if (line.length > 0) expected.push(line);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = 1 + Math.floor(random() * 5_000);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      const out = await pipeChunks(
        new LineSplitStream({ skipEmptyLines: false }),
        chunks,
      );
      assert.deepEqual(out.map((line) => [...line]), expected);
    }
  });

  test("errors with RecordTooLargeError for a line over the limit", async () => {
    await assert.rejects(
      lines(["12345\n123456789\n"], { maxRecordBytes: 8 }),
      (error: unknown) => {
        assert.ok(error instanceof RecordTooLargeError);
        assert.equal(error.name, "RecordTooLargeError");
        assert.equal(error.limitBytes, 8);
        assert.match(error.message, /8 bytes/);
        return true;
      },
    );
    await assert.rejects(
      lines(["1234", "5678", "9"], { maxRecordBytes: 8 }),
      RecordTooLargeError,
    );
    // The line ending does not count toward the limit.
    assert.deepEqual(await lines(["12345678\r\n"], { maxRecordBytes: 8 }), [
      "12345678",
    ]);
    assert.deepEqual(
      await lines(["1234", "5678\r", "\n"], { maxRecordBytes: 8 }),
      ["12345678"],
    );
  });

  test("errors as soon as a pending line exceeds the limit", async () => {
    const { writable, readable } = new LineSplitStream({ maxRecordBytes: 8 });
    const reading = readable.getReader().read();
    const writer = writable.getWriter();
    await writer.write(encoder.encode("12345"));
    // No newline yet: the line is known to be too large on this write.
    await assert.rejects(
      writer.write(encoder.encode("6789")),
      RecordTooLargeError,
    );
    await assert.rejects(reading, RecordTooLargeError);
  });

  test("validates options and chunks", async () => {
    for (const maxRecordBytes of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new LineSplitStream({ maxRecordBytes }), RangeError);
    }
    assert.throws(
      // @ts-expect-error: a wrong type on purpose
      () => new LineSplitStream({ skipEmptyLines: "no" }),
      TypeError,
    );
    const { writable, readable } = new LineSplitStream();
    const reading = readable.getReader().read();
    const writer = writable.getWriter();
    await assert.rejects(
      writer.write("text" as unknown as Uint8Array),
      TypeError,
    );
    await assert.rejects(reading, TypeError);
  });
});
