// The functions over a queue's payload chunks (src/log/queue_chunks.ts),
// checked against a plain list of the records' lengths.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bytesUpToIn,
  type Chunk,
  chunkBatch,
  chunkOf,
  chunkSize,
  dropChunksBefore,
  firstReachingIn,
  maxChunkBytes,
  newChunk,
  offsetsToLengths,
} from "../../src/log/queue_chunks.ts";
import { plainAllocator } from "../../src/log/chunk_allocator.ts";
import { RecordIndex } from "../../src/log/record_index.ts";

/**
 * Records of `lengths` bytes at positions 10, 11, ... (absolute 0, 1, ...),
 * `perChunk` records a chunk; payload bytes are the record's absolute index.
 */
function layout(
  lengths: number[],
  perChunk: number,
): { chunks: Chunk[]; index: RecordIndex } {
  const index = new RecordIndex(false);
  const chunks: Chunk[] = [];
  lengths.forEach((length, a) => {
    if (a % perChunk === 0) chunks.push(newChunk(new Uint8Array(1024), a, 1));
    const chunk = chunks[chunks.length - 1];
    chunk.bytes.fill(a, chunk.used, chunk.used + length);
    index.add(a, 10 + a, chunk.used, 0);
    chunk.used += length;
    chunk.lastRecord = a;
  });
  return { chunks, index };
}

const LENGTHS = [3, 0, 5, 1, 7, 2, 0, 4, 6, 1];
const sum = (upTo: number): number =>
  LENGTHS.slice(0, upTo + 1).reduce((a, b) => a + b, 0);

describe("queue chunks", () => {
  it("sizes chunks: at most the allocator's, room for four large payloads, an eighth of hotBytes", () => {
    assert.equal(maxChunkBytes(plainAllocator, undefined), 256 * 1024);
    assert.equal(maxChunkBytes(plainAllocator, 800 * 1024), 100 * 1024);
    assert.equal(maxChunkBytes(plainAllocator, 100), 1024);
    assert.equal(chunkSize(64 * 1024, 100, false), 64 * 1024);
    assert.equal(chunkSize(64 * 1024, 1024 * 1024, false), 4 * 1024 * 1024);
    assert.equal(chunkSize(64 * 1024, 16 << 20, false), 16 << 20);
    assert.equal(chunkSize(64 * 1024, 1024 * 1024, true), 1024 * 1024);
  });

  it("finds each record's chunk and drops whole chunks before a record", () => {
    const { chunks } = layout(LENGTHS, 3);
    for (let a = 0; a < LENGTHS.length; a++) {
      assert.equal(chunkOf(chunks, a).firstRecord, a - (a % 3));
    }
    assert.equal(dropChunksBefore(chunks, 4), 3 + 0 + 5);
    assert.deepEqual(chunks.map((c) => c.firstRecord), [3, 6, 9]);
    assert.equal(dropChunksBefore(chunks, 3), 0);
    assert.equal(chunks.length, 3);
  });

  it("finds the first record whose prefix reaches a byte count, and prefix bytes", () => {
    const { chunks, index } = layout(LENGTHS, 4);
    for (let bytes = 1; bytes <= sum(LENGTHS.length - 1); bytes++) {
      const expected = LENGTHS.findIndex((_, a) => sum(a) >= bytes);
      assert.equal(firstReachingIn(chunks, index, 0, 0, 0, bytes), expected);
    }
    assert.equal(firstReachingIn(chunks, index, 0, 0, 0, 1000), undefined);
    // From record 2 on (at offset 3), 5 bytes before it counted elsewhere.
    assert.equal(firstReachingIn(chunks, index, 2, 3, 5, 10), 2);
    assert.equal(firstReachingIn(chunks, index, 2, 3, 5, 11), 3);
    for (let last = 0; last < LENGTHS.length; last++) {
      assert.equal(bytesUpToIn(chunks, index, 0, last), sum(last));
    }
    assert.equal(bytesUpToIn(chunks, index, 3, 3), sum(3) - 3);
  });

  it("makes batches of one chunk's visible records, views of it", () => {
    const { chunks, index } = layout(LENGTHS, 4);
    const batch = chunkBatch(chunks[1], index, 5, 10 + 8, 10);
    assert.deepEqual([...batch.positions], [15, 16, 17]);
    assert.deepEqual([...batch.lengths], [2, 0, 4]);
    for (let k = 0; k < 3; k++) {
      const { starts, lengths, bytes } = batch;
      const payload = bytes.subarray(starts[k], starts[k] + lengths[k]);
      assert.ok(payload.every((b) => b === 5 + k));
    }
    assert.equal(batch.bytes.buffer, chunks[1].bytes.buffer);
    assert.deepEqual([...chunkBatch(chunks[1], index, 4, 100, 2).lengths], [
      7,
      2,
    ]);
  });

  it("turns a chunk's offsets into payload lengths as it leaves memory", () => {
    const { chunks, index } = layout(LENGTHS, 4);
    assert.equal(offsetsToLengths(index, chunks[0], 1), 0 + 5 + 1);
    assert.deepEqual([1, 2, 3].map((a) => index.offset(a)), [0, 5, 1]);
  });
});
