import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CorruptionError,
  MemoryFileAdapter,
  MultiRecordLog,
  type OpenOptions,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/wal";
const HOT = 4096;

function options(fs: MemoryFileAdapter, extra: OpenOptions = {}): OpenOptions {
  return {
    fileAdapter: fs,
    onWarning: () => {},
    hotBytes: HOT,
    segmentBytes: 2 * BLOCK_SIZE,
    ...extra,
  };
}

/** Appends `count` records of varied sizes (some over a block) to `queue`. */
async function fill(
  log: MultiRecordLog,
  queue: string,
  count: number,
  seed: number,
): Promise<Uint8Array[]> {
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = i % 17 === 5 ? 40_000 : (i * 37) % 700;
    const batch = i % 5 === 0 ? 3 : 1;
    const records = Array.from(
      { length: batch },
      (_, j) => randomBytes(size + j, seed + i * 7 + j),
    );
    await log.appendRecords(queue, undefined, records);
    payloads.push(...records);
  }
  return payloads;
}

function payloadsOf(log: MultiRecordLog, queue: string): Uint8Array[] {
  return [...log.range(queue)].map((r) => r.payload);
}

describe("hotBytes: records that left memory", () => {
  it("are read back by range, rangeAsync and readable, before and after reopening", async () => {
    const fs = new MemoryFileAdapter();
    let log = await MultiRecordLog.open(DIR, options(fs));
    await log.createQueue("a");
    await log.createQueue("b");
    const a = await fill(log, "a", 60, 1);
    const b = await fill(log, "b", 40, 2);
    assert.ok(log.retainedBytes <= HOT, `${log.retainedBytes} in memory`);
    assert.ok(walNumbers(fs, DIR).length > 5, "several files");
    const opens = fs.stats.opens;
    assert.deepEqual(payloadsOf(log, "a"), a);
    assert.deepEqual(payloadsOf(log, "b"), b);
    assert.ok(fs.stats.opens > opens + 5, "read from the files");
    const viaAsync = [];
    for await (const r of log.rangeAsync("a", { from: 10, to: 30 })) {
      viaAsync.push(r.payload);
    }
    assert.deepEqual(viaAsync, payloadsOf(log, "a").slice(10, 31));
    const viaStream = [];
    for await (const r of log.readable("b")) viaStream.push(r.payload);
    assert.deepEqual(viaStream, b);
    assert.deepEqual(log.lastRecord("a")?.payload, a.at(-1));
    const summary = log.summary().queues["a"];
    assert.equal(
      summary.payloadBytes,
      a.reduce((n, p) => n + p.length, 0),
      "payloadBytes counts the records on disk too",
    );
    const usage = log.resourceUsage();
    assert.ok(usage.memoryUsedBytes <= HOT + 16 * (a.length + b.length));
    await log.close();

    log = await MultiRecordLog.open(DIR, options(fs));
    assert.ok(log.retainedBytes <= HOT, `${log.retainedBytes} after open`);
    assert.deepEqual(payloadsOf(log, "a"), a);
    assert.deepEqual(payloadsOf(log, "b"), b);
    await log.close();

    // Read-only, as another process would: the same records.
    log = await MultiRecordLog.open(DIR, options(fs, { readOnly: true }));
    assert.deepEqual(payloadsOf(log, "a"), a);
    await log.close();

    // Opened without the option: everything in memory, the same records.
    log = await MultiRecordLog.open(DIR, {
      ...options(fs),
      hotBytes: undefined,
    });
    assert.deepEqual(payloadsOf(log, "a"), a);
    assert.equal(
      log.retainedBytes,
      [...a, ...b].reduce((n, p) => n + p.length, 0),
    );
    await log.close();
  });

  it("truncation, retention and consumers work across them; files still go", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open(DIR, options(fs));
    await log.createQueue("q");
    const all = await fill(log, "q", 80, 3);
    const filesBefore = walNumbers(fs, DIR);
    await log.truncate("q", 49);
    assert.deepEqual(payloadsOf(log, "q"), all.slice(50));
    assert.ok(walNumbers(fs, DIR)[0] > filesBefore[0], "old files deleted");
    await log.createConsumer("q", "c");
    let seen = 0;
    for await (const r of log.readable("q", { consumer: "c" })) {
      assert.deepEqual(r.payload, all[r.position]);
      await log.ack("q", "c", r.position);
      seen++;
    }
    assert.equal(seen, all.length - 50);
    assert.equal([...log.range("q")].length, 0);
    await log.deleteConsumer("q", "c");
    await log.setRetention("q", { maxRecords: 10, discard: "old" });
    const more = await fill(log, "q", 30, 4);
    assert.deepEqual(payloadsOf(log, "q"), more.slice(-10));
    await log.setRetention("q", { maxBytes: 5000, discard: "old" });
    const kept = payloadsOf(log, "q");
    assert.ok(kept.reduce((n, p) => n + p.length, 0) <= 5000);
    assert.deepEqual(kept, more.slice(-kept.length));
    await log.close();
  });

  it("a damaged record on disk raises CorruptionError, never returned", async () => {
    const fs = new MemoryFileAdapter();
    let log = await MultiRecordLog.open(DIR, options(fs));
    await log.createQueue("q");
    const marker = new Uint8Array(300).fill(0xab);
    await log.appendRecord("q", undefined, marker);
    await fill(log, "q", 40, 5);
    // The first record left memory: flip a byte of its payload on disk.
    const path = `${DIR}/${segmentName(walNumbers(fs, DIR)[0])}`;
    const bytes = fs.readFileBytes(path);
    const at = indexOf(bytes, marker);
    assert.ok(at > 0);
    bytes[at + 100] ^= 0x01;
    fs.writeFileBytes(path, bytes);
    assert.throws(() => [...log.range("q")], CorruptionError);
    await assert.rejects(async () => {
      for await (const _ of log.readable("q")) { /* reads */ }
    }, CorruptionError);
    // Records after it still read.
    assert.equal([...log.range("q", { from: 1 })].length, 40 + 8 * 2);
    await log.close();
    // On open it is skipped as the format says (lost, reported), not returned.
    log = await MultiRecordLog.open(DIR, options(fs));
    assert.notEqual(log.range("q").next().value?.position, 0);
    assert.equal(log.summary().recovery.corruptionCount > 0, true);
    await log.close();
  });

  it("a record written after its part of the file was read is read fresh", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open(DIR, options(fs, { hotBytes: 0 }));
    await log.createQueue("q");
    for (let i = 0; i < 20; i++) {
      await log.appendRecord("q", undefined, randomBytes(100 + i, i));
      // Each read caches the 1 MiB window the next record lands in.
      assert.deepEqual(log.lastRecord("q")?.payload, randomBytes(100 + i, i));
    }
    assert.equal(log.retainedBytes, 0);
    await log.close();
  });

  it("hotBytes is checked", async () => {
    const fs = new MemoryFileAdapter();
    for (const hotBytes of [-1, 1.5, Number.NaN, "1"]) {
      await assert.rejects(
        MultiRecordLog.open(DIR, {
          fileAdapter: fs,
          hotBytes: hotBytes as number,
        }),
        RangeError,
      );
    }
    const log = await MultiRecordLog.open(DIR, options(fs, { hotBytes: 0 }));
    assert.equal(log.hotBytes, 0);
    await log.createQueue("q");
    await log.appendRecord("q", undefined, new Uint8Array(10));
    assert.equal(log.retainedBytes, 0);
    assert.deepEqual([...log.range("q")][0].payload, new Uint8Array(10));
    await log.close();
  });
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
