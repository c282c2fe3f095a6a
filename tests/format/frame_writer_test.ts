import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { framedLength, FrameWriter } from "../../src/format/frame_writer.ts";
import { BLOCK_SIZE, FrameType, HEADER_SIZE } from "../../src/format/frame.ts";
import { concat } from "../support/bytes.ts";
import { parseFrames, readLog } from "../support/read_log.ts";
import { randomBytes } from "../support/random_bytes.ts";

/** Writes one record of `payload` and returns what `beginRecord`/`endRecord` said. */
function writeRecord(
  frames: FrameWriter,
  payload: Uint8Array,
): { padding: number; bytes: number } {
  const padding = frames.beginRecord(payload.length);
  frames.bytes(payload);
  return { padding, bytes: frames.endRecord() };
}

/** Log bytes from block offset 0, zero-padded to whole blocks. */
function padToBlocks(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(
    Math.max(1, Math.ceil(bytes.length / BLOCK_SIZE)) * BLOCK_SIZE,
  );
  out.set(bytes);
  return out;
}

describe("FrameWriter layout", () => {
  it("writes a record that fits as one Full frame, checksum over type byte + payload", () => {
    const frames = new FrameWriter(0);
    const payload = new Uint8Array([10, 20, 30, 40, 50]);
    const { padding, bytes } = writeRecord(frames, payload);
    assert.equal(padding, 0);
    assert.equal(bytes, HEADER_SIZE + 5);
    assert.equal(frames.length, 12);
    const out = frames.take().slice();
    assert.equal(frames.length, 0);
    const view = new DataView(out.buffer);
    assert.equal(view.getUint16(4, true), 5);
    assert.equal(out[6], FrameType.Full);
    assert.deepEqual([...out.subarray(7)], [...payload]);
    const expected = crc32(new Uint8Array([FrameType.Full, ...payload]));
    assert.equal(view.getUint32(0, true), expected);
    assert.notEqual(view.getUint32(0, true), crc32(payload));
  });

  it("cuts a record longer than the room into First, Middle..., Last frames that fill each block", () => {
    const frames = new FrameWriter(0);
    const payload = randomBytes(3 * BLOCK_SIZE, 1);
    const { bytes } = writeRecord(frames, payload);
    const out = frames.take().slice();
    const parsed = parseFrames(out);
    assert.deepEqual(parsed.map((f) => f.type), [
      FrameType.First,
      FrameType.Middle,
      FrameType.Middle,
      FrameType.Last,
    ]);
    assert.ok(parsed.every((f) => f.checksumOk));
    for (const f of parsed.slice(0, -1)) {
      assert.equal(f.length, BLOCK_SIZE - HEADER_SIZE);
      assert.equal((f.offset + HEADER_SIZE + f.length) % BLOCK_SIZE, 0);
    }
    assert.equal(
      parsed.reduce((n, f) => n + f.length, 0),
      payload.length,
    );
    assert.equal(bytes, payload.length + HEADER_SIZE * 4);
    assert.equal(out.length, bytes);
  });

  for (let room = 1; room < HEADER_SIZE; room++) {
    it(`pads ${room} byte(s) left in a block with zeros and starts the record in the next block`, () => {
      const frames = new FrameWriter(BLOCK_SIZE - room);
      const { padding, bytes } = writeRecord(frames, new Uint8Array([1, 2]));
      assert.equal(padding, room);
      assert.equal(bytes, HEADER_SIZE + 2);
      const out = frames.take();
      assert.equal(out.length, room + HEADER_SIZE + 2);
      assert.ok(out.subarray(0, room).every((b) => b === 0));
      assert.equal(out[room + 6], FrameType.Full);
    });
  }

  it("starts with a First frame of 0 payload bytes when exactly 7 bytes are left", () => {
    const frames = new FrameWriter(BLOCK_SIZE - HEADER_SIZE);
    const payload = new Uint8Array([1, 2, 3]);
    const { padding, bytes } = writeRecord(frames, payload);
    assert.equal(padding, 0);
    const out = frames.take().slice();
    const view = new DataView(out.buffer);
    assert.equal(view.getUint16(4, true), 0);
    assert.equal(out[6], FrameType.First);
    assert.equal(view.getUint32(0, true), crc32(new Uint8Array([2])));
    assert.equal(view.getUint16(11, true), 3);
    assert.equal(out[13], FrameType.Last);
    assert.deepEqual([...out.subarray(14)], [1, 2, 3]);
    assert.equal(bytes, 2 * HEADER_SIZE + 3);
  });

  it("starts with a First frame of 1 byte when exactly 8 bytes are left", () => {
    const frames = new FrameWriter(BLOCK_SIZE - 8);
    writeRecord(frames, new Uint8Array([9, 8, 7]));
    const out = frames.take().slice();
    assert.equal(out[6], FrameType.First);
    assert.equal(new DataView(out.buffer).getUint16(4, true), 1);
    assert.equal(out[7], 9);
    assert.equal(out[8 + 6], FrameType.Last);
  });

  it("fills a block exactly with a Full frame, and the next record starts the next block", () => {
    const frames = new FrameWriter(0);
    const first = writeRecord(frames, new Uint8Array(BLOCK_SIZE - HEADER_SIZE));
    const second = writeRecord(frames, new Uint8Array([5]));
    assert.equal(first.bytes, BLOCK_SIZE);
    assert.equal(second.padding, 0);
    const out = frames.take();
    assert.equal(out[6], FrameType.Full);
    assert.equal(out[BLOCK_SIZE + 6], FrameType.Full);
    assert.equal(out.length, BLOCK_SIZE + HEADER_SIZE + 1);
  });

  it("counts the block offset it was started at modulo the block size", () => {
    const frames = new FrameWriter(5 * BLOCK_SIZE + BLOCK_SIZE - 3);
    assert.equal(writeRecord(frames, new Uint8Array([1])).padding, 3);
  });

  it("writes u8, u16, u32 and u64 little endian, even when cut across frames", () => {
    for (let room = 8; room <= 22; room++) {
      const frames = new FrameWriter(0);
      // A filler record, so the record under test starts `room` bytes before a block end.
      writeRecord(frames, new Uint8Array(BLOCK_SIZE - room - HEADER_SIZE));
      frames.beginRecord(1 + 2 + 4 + 8 + 8);
      frames.u8(0xab);
      frames.u16(0xbeef);
      frames.u32(0xdeadbeef);
      frames.u64(Number.MAX_SAFE_INTEGER);
      frames.u64(0x1_0000_0001);
      frames.endRecord();
      const { records, corruptions } = readLog([padToBlocks(frames.take())]);
      assert.deepEqual(corruptions, []);
      assert.equal(records.length, 2);
      const view = new DataView(records[1].bytes.buffer);
      assert.equal(view.getUint8(0), 0xab, `room ${room}`);
      assert.equal(view.getUint16(1, true), 0xbeef);
      assert.equal(view.getUint32(3, true), 0xdeadbeef);
      assert.equal(
        view.getBigUint64(7, true),
        BigInt(Number.MAX_SAFE_INTEGER),
      );
      assert.equal(view.getBigUint64(15, true), 0x1_0000_0001n);
    }
  });

  it("throws when a record's bytes do not match its announced length", () => {
    const short = new FrameWriter(0);
    short.beginRecord(4);
    short.bytes(new Uint8Array(3));
    assert.throws(() => short.endRecord(), /length/);
    const long = new FrameWriter(0);
    long.beginRecord(2);
    assert.throws(() => long.bytes(new Uint8Array(3)), /length/);
  });

  it("keeps laying out records after take(), continuing the block offsets", () => {
    const frames = new FrameWriter(0);
    writeRecord(frames, new Uint8Array(BLOCK_SIZE - HEADER_SIZE - 10));
    const a = frames.take().slice();
    // 10 bytes left: a Full frame of 3 bytes, then 0 left.
    writeRecord(frames, new Uint8Array([1, 2, 3]));
    const b = frames.take().slice();
    assert.equal(b.length, 10);
    const { records } = readLog([padToBlocks(concat(a, b))]);
    assert.deepEqual([...records[1].bytes], [1, 2, 3]);
  });
});

