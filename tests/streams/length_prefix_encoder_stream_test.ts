import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeLengthPrefix,
  LengthPrefixEncoderStream,
} from "../../src/streams/length_prefix_encoder_stream.ts";
import { pipeChunks } from "../support/pipe_chunks.ts";

describe("LengthPrefixEncoderStream", () => {
  test("emits a u32 LE prefix, then the record itself", async () => {
    const record = new Uint8Array(0x0102 + 3).fill(9);
    const [prefix, payload] = await pipeChunks(
      new LengthPrefixEncoderStream(),
      [
        record,
      ],
    );
    assert.deepEqual([...prefix], [0x05, 0x01, 0, 0]);
    assert.equal(payload, record); // not copied
  });

  test("frames many records in order", async () => {
    const out = await pipeChunks(new LengthPrefixEncoderStream(), [
      new Uint8Array([1, 2]),
      new Uint8Array([]),
      new Uint8Array([3]),
    ]);
    const bytes = out.flatMap((chunk) => [...chunk]);
    assert.deepEqual(bytes, [2, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 3]);
    // An empty record is its prefix alone.
    assert.equal(out.length, 5);
  });

  test("rejects a record over 2^32-1 bytes with a RangeError", async () => {
    const huge = new Uint8Array(1);
    Object.defineProperty(huge, "byteLength", { value: 2 ** 32 });
    await assert.rejects(
      pipeChunks(new LengthPrefixEncoderStream(), [huge]),
      RangeError,
    );
  });

  test("rejects a chunk that is not a Uint8Array", async () => {
    await assert.rejects(
      pipeChunks(new LengthPrefixEncoderStream(), [
        "text" as unknown as Uint8Array,
      ]),
      TypeError,
    );
  });
});

describe("encodeLengthPrefix", () => {
  test("is the u32 little-endian length, the stream's prefix", async () => {
    assert.deepEqual([...encodeLengthPrefix(0)], [0, 0, 0, 0]);
    assert.deepEqual([...encodeLengthPrefix(0x0403_0201)], [1, 2, 3, 4]);
    assert.deepEqual([...encodeLengthPrefix(2 ** 32 - 1)], [
      255,
      255,
      255,
      255,
    ]);
    const [prefix] = await pipeChunks(new LengthPrefixEncoderStream(), [
      new Uint8Array(300),
    ]);
    assert.deepEqual(prefix, encodeLengthPrefix(300));
  });

  test("rejects a length over 2^32-1 with a RangeError", () => {
    assert.throws(() => encodeLengthPrefix(2 ** 32), RangeError);
  });
});
