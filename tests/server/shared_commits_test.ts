import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { fedBody, request, stored, withHandler } from "./server_helpers.ts";

const ALWAYS_FSYNC = {
  persistPolicy: { kind: "always", action: "fsync" },
} as const;

function fsyncs(log: MultiRecordLog): number {
  return log.metrics().fsyncDurationSeconds.count;
}

interface Answer {
  firstPosition: number;
  lastPosition: number;
  count: number;
  written: number;
}

describe("appends to one queue share commits", () => {
  test("N concurrent requests to one queue under always-fsync share fsyncs and land at distinct consecutive positions", async () => {
    await withHandler(ALWAYS_FSYNC, {}, async (handler, log) => {
      const n = 24;
      const bodies = Array.from(
        { length: n },
        (_, i) => `r${i}-a\nr${i}-b\nr${i}-c\n`,
      );
      const before = fsyncs(log);
      const responses = await Promise.all(
        bodies.map((body) => handler(request("/queues/q/records", body))),
      );
      const used = fsyncs(log) - before;
      const answers: Answer[] = [];
      for (const response of responses) {
        assert.equal(response.status, 200);
        answers.push(await response.json());
      }
      // One request at a time would take n fsyncs; sharing takes a few.
      assert.ok(used >= 1, "the appends were fsynced");
      assert.ok(used <= n / 4, `${used} fsyncs for ${n} requests`);
      const held = stored(log, "q");
      assert.equal(held.length, 3 * n);
      const starts = answers.map((a) => a.firstPosition).sort((a, b) => a - b);
      assert.deepEqual(starts, Array.from({ length: n }, (_, i) => 3 * i));
      answers.forEach((answer, i) => {
        assert.equal(answer.count, 3);
        assert.equal(answer.written, 3);
        assert.equal(answer.lastPosition, answer.firstPosition + 2);
        assert.deepEqual(
          held.slice(answer.firstPosition, answer.lastPosition + 1),
          bodies[i].trimEnd().split("\n"),
        );
      });
    });
  });

  test("a stalled body does not delay another append to its queue", async () => {
    await withHandler(ALWAYS_FSYNC, {}, async (handler, log) => {
      const slow = fedBody();
      const stalled = handler(request("/queues/q/records", slow.stream));
      slow.push("first\n");
      await slow.drained();
      const quick = await handler(request("/queues/q/records", "quick\n"));
      assert.equal(quick.status, 200);
      assert.deepEqual(stored(log, "q"), ["quick"]);
      slow.end();
      assert.equal((await (await stalled).json()).firstPosition, 1);
      assert.deepEqual(stored(log, "q"), ["quick", "first"]);
    });
  });

  test("a retry that arrives while its records are in flight waits for them and writes nothing", async () => {
    await withHandler(ALWAYS_FSYNC, {}, async (handler, log) => {
      const original = handler(request("/queues/q/records", "a\nb\n"));
      const retry = handler(request("/queues/q/records?position=0", "a\nb\n"));
      const after = handler(request("/queues/q/records", "c\n"));
      assert.deepEqual(await (await original).json(), {
        firstPosition: 0,
        lastPosition: 1,
        count: 2,
        written: 2,
      });
      assert.deepEqual(await (await retry).json(), {
        firstPosition: 0,
        lastPosition: 1,
        count: 2,
        written: 0,
      });
      assert.deepEqual(await (await after).json(), {
        firstPosition: 2,
        lastPosition: 2,
        count: 1,
        written: 1,
      });
      assert.deepEqual(stored(log, "q"), ["a", "b", "c"]);
    });
  });

  test("a retry in flight that differs is a 409, nothing written", async () => {
    await withHandler(ALWAYS_FSYNC, {}, async (handler, log) => {
      const original = handler(request("/queues/q/records", "a\nb\n"));
      const retry = handler(request("/queues/q/records?position=0", "a\nX\n"));
      assert.equal((await original).status, 200);
      const conflict = await retry;
      assert.equal(conflict.status, 409);
      assert.equal((await conflict.json()).nextPosition, 2);
      assert.deepEqual(stored(log, "q"), ["a", "b"]);
    });
  });

  test("bodies are released from the memory limit once appended", async () => {
    const options = { ...ALWAYS_FSYNC, memoryLimitBytes: 9000 };
    await withHandler(options, {}, async (handler, log) => {
      const responses = await Promise.all(
        Array.from(
          { length: 8 },
          () => handler(request("/queues/q/records", "x".repeat(1000))),
        ),
      );
      for (const r of responses) assert.equal(r.status, 200);
      assert.equal(log.retainedBytes, 8000);
      // The last 1000 bytes fit once the others are stored: nothing of
      // theirs is still counted as a body in flight.
      const last = await handler(
        request("/queues/q/records", "y".repeat(1000)),
      );
      assert.equal(last.status, 200);
      const over = await handler(request("/queues/q/records", "z"));
      assert.equal(over.status, 429);
    });
  });
});
