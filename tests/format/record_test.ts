import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/format/frame.ts";
import { FrameWriter } from "../../src/format/frame_writer.ts";
import {
  appendRecordLength,
  type DecodedRecord,
  decodeRecord,
  forEachAppendItem,
  RecordKind,
  writeAppendRecord,
  writeControlRecord,
} from "../../src/format/record.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { readLog } from "../support/read_log.ts";
import { recordBytes } from "../support/log_bytes.ts";
import { utf8 } from "../support/bytes.ts";

const MAX = Number.MAX_SAFE_INTEGER;
/** The record kinds without a body: a queue name and a position. */
const CONTROL_KINDS = [
  RecordKind.Truncate,
  RecordKind.Touch,
  RecordKind.DeleteQueue,
];

/** Lays out one record with `write` and returns its bytes, as a reader reassembles them. */
function encoded(
  write: (frames: FrameWriter) => number,
): { bytes: Uint8Array; written: number } {
  const frames = new FrameWriter(0);
  const written = write(frames);
  const laid = frames.take();
  const file = new Uint8Array(
    Math.ceil((laid.length + 1) / BLOCK_SIZE) * BLOCK_SIZE,
  );
  file.set(laid);
  const { records, corruptions } = readLog([file]);
  assert.deepEqual(corruptions, []);
  assert.equal(records.length, 1);
  assert.equal(written, laid.length);
  return { bytes: records[0].bytes, written };
}

function decoded(bytes: Uint8Array): DecodedRecord {
  const record = decodeRecord(bytes);
  if (typeof record === "string") assert.fail(record);
  return record;
}

function items(
  bytes: Uint8Array,
  bodyOffset: number,
): [number | undefined, number[]][] {
  const out: [number | undefined, number[]][] = [];
  const error = forEachAppendItem(bytes, bodyOffset, (at, start, length) => {
    out.push([at, [...bytes.subarray(start, start + length)]]);
  });
  assert.equal(error, undefined);
  return out;
}

