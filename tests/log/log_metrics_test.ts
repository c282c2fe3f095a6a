import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DURATION_BUCKETS_SECONDS,
  DurationHistogram,
  IMMEDIATE_SAMPLE,
  LogCounters,
} from "../../src/log/log_metrics.ts";
import {
  DiskLimitError,
  MemoryLimitError,
  RetentionLimitError,
} from "../../src/errors.ts";
import type { OpenOptions } from "../../src/log/log_types.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";

const SEGMENT = 32 * 1024;
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

/** A log on a fresh in-memory file system, with 32 KiB files. */
function openLog(
  options: OpenOptions = {},
  fileAdapter = new MemoryFileAdapter(),
): Promise<MultiRecordLog> {
  return MultiRecordLog.open("/wal", {
    fileAdapter,
    segmentBytes: SEGMENT,
    prefaultChunks: false,
    ...options,
  });
}

describe("DurationHistogram", () => {
  test("counts each duration in the first bucket whose bound it does not pass; snapshots are cumulative and end at Infinity", () => {
    const histogram = new DurationHistogram();
    assert.deepEqual(histogram.snapshot().buckets.at(-1), {
      le: Infinity,
      count: 0,
    });
    histogram.observe(0); // the first bucket
    histogram.observe(0.0001); // a bound is inclusive
    histogram.observe(0.00010001); // the next one
    histogram.observe(0.02, 3); // three appends of one commit
    histogram.observe(11); // past the last bound
    const { buckets, sum, count } = histogram.snapshot();
    assert.equal(buckets.length, DURATION_BUCKETS_SECONDS.length + 1);
    const at = (le: number): number => buckets.find((b) => b.le === le)!.count;
    assert.equal(at(0.0001), 2);
    assert.equal(at(0.00025), 3);
    assert.equal(at(0.01), 3);
    assert.equal(at(0.025), 6);
    assert.equal(at(10), 6);
    assert.equal(at(Infinity), 7);
    assert.equal(count, 7);
    assert.ok(Math.abs(sum - (0.0001 + 0.00010001 + 0.06 + 11)) < 1e-12);
    // A snapshot is a copy.
    histogram.observe(1);
    assert.equal(at(Infinity), 7);
  });
});

describe("LogCounters", () => {
  test("counts appends refused by limit, and nothing else", () => {
    const counters = new LogCounters();
    counters.rejected(new MemoryLimitError(10, 20));
    counters.rejected(new DiskLimitError(10, 20));
    counters.rejected(new DiskLimitError(10, 30));
    counters.rejected(
      Object.assign(new Error("x"), { name: "RetentionLimitError" }),
    );
    counters.rejected(new RangeError("bad position"));
    counters.rejected(undefined);
    assert.deepEqual(counters.appendsRejected, {
      memory: 1,
      disk: 2,
      retention: 1,
    });
  });

  test("appends are timed per commit: one clock reading for the appends joining a commit, each append counted", async () => {
    const counters = new LogCounters();
    let resolve!: () => void;
    const commit = new Promise<void>((r) => resolve = r);
    const first = counters.appendStarts();
    assert.equal(typeof first, "number");
    counters.waits(commit, first);
    // While a commit is being timed, the appends joining it read no clock.
    for (let i = 0; i < 4; i++) {
      const started = counters.appendStarts();
      assert.equal(started, undefined);
      counters.waits(commit, started);
    }
    assert.equal(counters.appendSeconds.snapshot().count, 0);
    await new Promise((r) => setTimeout(r, 5));
    resolve();
    await commit;
    await Promise.resolve();
    const { count, sum } = counters.appendSeconds.snapshot();
    assert.equal(count, 5);
    assert.ok(sum >= 5 * 0.004, `five appends of at least 4 ms: ${sum}`);
    // The next commit is timed on its own, from its first append.
    let resolveNext!: () => void;
    const next = new Promise<void>((r) => resolveNext = r);
    counters.waits(next, counters.appendStarts());
    resolveNext();
    await next;
    await Promise.resolve();
    assert.equal(counters.appendSeconds.snapshot().count, 6);
  });

  test("appends acknowledged at once: each counted, one in IMMEDIATE_SAMPLE timed (the first one), the others at the last duration timed", async () => {
    const counters = new LogCounters();
    const first = counters.appendStarts();
    assert.equal(typeof first, "number", "the first one is timed");
    await new Promise((r) => setTimeout(r, 3));
    counters.acknowledged(first);
    const timed = counters.appendSeconds.snapshot().sum;
    assert.ok(timed >= 0.002, `${timed}`);
    let clockReadings = 0;
    for (let i = 1; i < 3 * IMMEDIATE_SAMPLE; i++) {
      const started = counters.appendStarts();
      if (started !== undefined) clockReadings++;
      counters.acknowledged(started);
    }
    assert.equal(clockReadings, 2);
    const { count, sum } = counters.appendSeconds.snapshot();
    assert.equal(count, 3 * IMMEDIATE_SAMPLE);
    // The 15 after the first count its duration; the rest, fast ones'.
    assert.ok(sum >= IMMEDIATE_SAMPLE * timed, `${sum}`);
  });

  test("a failed commit is timed too, and the next commit is timed on its own", async () => {
    const counters = new LogCounters();
    const failed = Promise.reject(new Error("EIO"));
    failed.catch(() => {});
    counters.waits(failed, counters.appendStarts());
    await failed.catch(() => {});
    await Promise.resolve();
    assert.equal(counters.appendSeconds.snapshot().count, 1);
    const next = Promise.resolve();
    counters.waits(next, counters.appendStarts());
    counters.waits(next, counters.appendStarts());
    await next;
    await Promise.resolve();
    assert.equal(counters.appendSeconds.snapshot().count, 3);
  });
});