describe("FrameWriter recordStart", () => {
  it("is where the last record's first frame starts in the bytes not taken, after its padding", () => {
    const frames = new FrameWriter(BLOCK_SIZE - 100);
    writeRecord(frames, new Uint8Array(10));
    assert.equal(frames.recordStart, 0);
    writeRecord(frames, new Uint8Array(100 - 17 - HEADER_SIZE - 3)); // 3 left
    assert.equal(frames.recordStart, 17);
    const before = frames.length;
    const { padding } = writeRecord(frames, new Uint8Array(5));
    assert.equal(padding, 3);
    assert.equal(frames.recordStart, before + 3);
    const out = frames.take();
    assert.equal(out[frames.recordStart + 6], FrameType.Full);
    writeRecord(frames, new Uint8Array(1));
    assert.equal(frames.recordStart, 0);
  });
});

describe("FrameWriter round trip through readFrames", () => {
  it("reads back records spanning several blocks, with their first frame's offset", () => {
    const frames = new FrameWriter(0);
    const payloads = [
      randomBytes(100, 1),
      randomBytes(5 * BLOCK_SIZE + 17, 2),
      randomBytes(BLOCK_SIZE - 7 - 111, 3),
      randomBytes(1, 4),
    ];
    const offsets: number[] = [];
    let at = 0;
    for (const payload of payloads) {
      const { padding, bytes } = writeRecord(frames, payload);
      offsets.push(at + padding);
      at += padding + bytes;
    }
    const { records, corruptions, end } = readLog([
      padToBlocks(frames.take()),
    ]);
    assert.deepEqual(corruptions, []);
    assert.deepEqual(records.map((r) => r.bytes), payloads);
    assert.deepEqual(records.map((r) => r.offset), offsets);
    assert.equal(end?.zeroHeader, true);
    assert.equal(end?.offset, at);
  });

  it("holds for random record lengths and start offsets (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: BLOCK_SIZE - 1 }),
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 40 }),
            fc.integer({ min: BLOCK_SIZE - 20, max: BLOCK_SIZE + 20 }),
            fc.integer({ min: 0, max: 3 * BLOCK_SIZE }),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        (fillerLength, lengths) => {
          const frames = new FrameWriter(0);
          writeRecord(frames, new Uint8Array(fillerLength));
          const payloads = lengths.map((n, i) => randomBytes(n, i + 1));
          let total = 0;
          for (const payload of payloads) {
            const { padding, bytes } = writeRecord(frames, payload);
            total += padding + bytes;
          }
          const out = padToBlocks(frames.take());
          const parsed = parseFrames(out);
          for (const f of parsed) {
            assert.ok(f.checksumOk);
            // No frame crosses a block boundary.
            assert.equal(
              Math.floor(f.offset / BLOCK_SIZE),
              Math.floor((f.offset + HEADER_SIZE + f.length - 1) / BLOCK_SIZE),
            );
          }
          const { records, corruptions } = readLog([out]);
          assert.deepEqual(corruptions, []);
          assert.equal(records.length, payloads.length + 1);
          records.slice(1).forEach((r, i) =>
            assert.deepEqual(r.bytes, payloads[i])
          );
          assert.ok(total >= payloads.reduce((n, p) => n + p.length, 0));
        },
      ),
      { numRuns: 60, seed: 20240601 },
    );
  });
});

