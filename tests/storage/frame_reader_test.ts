import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFrames } from "../../src/storage/frame_reader.ts";
import { BLOCK_SIZE, FrameType } from "../../src/format/frame.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { FrameWriter } from "../../src/format/frame_writer.ts";
import { block, frameBytes } from "../support/log_bytes.ts";
import { concat, text, utf8 } from "../support/bytes.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { readLog } from "../support/read_log.ts";

const { Full, First, Middle, Last } = FrameType;

function texts(files: Uint8Array[]): string[] {
  return readLog(files).records.map((r) => text(r.bytes));
}

describe("readFrames: well-formed logs", () => {
  it("returns undefined for no files", () => {
    assert.equal(
      readFrames([], { record() {}, corruption() {} }),
      undefined,
    );
  });

  it("reads Full frames and First/Middle/Last records, with file number and offset", () => {
    const a = frameBytes(Full, utf8("alpha"));
    const b1 = frameBytes(First, utf8("be"));
    const b2 = frameBytes(Middle, utf8("t"));
    const b3 = frameBytes(Last, utf8("a"));
    const { records, corruptions, end } = readLog(
      [block(a, b1, b2, b3)],
      7,
    );
    assert.deepEqual(corruptions, []);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["alpha", "beta"]);
    assert.deepEqual(records.map((r) => [r.fileNumber, r.offset]), [
      [7, 0],
      [7, a.length],
    ]);
    const consumed = a.length + b1.length + b2.length + b3.length;
    assert.deepEqual(end, { fileIndex: 0, offset: consumed, zeroHeader: true });
  });

  it("skips fewer than 7 bytes of padding at a block's end", () => {
    const filler = frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7 - 3));
    const { records, end } = readLog([
      concat(block(filler), block(frameBytes(Full, utf8("next")))),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)).slice(1), ["next"]);
    assert.equal(end?.offset, BLOCK_SIZE + 11);
  });

  it("reads a 0-byte First frame at a block's end followed by the rest", () => {
    const filler = frameBytes(Full, new Uint8Array(BLOCK_SIZE - 14));
    const first = frameBytes(First, new Uint8Array(0));
    const log = concat(
      block(filler, first),
      block(frameBytes(Last, utf8("tail"))),
    );
    const { records, corruptions } = readLog([log]);
    assert.deepEqual(corruptions, []);
    assert.equal(text(records[1].bytes), "tail");
    assert.equal(records[1].offset, BLOCK_SIZE - 7);
  });

  it("reassembles a record whose frames span two files", () => {
    const filler = frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7 - 10));
    const first = frameBytes(First, utf8("abc"));
    const { records, corruptions, end } = readLog([
      block(filler, first),
      block(frameBytes(Middle, utf8("def")), frameBytes(Last, utf8("g"))),
    ], 3);
    assert.deepEqual(corruptions, []);
    assert.equal(text(records[1].bytes), "abcdefg");
    assert.equal(records[1].fileNumber, 3);
    assert.equal(records[1].offset, BLOCK_SIZE - 10);
    assert.equal(end?.fileIndex, 1);
  });

  it("reads records bigger than its 4 MiB read chunk", () => {
    const payload = randomBytes(5 * 1024 * 1024 + 123, 9);
    const frames = new FrameWriter(0);
    frames.beginRecord(payload.length);
    frames.bytes(payload);
    frames.endRecord();
    frames.beginRecord(2);
    frames.bytes(utf8("ok"));
    frames.endRecord();
    const bytes = frames.take();
    const file = new Uint8Array(
      Math.ceil(bytes.length / BLOCK_SIZE) * BLOCK_SIZE,
    );
    file.set(bytes);
    const { records, corruptions } = readLog([file]);
    assert.deepEqual(corruptions, []);
    assert.equal(records.length, 2);
    assert.ok(records[0].bytes.length === payload.length);
    assert.deepEqual(records[0].bytes, payload);
    assert.equal(text(records[1].bytes), "ok");
  });

  it("ignores a file's last partial block and goes on with the next file", () => {
    const full = new Uint8Array(BLOCK_SIZE);
    full.set(frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7)));
    const { records, corruptions, end } = readLog([
      concat(full, frameBytes(Full, utf8("in a partial block"))),
      block(frameBytes(Full, utf8("two"))),
    ]);
    assert.deepEqual(records.map((r) => r.bytes.length), [BLOCK_SIZE - 7, 3]);
    assert.deepEqual(corruptions, []);
    assert.equal(end?.fileIndex, 1);
  });

  it("ends at the last file's whole blocks when no zero header is found", () => {
    const full = new Uint8Array(BLOCK_SIZE);
    full.set(frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7)));
    const { end } = readLog([concat(full, full, new Uint8Array(100))]);
    assert.deepEqual(end, {
      fileIndex: 0,
      offset: 2 * BLOCK_SIZE,
      zeroHeader: false,
    });
  });
});