describe("MultiRecordLog.metrics()", () => {
  test("bytes written by operation add up to the outcomes the log returned", async () => {
    await using log = await openLog();
    const expected = {
      append: 0,
      truncate: 0,
      create_queue: 0,
      delete_queue: 0,
      queue_state: 0,
      gc: 0,
    };
    expected.create_queue += (await log.createQueue("a")).walBytesWritten;
    expected.create_queue += (await log.createQueue("b")).walBytesWritten;
    expected.create_queue += (await log.createQueue("gone")).walBytesWritten;
    for (let i = 0; i < 40; i++) {
      // About 1 KiB each: several files.
      const outcome = await log.appendRecords("a", undefined, [bytes(1000)]);
      expected.append += outcome.walBytesWritten;
    }
    expected.append +=
      (await log.appendRecord("b", undefined, bytes(10))).walBytesWritten;
    expected.append +=
      (await log.appendRecord("gone", undefined, bytes(10))).walBytesWritten;
    assert.deepEqual(log.metrics().walBytesWritten, expected);
    // Truncation, and the garbage collection it lets run, together.
    const truncated = await log.truncate("a", 39);
    const afterTruncate = log.metrics().walBytesWritten;
    assert.ok(afterTruncate.gc > 0, "b's old file was collected");
    assert.equal(
      afterTruncate.truncate + afterTruncate.gc,
      truncated.walBytesWritten,
    );
    const deleted = await log.deleteQueue("gone");
    let state = (await log.createConsumer("b", "c")).walBytesWritten;
    state += (await log.ack("b", "c", 0)).walBytesWritten;
    state += (await log.setRetention("b", { maxRecords: 5, discard: "old" }))
      .walBytesWritten;
    const m = log.metrics().walBytesWritten;
    assert.equal(
      m.delete_queue + m.queue_state + m.truncate + m.gc -
        afterTruncate.truncate - afterTruncate.gc,
      deleted.walBytesWritten + state,
    );
    assert.ok(m.delete_queue > 0 && m.queue_state > 0);
    assert.equal(m.append, expected.append);
  });

  test("per queue: records, bytes, next position, records appended and consumers; the log's own queues are left out", async () => {
    await using log = await openLog({ memoryLimitBytes: 1000 });
    await log.createQueue("q");
    await log.createQueue("empty");
    await log.appendRecords("q", undefined, [bytes(3), bytes(4), bytes(5)]);
    await log.appendRecord("q", 10, bytes(6)); // a gap
    await log.createConsumer("q", "slow");
    await log.createConsumer("q", "fast");
    await log.ack("q", "fast", 2);
    const m = log.metrics();
    assert.deepEqual(m.queues.map((q) => q.name), ["empty", "q"]);
    assert.deepEqual(m.queues[1], {
      name: "q",
      records: 4,
      bytes: 18,
      nextPosition: 11,
      recordsAppended: 4,
      consumers: [
        { name: "fast", acked: 2, lag: 1 },
        { name: "slow", acked: undefined, lag: 4 },
      ],
    });
    assert.deepEqual(m.queues[0], {
      name: "empty",
      records: 0,
      bytes: 0,
      nextPosition: 0,
      recordsAppended: 0,
      consumers: [],
    });
    assert.equal(m.memoryUsedBytes, 18);
    assert.equal(m.memoryLimitBytes, 1000);
    assert.equal(m.diskLimitBytes, undefined);
    assert.ok(m.memoryAllocatedBytes >= 18);
    assert.equal(m.diskUsedBytes, log.resourceUsage().diskUsedBytes);
    assert.equal(m.segmentFiles, log.summary().files.length);
    // Plain data: a copy, unchanged by later writes.
    await log.appendRecord("q", undefined, bytes(1));
    assert.equal(m.queues[1].recordsAppended, 4);
    assert.equal(log.metrics().queues[1].recordsAppended, 5);
    // A queue deleted and created again starts at zero.
    await log.deleteQueue("q");
    await log.createQueue("q");
    assert.equal(log.metrics().queues[1].recordsAppended, 0);
  });

  test("appends refused, by limit", async () => {
    await using log = await openLog({
      memoryLimitBytes: 100_000,
      diskLimitBytes: 2 * SEGMENT,
    });
    await log.createQueue("q");
    await assert.rejects(
      log.appendRecord("q", undefined, bytes(100_001)),
      MemoryLimitError,
    );
    await log.setRetention("q", { maxRecords: 1, discard: "new" });
    await log.appendRecord("q", undefined, bytes(1));
    await assert.rejects(
      log.appendRecord("q", undefined, bytes(1)),
      RetentionLimitError,
    );
    await log.setRetention("q", undefined);
    let refused: unknown;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      await log.appendRecord("q", undefined, bytes(1000))
        .catch((error) => refused = error);
    }
    assert.ok(refused instanceof DiskLimitError, String(refused));
    // Other errors are not counted.
    await assert.rejects(log.appendRecord("nope", undefined, bytes(1)));
    await assert.rejects(log.appendRecord("q", -1, bytes(1)));
    assert.deepEqual(log.metrics().appendsRejected, {
      memory: 1,
      disk: 1,
      retention: 1,
    });
  });

  test("append and fsync durations: every append counted once, every fsync", async () => {
    await using log = await openLog({
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    const fsyncsBefore = log.metrics().fsyncDurationSeconds.count;
    assert.ok(fsyncsBefore >= 1, "creating a queue fsyncs");
    for (let i = 0; i < 5; i++) {
      await log.appendRecord("q", undefined, bytes(8));
    }
    await Promise.all(
      Array.from(
        { length: 50 },
        () => log.appendRecord("q", undefined, bytes(8)),
      ),
    );
    const m = log.metrics();
    assert.equal(m.appendDurationSeconds.count, 55);
    assert.equal(m.appendDurationSeconds.buckets.at(-1)!.count, 55);
    assert.ok(m.appendDurationSeconds.sum > 0);
    assert.ok(m.fsyncDurationSeconds.count >= fsyncsBefore + 6);
    // Under always/flush: no fsync per append; appends counted all the same.
    await using flushed = await openLog({
      persistPolicy: { kind: "always", action: "flush" },
    });
    await flushed.createQueue("q");
    const fsyncs = flushed.metrics().fsyncDurationSeconds.count;
    for (let i = 0; i < 5; i++) {
      await flushed.appendRecord("q", undefined, bytes(8));
    }
    await Promise.all(
      Array.from(
        { length: 50 },
        () => flushed.appendRecord("q", undefined, bytes(8)),
      ),
    );
    const f = flushed.metrics();
    assert.equal(f.appendDurationSeconds.count, 55);
    assert.equal(f.fsyncDurationSeconds.count, fsyncs);
  });

  test("a log opened read-only: its queues, no counts", async () => {
    const fileAdapter = new MemoryFileAdapter();
    const log = await openLog({}, fileAdapter);
    await log.createQueue("q");
    await log.appendRecord("q", undefined, bytes(7));
    await log.close();
    assert.throws(() => log.metrics(), { name: "LogClosedError" });
    await using snapshot = await openLog({ readOnly: true }, fileAdapter);
    const m = snapshot.metrics();
    assert.deepEqual(m.queues.map((q) => [q.name, q.records, q.bytes]), [
      ["q", 1, 7],
    ]);
    assert.equal(m.walBytesWritten.append, 0);
    assert.equal(m.appendDurationSeconds.count, 0);
    assert.equal(m.fsyncDurationSeconds.count, 0);
    assert.equal(m.segmentFiles, 1);
  });
});