describe("record encoding", () => {
  for (const kind of CONTROL_KINDS) {
    it(`writes control record kind ${kind} byte for byte`, () => {
      const { bytes, written } = encoded((f) =>
        writeControlRecord(f, kind, utf8("queue-é"), 0x1_0203_0405)
      );
      assert.deepEqual(bytes, recordBytes(kind, 0x1_0203_0405, "queue-é"));
      assert.equal(written, HEADER_SIZE + 11 + utf8("queue-é").length);
      const record = decoded(bytes);
      assert.equal(record.kind, kind);
      assert.equal(record.position, 0x1_0203_0405);
      assert.equal(record.queue, "queue-é");
      assert.equal(record.bodyOffset, bytes.length);
    });
  }

  it("writes AppendRecords byte for byte: header position is the first record's", () => {
    const payloads = [utf8("a"), new Uint8Array(0), utf8("ccc")];
    const { bytes, written } = encoded((f) =>
      writeAppendRecord(f, utf8("q"), 41, payloads)
    );
    assert.deepEqual(
      bytes,
      recordBytes(RecordKind.AppendRecords, 41, "q", [
        { position: 41, payload: payloads[0] },
        { position: 42, payload: payloads[1] },
        { position: 43, payload: payloads[2] },
      ]),
    );
    assert.equal(written, HEADER_SIZE + 12 + 3 * 12 + 4);
    const record = decoded(bytes);
    assert.equal(record.kind, RecordKind.AppendRecords);
    assert.equal(record.position, 41);
    assert.equal(record.queue, "q");
    assert.deepEqual(items(bytes, record.bodyOffset), [
      [41, [97]],
      [42, []],
      [43, [99, 99, 99]],
    ]);
  });

  it("appendRecordLength is the length of the AppendRecords record written", () => {
    for (const names of [0, 1, 7, 300]) {
      for (const sizes of [[], [0], [5, 0, 70_000], [1, 2, 3, 4, 5]]) {
        const payloads = sizes.map((n, i) => randomBytes(n, i));
        const { bytes } = encoded((f) =>
          writeAppendRecord(f, new Uint8Array(names), 3, payloads)
        );
        const total = sizes.reduce((n, size) => n + size, 0);
        assert.equal(
          appendRecordLength(names, sizes.length, total),
          bytes.length,
        );
      }
    }
  });

  it("writes and reads positions up to 2^53 - 1 exactly", () => {
    const start = MAX - 2;
    const { bytes } = encoded((f) =>
      writeAppendRecord(f, utf8("q"), start, [utf8("x"), utf8("y"), utf8("z")])
    );
    const record = decoded(bytes);
    assert.equal(record.position, start);
    assert.deepEqual(items(bytes, record.bodyOffset).map(([p]) => p), [
      MAX - 2,
      MAX - 1,
      MAX,
    ]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getBigUint64(1, true), BigInt(start));
  });

  it("writes records spanning several frames (long names and payloads)", () => {
    const name = "n".repeat(65_535);
    const payload = randomBytes(3 * BLOCK_SIZE, 5);
    const { bytes } = encoded((f) =>
      writeAppendRecord(f, utf8(name), 7, [payload])
    );
    const record = decoded(bytes);
    assert.equal(record.queue, name);
    const [[position, got]] = items(bytes, record.bodyOffset);
    assert.equal(position, 7);
    assert.deepEqual(new Uint8Array(got), payload);
  });

  it("round-trips random records (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: MAX - 100 }),
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 }),
        (queue, position, payloads) => {
          const { bytes } = encoded((f) =>
            writeAppendRecord(f, utf8(queue), position, payloads)
          );
          const record = decoded(bytes);
          assert.equal(record.queue, queue);
          assert.equal(record.position, position);
          assert.deepEqual(
            items(bytes, record.bodyOffset),
            payloads.map((p, i) => [position + i, [...p]]),
          );
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe("record decoding of positions above 2^53 - 1", () => {
  it("reports the header position as undefined instead of rounding it", () => {
    // 2^53 is still exact: the next position after a record at 2^53 - 1.
    assert.equal(
      decoded(recordBytes(RecordKind.Touch, 2n ** 53n, "q")).position,
      2 ** 53,
    );
    for (const position of [2n ** 53n + 1n, 2n ** 53n + 2n, 2n ** 64n - 1n]) {
      const record = decoded(recordBytes(RecordKind.Touch, position, "q"));
      assert.equal(record.position, undefined, String(position));
      assert.equal(record.queue, "q");
    }
    const exact = decoded(recordBytes(RecordKind.Touch, 2n ** 53n - 1n, "q"));
    assert.equal(exact.position, MAX);
  });

  it("reports item positions above 2^53 as undefined", () => {
    const bytes = recordBytes(RecordKind.AppendRecords, MAX, "q", [
      { position: BigInt(MAX), payload: utf8("a") },
      { position: 2n ** 53n, payload: utf8("b") },
      { position: 2n ** 53n + 1n, payload: utf8("c") },
      { position: 2n ** 64n - 1n, payload: utf8("d") },
    ]);
    const record = decoded(bytes);
    assert.deepEqual(items(bytes, record.bodyOffset), [
      [MAX, [97]],
      [2 ** 53, [98]],
      [undefined, [99]],
      [undefined, [100]],
    ]);
  });
});

describe("record decoding of malformed bytes", () => {
  const good = recordBytes(RecordKind.Truncate, 3, "queue");

  it("rejects records shorter than the 11-byte header", () => {
    for (const length of [0, 1, 10]) {
      assert.equal(typeof decodeRecord(good.subarray(0, length)), "string");
    }
  });

  it("rejects unknown record kinds", () => {
    for (const kind of [0, 5, 255]) {
      const bytes = good.slice();
      bytes[0] = kind;
      const result = decodeRecord(bytes);
      assert.equal(typeof result, "string");
      assert.match(result as string, /kind/);
    }
  });

  it("rejects a queue name running past the record", () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint16(9, 6, true);
    assert.equal(typeof decodeRecord(bytes), "string");
    assert.equal(
      typeof decodeRecord(good.subarray(0, good.length - 1)),
      "string",
    );
  });

  it("rejects bytes after the queue name of a control record", () => {
    for (const kind of CONTROL_KINDS) {
      const bytes = new Uint8Array(good.length + 1);
      bytes.set(recordBytes(kind, 3, "queue"));
      assert.equal(typeof decodeRecord(bytes), "string");
    }
  });

  it("rejects a queue name that is not valid UTF-8", () => {
    for (
      const name of [
        new Uint8Array([0xff]),
        new Uint8Array([0x61, 0xc3]),
        new Uint8Array([0xed, 0xa0, 0x80]), // an encoded lone surrogate
      ]
    ) {
      const result = decodeRecord(recordBytes(RecordKind.Touch, 0, name));
      assert.equal(typeof result, "string");
      assert.match(result as string, /UTF-8/);
    }
  });

  it("accepts an AppendRecords with no items", () => {
    const bytes = recordBytes(RecordKind.AppendRecords, 9, "q");
    const record = decoded(bytes);
    assert.deepEqual(items(bytes, record.bodyOffset), []);
  });

  it("rejects a truncated item header or payload, reporting no item at all", () => {
    const whole = recordBytes(RecordKind.AppendRecords, 0, "q", [
      { position: 0, payload: utf8("first") },
      { position: 1, payload: utf8("second") },
    ]);
    const record = decoded(whole);
    for (let cut = 1; cut < 12 + 6; cut++) {
      const bytes = whole.subarray(0, whole.length - cut);
      let reported = 0;
      const error = forEachAppendItem(bytes, record.bodyOffset, () => {
        reported++;
      });
      assert.equal(typeof error, "string", `cut ${cut}`);
      assert.equal(reported, 0);
    }
    const huge = whole.slice();
    new DataView(huge.buffer).setUint32(
      record.bodyOffset + 8,
      0xffff_ffff,
      true,
    );
    assert.equal(
      typeof forEachAppendItem(huge, record.bodyOffset, () => {}),
      "string",
    );
  });
});
