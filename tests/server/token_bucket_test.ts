import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket } from "../../src/server/token_bucket.ts";
import { createIngestHandler } from "../../src/server/ingest_handler.ts";
import { serveIngest } from "../../src/server/ingest_server.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { expectError, request, stored, withHandler } from "./server_helpers.ts";

/** A clock the test moves by hand, in ms. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => t += ms };
}

describe("TokenBucket", () => {
  test("starts full, takes what it holds, refills at its rate up to its capacity", () => {
    const clock = manualClock();
    const bucket = new TokenBucket(100, 1000, clock.now); // 100/s, burst 1000
    assert.equal(bucket.tokens, 1000);
    assert.equal(bucket.take(600), 0);
    assert.equal(bucket.take(400), 0);
    assert.equal(bucket.tokens, 0);
    clock.advance(500); // +50
    assert.equal(bucket.tokens, 50);
    assert.equal(bucket.take(50), 0);
    clock.advance(60_000);
    assert.equal(bucket.tokens, 1000, "never above the capacity");
  });

  test("says how long until it holds the amount, taking nothing", () => {
    const clock = manualClock();
    const bucket = new TokenBucket(100, 1000, clock.now);
    bucket.take(1000);
    clock.advance(1000); // 100 tokens
    assert.equal(bucket.take(350), 2500); // 250 missing at 100/s
    assert.equal(bucket.tokens, 100, "nothing taken");
    clock.advance(2500);
    assert.equal(bucket.take(350), 0);
    assert.equal(bucket.tokens, 0);
  });

  test("refund puts tokens back, up to the capacity", () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 100, clock.now);
    bucket.take(80);
    bucket.refund(30);
    assert.equal(bucket.tokens, 50);
    bucket.refund(1000);
    assert.equal(bucket.tokens, 100);
  });

  test("a clock that goes back adds nothing", () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 100, clock.now);
    bucket.take(100);
    clock.advance(-5000);
    assert.equal(bucket.tokens, 0);
  });

  test("refuses bad arguments", () => {
    assert.throws(() => new TokenBucket(0, 10), RangeError);
    assert.throws(() => new TokenBucket(10, -1), RangeError);
    assert.throws(() => new TokenBucket(Infinity, 10), RangeError);
    const bucket = new TokenBucket(10, 100);
    assert.throws(() => bucket.take(101), RangeError);
    assert.throws(() => bucket.take(-1), RangeError);
  });
});

describe("per-queue rate limit", () => {
  test("429 RateLimited with Retry-After from the bucket, nothing stored; each queue has its own bucket", async () => {
    const clock = manualClock();
    await withHandler({}, {
      maxBodyBytes: 1000,
      queueRate: { bytesPerSecond: 100, burstBytes: 1000, now: clock.now },
    }, async (handler, log) => {
      await log.createQueue("other");
      const record = "x".repeat(600);
      const ok = await handler(request("/queues/q/records", record));
      assert.equal((await ok.json()).written, 1);
      const limited = await handler(request("/queues/q/records", record));
      // 400 tokens left, 200 missing at 100/s: 2 s.
      assert.equal(limited.headers.get("retry-after"), "2");
      const error = await expectError(limited, 429, "RateLimited");
      assert.equal(error.limit, "rate");
      const elsewhere = await handler(request("/queues/other/records", record));
      assert.equal(elsewhere.status, 200);
      clock.advance(2000);
      const later = await handler(request("/queues/q/records", record));
      assert.equal((await later.json()).written, 1);
      assert.deepEqual(stored(log, "q"), [record, record]);
    });
  });

  test("counts only the bytes written: a retry of stored records costs nothing", async () => {
    const clock = manualClock();
    await withHandler({}, {
      maxBodyBytes: 1000,
      queueRate: { bytesPerSecond: 1, burstBytes: 1000, now: clock.now },
    }, async (handler) => {
      const body = "y".repeat(900);
      const first = await handler(
        request("/queues/q/records?position=0", body),
      );
      assert.equal((await first.json()).written, 1);
      const retry = await handler(
        request("/queues/q/records?position=0", body),
      );
      assert.equal((await retry.json()).written, 0);
    });
  });

  test("a failed append gives its tokens back", async () => {
    const clock = manualClock();
    await withHandler({ memoryLimitBytes: 1500 }, {
      maxBodyBytes: 1000,
      queueRate: { bytesPerSecond: 1, burstBytes: 1000, now: clock.now },
    }, async (handler, log) => {
      const appendRecords = log.appendRecords.bind(log);
      let failNext = true;
      log.appendRecords = (queue, position, payloads) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(
            Object.assign(new Error("the disk is full"), {
              name: "DiskLimitError",
            }),
          );
        }
        return appendRecords(queue, position, payloads);
      };
      const body = "z".repeat(900);
      await expectError(
        handler(request("/queues/q/records", body)),
        429,
        "DiskLimitError",
      );
      const again = await handler(request("/queues/q/records", body));
      assert.equal((await again.json()).written, 1);
    });
  });

  test("a burst below the largest body is refused at creation", async () => {
    await withHandler({}, {}, (_handler, log) => {
      const withBurst = (burstBytes: number) =>
        createIngestHandler(log, {
          maxBodyBytes: 1000,
          queueRate: { bytesPerSecond: 1, burstBytes },
        });
      assert.throws(() => withBurst(999), RangeError);
      assert.equal(typeof withBurst(1000), "function");
      return Promise.resolve();
    });
    // serveIngest refuses it too, and leaves the directory unlocked.
    await withTempDir(async (dir) => {
      await assert.rejects(
        serveIngest(dir, {
          port: 0,
          maxBodyBytes: 1000,
          queueRate: { bytesPerSecond: 1, burstBytes: 999 },
        }),
        RangeError,
      );
      await (await MultiRecordLog.open(dir)).close();
    });
  });
});
