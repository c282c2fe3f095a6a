import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  COLD_RECORD_INDEX_BYTES,
  RECORD_INDEX_BYTES,
  RecordIndex,
} from "../../src/log/record_index.ts";

/** One step against the index: add records, drop pages, or clear. */
type Step =
  | { kind: "add"; count: number; gap: number }
  | { kind: "drop"; keep: number }
  | { kind: "clear" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      count: fc.integer({ min: 1, max: 9000 }),
      // Mostly consecutive positions; sometimes a gap before one record.
      gap: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("drop" as const),
      keep: fc.integer({ min: 0, max: 10000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
);

describe("RecordIndex", () => {
  it("answers what was added, with gaps, drops and clears (model)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(step, { maxLength: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        (withFrames, steps, gapAt) => {
          const index = new RecordIndex(withFrames);
          // The model: the entries of records head..end-1.
          let head = 0;
          let end = 0;
          let next = 0;
          const model = new Map<number, [number, number, number]>();
          for (const s of steps) {
            if (s.kind === "add") {
              for (let i = 0; i < s.count; i++) {
                const position = next + (i === gapAt % s.count ? s.gap : 0);
                const entry: [number, number, number] = [
                  position,
                  (end * 7) >>> 0,
                  (end * 13) >>> 0,
                ];
                index.add(end, ...entry);
                model.set(end, entry);
                end += 1;
                next = position + 1;
              }
            } else if (s.kind === "drop") {
              head = Math.max(head, end - s.keep);
              index.dropBefore(head);
            } else {
              head = end;
              index.clear(head);
            }
          }
          for (let a = head; a < end; a++) {
            const [position, offset, frame] = model.get(a)!;
            assert.equal(index.position(a), position, `position of ${a}`);
            assert.equal(index.offset(a), offset, `offset of ${a}`);
            assert.equal(index.frame(a), withFrames ? frame : 0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps no positions while they follow each other", () => {
    for (const withFrames of [false, true]) {
      const records = 3 * 4096;
      const dense = new RecordIndex(withFrames);
      const sparse = new RecordIndex(withFrames);
      for (let a = 0; a < records; a++) {
        dense.add(a, 1000 + a, a, a);
        sparse.add(a, 1000 + 2 * a, a, a); // every position after a gap
      }
      const perRecord = withFrames
        ? COLD_RECORD_INDEX_BYTES
        : RECORD_INDEX_BYTES;
      assert.equal(sparse.allocatedBytes(), records * perRecord);
      assert.equal(dense.allocatedBytes(), records * (perRecord - 8));
      assert.equal(dense.position(records - 1), 1000 + records - 1);
      assert.equal(sparse.position(records - 1), 1000 + 2 * (records - 1));
    }
  });

  it("spells out a page's positions from its first gap on", () => {
    const index = new RecordIndex(false);
    for (let a = 0; a < 100; a++) index.add(a, a, 0, 0);
    index.add(100, 500, 0, 0); // a gap: explicit position
    for (let a = 101; a < 5000; a++) index.add(a, 400 + a, 0, 0);
    assert.equal(index.position(0), 0);
    assert.equal(index.position(99), 99);
    assert.equal(index.position(100), 500);
    assert.equal(index.position(4095), 4495);
    // The next page starts consecutive again, at its first record.
    assert.equal(index.position(4096), 4496);
    assert.equal(index.position(4999), 5399);
    assert.equal(index.allocatedBytes(), 4096 * 12 + 1024 * 4);
  });
});
