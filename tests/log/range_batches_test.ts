import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  batchRecords,
  CorruptionError,
  type LogRecord,
  type LogRecordBatch,
  MemoryFileAdapter,
  MultiRecordLog,
  type OpenOptions,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/wal";

function options(
  fs: MemoryFileAdapter,
  hotBytes: number | undefined,
): OpenOptions {
  return {
    fileAdapter: fs,
    onWarning: () => {},
    hotBytes,
    segmentBytes: 8 * BLOCK_SIZE,
  };
}

/**
 * Appends `count` calls of varied sizes to `queue`: small records in
 * batches, some over a block (several frames), one over 1 MiB (several
 * windows of the cold reader).
 */
async function fill(
  log: MultiRecordLog,
  queue: string,
  count: number,
  seed: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const size = i === 7 ? 1_300_000 : i % 11 === 5 ? 40_000 : (i * 37) % 300;
    const batch = i % 3 === 0 ? 40 : 1;
    const records = Array.from(
      { length: batch },
      (_, j) => randomBytes(size + j, seed + i * 101 + j),
    );
    await log.appendRecords(queue, undefined, records);
  }
}

/** The records as (position, digest of the payload bytes) pairs. */
function copies(records: Iterable<LogRecord>): [number, string][] {
  return [...records].map((
    r,
  ) => [r.position, createHash("sha1").update(r.payload).digest("hex")]);
}

function flatten(batches: Iterable<LogRecordBatch>): LogRecord[] {
  const records: LogRecord[] = [];
  for (const batch of batches) {
    const n = batch.positions.length;
    assert.ok(n > 0, "no empty batch");
    assert.equal(batch.starts.length, n);
    assert.equal(batch.lengths.length, n);
    records.push(...batchRecords(batch));
  }
  return records;
}

async function streamed(
  log: MultiRecordLog,
  queue: string,
  from?: number,
): Promise<LogRecord[]> {
  const batches: LogRecordBatch[] = [];
  for await (const b of log.readable(queue, { batch: true, from })) {
    batches.push(b);
  }
  return flatten(batches);
}

async function assertSame(log: MultiRecordLog, queue: string): Promise<void> {
  const expected = copies(log.range(queue));
  assert.deepEqual(copies(flatten(log.rangeBatches(queue))), expected);
  assert.deepEqual(copies(await streamed(log, queue)), expected);
  const positions = expected.map(([p]) => p);
  if (positions.length < 3) return;
  const from = positions[Math.floor(positions.length / 3)];
  const to = positions[Math.floor((2 * positions.length) / 3)];
  assert.deepEqual(
    copies(flatten(log.rangeBatches(queue, { from, to }))),
    copies(log.range(queue, { from, to })),
  );
  assert.deepEqual(
    copies(await streamed(log, queue, from)),
    copies(log.range(queue, { from })),
  );
}

for (
  const [name, hotBytes] of [
    ["all in memory", undefined],
    ["mostly cold", 4096],
    ["hot and cold", 400_000],
  ] as const
) {
  describe(`rangeBatches and readable({ batch: true }), ${name}`, () => {
    it("give exactly the records of range, across truncations, files and a reopen", async () => {
      const fs = new MemoryFileAdapter();
      let log = await MultiRecordLog.open(DIR, options(fs, hotBytes));
      await log.createQueue("a");
      await log.createQueue("b");
      await fill(log, "a", 40, 1);
      await fill(log, "b", 25, 2);
      assert.ok(walNumbers(fs, DIR).length > 3, "several files");
      if (hotBytes !== undefined) {
        assert.ok(log.retainedBytes <= hotBytes + 1_300_000);
      }
      await assertSame(log, "a");
      await assertSame(log, "b");

      // Views handed out never change: kept across reads and appends.
      const kept = flatten(log.rangeBatches("a"));
      const before = copies(kept);
      await assertSame(log, "a");
      await fill(log, "a", 10, 3);
      await assertSame(log, "a");
      assert.deepEqual(copies(kept), before);

      const positions = [...log.range("a")].map((r) => r.position);
      for (const at of [3, 50, 200, positions.length - 5]) {
        await log.truncate("a", positions[at]);
        await assertSame(log, "a");
      }
      await log.close();
      log = await MultiRecordLog.open(DIR, options(fs, hotBytes));
      await assertSame(log, "a");
      await assertSame(log, "b");
      await log.truncate("b", log.lastPosition("b")!);
      assert.deepEqual([...log.rangeBatches("b")], []);
      await log.close();
    });
  });
}

describe("readable({ batch: true })", () => {
  it("follows: batches of records appended later come as they are written", async () => {
    const fs = new MemoryFileAdapter();
    await using log = await MultiRecordLog.open(DIR, options(fs, 4096));
    await log.createQueue("q");
    await fill(log, "q", 20, 4);
    const expected = copies(log.range("q"));
    const reader = log.readable("q", { batch: true, follow: true })
      .getReader();
    const got: LogRecord[] = [];
    while (got.length < expected.length) {
      const { value } = await reader.read();
      got.push(...batchRecords(value!));
    }
    const later = [randomBytes(10, 1), randomBytes(20, 2)];
    const appended = log.appendRecords("q", undefined, later);
    while (got.length < expected.length + 2) {
      const { value } = await reader.read();
      got.push(...batchRecords(value!));
    }
    await appended;
    await reader.cancel();
    assert.deepEqual(copies(got), copies(log.range("q")));
  });

  it("refuses a batch option that is not a boolean", async () => {
    const fs = new MemoryFileAdapter();
    await using log = await MultiRecordLog.open(DIR, options(fs, undefined));
    await log.createQueue("q");
    assert.throws(
      () => log.readable("q", { batch: "yes" as unknown as true }),
      TypeError,
    );
  });
});

describe("rangeBatches over damaged cold records", () => {
  for (const size of [300, 40_000]) {
    it(`raise CorruptionError, never return the record (${size} bytes)`, async () => {
      const fs = new MemoryFileAdapter();
      await using log = await MultiRecordLog.open(DIR, options(fs, 4096));
      await log.createQueue("q");
      const marker = new Uint8Array(size).fill(0xab);
      await log.appendRecord("q", undefined, marker);
      await fill(log, "q", 20, 5);
      const path = `${DIR}/${segmentName(walNumbers(fs, DIR)[0])}`;
      const bytes = fs.readFileBytes(path);
      const at = indexOf(bytes, marker.subarray(0, 200));
      assert.ok(at > 0);
      bytes[at + size - 50] ^= 0x01; // in its last frame
      fs.writeFileBytes(path, bytes);
      assert.throws(() => [...log.rangeBatches("q")], CorruptionError);
      await assert.rejects(async () => {
        for await (const _ of log.readable("q", { batch: true })) {
          /* reads */
        }
      }, CorruptionError);
      // Records after it still read, the same as range.
      assert.deepEqual(
        copies(flatten(log.rangeBatches("q", { from: 1 }))),
        copies(log.range("q", { from: 1 })),
      );
    });
  }
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