describe("readFrames: corruption, as FORMAT.md says", () => {
  it("skips the rest of the block after an unknown frame type", () => {
    for (const type of [0, 5, 255]) {
      const bad = frameBytes(type, utf8("xx"));
      const { records, corruptions } = readLog([
        concat(
          block(
            frameBytes(Full, utf8("a")),
            bad,
            frameBytes(Full, utf8("lost")),
          ),
          block(frameBytes(Full, utf8("b"))),
        ),
      ]);
      assert.deepEqual(records.map((r) => text(r.bytes)), ["a", "b"]);
      assert.equal(corruptions.length, 1, `type ${type}`);
      assert.equal(corruptions[0].offset, 8);
      assert.match(corruptions[0].reason, /type/);
    }
  });

  it("skips the rest of the block after a length that passes the block's end", () => {
    const bad = frameBytes(Full, utf8("xx"), { length: BLOCK_SIZE });
    const { records, corruptions } = readLog([
      concat(
        block(frameBytes(Full, utf8("a")), bad, frameBytes(Full, utf8("lost"))),
        block(frameBytes(Full, utf8("b"))),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["a", "b"]);
    assert.equal(corruptions.length, 1);
    assert.match(corruptions[0].reason, /block/);
  });

  it("accepts a frame ending exactly at the block's end", () => {
    const filler = frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7 - 9));
    const last = frameBytes(Full, utf8("xy"));
    const { records, corruptions } = readLog([block(filler, last)]);
    assert.deepEqual(corruptions, []);
    assert.equal(text(records[1].bytes), "xy");
  });

  it("drops only the frame whose checksum does not match, trusting its length", () => {
    const { records, corruptions } = readLog([
      block(
        frameBytes(Full, utf8("a")),
        frameBytes(Full, utf8("bad"), { checksum: 12345 }),
        frameBytes(Full, utf8("c")),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["a", "c"]);
    assert.equal(corruptions.length, 1);
    assert.equal(corruptions[0].offset, 8);
    assert.match(corruptions[0].reason, /checksum/);
  });

  it("detects a flipped type byte, since the checksum covers it", () => {
    const frame = frameBytes(Full, utf8("abc"));
    frame[6] = Last; // same payload, other type: checksum no longer matches
    const { records, corruptions } = readLog([
      block(frame, frameBytes(Full, utf8("d"))),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["d"]);
    assert.equal(corruptions.length, 1);
  });

  it("drops a whole multi-frame record when one of its frames is damaged", () => {
    const { records, corruptions } = readLog([
      block(
        frameBytes(First, utf8("x1")),
        frameBytes(Middle, utf8("x2"), { checksum: 1 }),
        frameBytes(Last, utf8("x3")),
        frameBytes(Full, utf8("after")),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["after"]);
    assert.equal(corruptions.length, 1);
  });

  it("drops a record cut by a block-level corruption in its next block", () => {
    const filler = frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7 - 12));
    const { records } = readLog([
      concat(
        block(filler, frameBytes(First, utf8("abcde"))),
        block(frameBytes(9, utf8("junk")), frameBytes(Last, utf8("z"))),
        block(frameBytes(Full, utf8("next"))),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)).slice(1), ["next"]);
  });

  it("drops a partial record interrupted by a new First or Full frame", () => {
    const { records, corruptions } = readLog([
      block(
        frameBytes(First, utf8("p1")),
        frameBytes(Middle, utf8("p2")),
        frameBytes(Full, utf8("full")),
        frameBytes(First, utf8("q1")),
        frameBytes(First, utf8("r1")),
        frameBytes(Last, utf8("r2")),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["full", "r1r2"]);
    assert.deepEqual(corruptions, []);
  });

  it("drops a partial record at the end of the log", () => {
    const { records } = readLog([
      block(frameBytes(Full, utf8("a")), frameBytes(First, utf8("b"))),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["a"]);
  });

  it("ignores orphan Middle and Last frames silently", () => {
    const { records, corruptions } = readLog([
      block(
        frameBytes(Middle, utf8("m")),
        frameBytes(Last, utf8("l")),
        frameBytes(Full, utf8("a")),
        frameBytes(Last, utf8("l2")),
        frameBytes(Full, utf8("b")),
      ),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), ["a", "b"]);
    assert.deepEqual(corruptions, []);
  });

  it("stops the whole log at a zero header: later blocks and files are not read", () => {
    const a = utf8("a".repeat(BLOCK_SIZE - 7));
    const { records, corruptions, end } = readLog([
      concat(
        block(frameBytes(Full, a)),
        block(
          frameBytes(Full, utf8("b")),
          new Uint8Array(7),
          frameBytes(Full, utf8("hidden")),
        ),
        block(frameBytes(Full, utf8("later block"))),
      ),
      block(frameBytes(Full, utf8("later file"))),
    ]);
    assert.deepEqual(records.map((r) => text(r.bytes)), [text(a), "b"]);
    assert.deepEqual(corruptions, []);
    assert.deepEqual(end, {
      fileIndex: 0,
      offset: BLOCK_SIZE + 8,
      zeroHeader: true,
    });
  });

  it("stops at a zero header at the very start of a later file", () => {
    const full = new Uint8Array(BLOCK_SIZE);
    full.set(frameBytes(Full, new Uint8Array(BLOCK_SIZE - 7)));
    const { records, end } = readLog([
      full,
      new Uint8Array(BLOCK_SIZE),
      block(frameBytes(Full, utf8("unread"))),
    ]);
    assert.equal(records.length, 1);
    assert.deepEqual(end, { fileIndex: 1, offset: 0, zeroHeader: true });
  });

  it("lets the corruption handler stop the reading by throwing", () => {
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes(
      "/log/wal-00000000000000000000",
      block(
        frameBytes(Full, utf8("a"), { checksum: 7 }),
        frameBytes(Full, utf8("b")),
      ),
    );
    const file = fs.open("/log/wal-00000000000000000000", { create: false });
    const seen: string[] = [];
    assert.throws(
      () =>
        readFrames([{ number: 0, file }], {
          record: (bytes) => seen.push(text(bytes)),
          corruption: (fileNumber, offset, reason) => {
            throw new Error(`strict ${fileNumber} ${offset} ${reason}`);
          },
        }),
      /strict 0 0 checksum/,
    );
    assert.deepEqual(seen, []);
  });

  it("counts one corruption per damaged frame or block", () => {
    const { corruptions } = readLog([
      concat(
        block(
          frameBytes(Full, utf8("a"), { checksum: 1 }),
          frameBytes(Full, utf8("b"), { checksum: 2 }),
          frameBytes(7, utf8("c")),
          frameBytes(Full, utf8("d"), { checksum: 3 }),
        ),
        block(frameBytes(Full, utf8("e"), { length: 40000 })),
      ),
    ]);
    assert.deepEqual(corruptions.map((c) => c.offset), [
      0,
      8,
      16,
      BLOCK_SIZE,
    ]);
  });

  it("reads on after damage through later files", () => {
    assert.deepEqual(
      texts([
        block(frameBytes(Full, utf8("a")), frameBytes(0, utf8("?"))),
        block(frameBytes(Full, utf8("b"))),
      ]),
      ["a", "b"],
    );
  });
});
