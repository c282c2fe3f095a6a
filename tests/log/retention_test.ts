import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MemoryFileAdapter,
  MemoryLimitError,
  MultiRecordLog,
  type OpenOptions,
  RetentionLimitError,
  type RetentionLimits,
} from "../../mod.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { utf8 } from "../support/bytes.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/wal";

async function openWithQueue(
  fs = new MemoryFileAdapter(),
  options: OpenOptions = {},
): Promise<MultiRecordLog> {
  const log = await MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    onWarning: () => {},
    ...options,
  });
  if (!log.queueExists("q")) await log.createQueue("q");
  return log;
}

function positions(log: MultiRecordLog): number[] {
  return [...log.range("q")].map((r) => r.position);
}

describe("retention settings", () => {
  it("are checked, returned as a copy, persisted, and removed with undefined", async () => {
    const fs = new MemoryFileAdapter();
    let log = await openWithQueue(fs);
    assert.equal(log.retention("q"), undefined);
    const bad: unknown[] = [
      null,
      5,
      {},
      { maxRecords: 5 },
      { maxRecords: 5, discard: "oldest" },
      { discard: "old" },
      { maxRecords: 0, discard: "old" },
      { maxBytes: 1.5, discard: "new" },
      { maxBytes: "10", discard: "new" },
    ];
    for (const limits of bad) {
      await assert.rejects(
        log.setRetention("q", limits as RetentionLimits),
        (e: unknown) => e instanceof TypeError || e instanceof RangeError,
        JSON.stringify(limits),
      );
    }
    const limits: RetentionLimits = { maxRecords: 3, discard: "new" };
    await log.setRetention("q", limits);
    limits.maxRecords = 1000;
    const got = log.retention("q")!;
    assert.deepEqual(got, { maxRecords: 3, discard: "new" });
    got.maxRecords = 1;
    assert.deepEqual(log.retention("q"), { maxRecords: 3, discard: "new" });
    await log.close();
    log = await openWithQueue(fs);
    assert.deepEqual(log.retention("q"), { maxRecords: 3, discard: "new" });
    await log.setRetention("q", undefined);
    assert.equal(log.retention("q"), undefined);
    assert.deepEqual(log.listQueues({ internal: true }), ["q"]);
    await log.close();
    log = await openWithQueue(fs);
    assert.equal(log.retention("q"), undefined);
    await log.close();
  });
});

describe("retention with discard: new", () => {
  it("refuses an append past a limit with RetentionLimitError, writing nothing", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openWithQueue(fs);
    await log.setRetention("q", {
      maxRecords: 3,
      maxBytes: 10,
      discard: "new",
    });
    await log.appendRecords("q", undefined, [utf8("aa"), utf8("bb")]);
    const written = fs.stats.bytesWritten;
    await assert.rejects(
      log.appendRecords("q", undefined, [utf8("c"), utf8("d")]),
      (e: unknown) => {
        assert.ok(e instanceof RetentionLimitError);
        assert.equal(e.name, "RetentionLimitError");
        assert.equal(e.queue, "q");
        assert.equal(e.maxRecords, 3);
        assert.equal(e.maxBytes, 10);
        assert.equal(e.records, 4);
        assert.equal(e.bytes, 6);
        assert.match(e.message, /maxRecords 3, maxBytes 10/);
        return true;
      },
    );
    await assert.rejects(
      log.appendRecord("q", undefined, utf8("1234567")),
      RetentionLimitError,
    );
    await log.persist("fsync");
    assert.equal(fs.stats.bytesWritten, written);
    await log.appendRecord("q", undefined, utf8("123456")); // exactly at both limits
    await log.truncate("q", 0);
    await log.appendRecord("q", undefined, utf8("x"));
    assert.deepEqual(positions(log), [1, 2, 3]);
    await log.close();
  });
});

describe("retention with discard: old", () => {
  it("truncates the oldest records to make room; readers behind see the jump", async () => {
    const log = await openWithQueue();
    await log.setRetention("q", { maxRecords: 3, discard: "old" });
    for (let i = 0; i < 3; i++) {
      await log.appendRecord("q", undefined, utf8("r"));
    }
    const reader = log.readable("q", { highWaterMark: 0 }).getReader();
    assert.equal((await reader.read()).value?.position, 0);
    const { walBytesWritten } = await log.appendRecords("q", undefined, [
      utf8("s"),
      utf8("t"),
    ]);
    assert.ok(walBytesWritten > 0);
    assert.deepEqual(positions(log), [2, 3, 4]);
    assert.equal((await reader.read()).value?.position, 2);
    reader.releaseLock();
    // A batch larger than the limit alone is refused anyway.
    await assert.rejects(
      log.appendRecords("q", undefined, [
        utf8("1"),
        utf8("2"),
        utf8("3"),
        utf8("4"),
      ]),
      RetentionLimitError,
    );
    await log.close();
  });

  it("keeps a queue within maxRecords and maxBytes, dropping the shortest run of old records (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
        fc.array(
          fc.array(fc.integer({ min: 0, max: 1500 }), { maxLength: 3 }),
          {
            maxLength: 30,
          },
        ),
        async (maxRecords, maxBytes, batches) => {
          if (maxRecords === undefined && maxBytes === undefined) return;
          const log = await openWithQueue();
          await log.setRetention("q", { maxRecords, maxBytes, discard: "old" });
          let model: { position: number; size: number }[] = [];
          let next = 0;
          for (const sizes of batches) {
            const bytes = sizes.reduce((n, s) => n + s, 0);
            const tooBig = sizes.length > (maxRecords ?? Infinity) ||
              bytes > (maxBytes ?? Infinity);
            const result = log.appendRecords(
              "q",
              undefined,
              sizes.map((s, i) => randomBytes(s, next + i)),
            );
            if (tooBig) {
              await assert.rejects(result, RetentionLimitError);
              continue;
            }
            await result;
            for (const size of sizes) model.push({ position: next++, size });
            while (
              model.length > (maxRecords ?? Infinity) ||
              model.reduce((n, r) => n + r.size, 0) > (maxBytes ?? Infinity)
            ) {
              model = model.slice(1);
            }
            assert.deepEqual(positions(log), model.map((r) => r.position));
          }
          await log.close();
        },
      ),
      { numRuns: 60, seed: 20260302 },
    );
  });

  it("trims a queue already over lower limits at once, and deletes the files freed", async () => {
    const fs = new MemoryFileAdapter();
    const log = await openWithQueue(fs, { segmentBytes: BLOCK_SIZE });
    for (let i = 0; i < 100; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(1000));
    }
    assert.ok(walNumbers(fs, DIR).length > 3);
    await log.setRetention("q", { maxBytes: 5000, discard: "old" });
    assert.deepEqual(positions(log), [95, 96, 97, 98, 99]);
    assert.ok(walNumbers(fs, DIR).length <= 2, `${walNumbers(fs, DIR)}`);
    for (let i = 0; i < 100; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(1000));
    }
    assert.equal(positions(log).length, 5);
    assert.ok(walNumbers(fs, DIR).length <= 2, `${walNumbers(fs, DIR)}`);
    await log.close();
  });

  it("counts the records it drops against the memory limit", async () => {
    const log = await openWithQueue(undefined, { memoryLimitBytes: 3000 });
    await log.setRetention("q", { maxRecords: 2, discard: "old" });
    for (let i = 0; i < 10; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(1400));
    }
    assert.equal(log.retainedBytes, 2800);
    await log.setRetention("q", undefined);
    await assert.rejects(
      log.appendRecord("q", undefined, new Uint8Array(1400)),
      MemoryLimitError,
    );
    await log.close();
  });
});
