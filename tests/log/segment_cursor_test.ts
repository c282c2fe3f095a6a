import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SegmentCursor } from "../../src/log/segment_cursor.ts";

describe("SegmentCursor", () => {
  it("fills a file to its end before rolling, and rolls only for a byte that does not fit", () => {
    const cursor = new SegmentCursor(3, 90, 100, 50);
    const rolls: number[] = [];
    const pieces: [number, number, number][] = [];
    cursor.advance(
      10,
      (n) => rolls.push(n),
      (...piece) => pieces.push(piece),
    );
    assert.equal(rolls.length, 0);
    assert.deepEqual(pieces, [[90, 0, 10]]);
    assert.deepEqual([cursor.fileNumber, cursor.offset], [3, 100]);
    assert.equal(cursor.nextByteFile, 4);
    cursor.advance(0, (n) => rolls.push(n));
    assert.equal(rolls.length, 0);
    cursor.advance(
      120,
      (n) => rolls.push(n),
      (...piece) => pieces.push(piece),
    );
    // Files after the first are segmentBytes (50) long.
    assert.deepEqual(rolls, [4, 5, 6]);
    assert.deepEqual(pieces.slice(1), [[0, 0, 50], [0, 50, 50], [0, 100, 20]]);
    assert.deepEqual([cursor.fileNumber, cursor.offset, cursor.limit], [
      6,
      20,
      50,
    ]);
    assert.equal(cursor.nextByteFile, 6);
  });

  it("stays where it was when the roll throws", () => {
    const cursor = new SegmentCursor(0, 40, 50, 50);
    assert.throws(
      () =>
        cursor.advance(20, () => {
          throw new Error("EMFILE");
        }),
      /EMFILE/,
    );
    assert.deepEqual([cursor.fileNumber, cursor.offset, cursor.limit], [
      0,
      50,
      50,
    ]);
  });

  it("moves the same way with and without callbacks", () => {
    const a = new SegmentCursor(0, 0, 96, 64);
    const b = new SegmentCursor(0, 0, 96, 64);
    for (const bytes of [5, 91, 1, 63, 200, 7, 0, 64, 64]) {
      a.advance(bytes);
      b.advance(bytes, () => {}, () => {});
      assert.deepEqual(
        [a.fileNumber, a.offset, a.limit, a.nextByteFile],
        [b.fileNumber, b.offset, b.limit, b.nextByteFile],
      );
    }
  });
});