describe("framedLength", () => {
  /** The log bytes FrameWriter lays out for a record of `length` from `offset`. */
  function laidOut(offset: number, length: number): number {
    const frames = new FrameWriter(offset);
    const padding = frames.beginRecord(length);
    frames.bytes(new Uint8Array(length));
    return padding + frames.endRecord();
  }

  it("is what FrameWriter lays out at the edges of a block", () => {
    const perBlock = BLOCK_SIZE - HEADER_SIZE;
    const offsets = [0, 1, BLOCK_SIZE - 8, BLOCK_SIZE - 7, BLOCK_SIZE - 6];
    const lengths = [0, 1, perBlock - 1, perBlock, perBlock + 1, 2 * perBlock];
    for (const offset of [...offsets, BLOCK_SIZE - 1, 3 * BLOCK_SIZE + 5]) {
      for (const length of lengths) {
        assert.equal(
          framedLength(offset, length),
          laidOut(offset, length),
          `offset ${offset}, length ${length}`,
        );
      }
    }
  });

  it("is what FrameWriter lays out for random offsets and lengths (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 * BLOCK_SIZE }),
        fc.integer({ min: 0, max: 5 * BLOCK_SIZE }),
        (offset, length) => {
          assert.equal(framedLength(offset, length), laidOut(offset, length));
        },
      ),
      { numRuns: 300, seed: 20260301 },
    );
  });
});
