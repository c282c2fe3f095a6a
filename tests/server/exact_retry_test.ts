import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  planAppend,
  type StoredRecords,
} from "../../src/server/exact_append.ts";
import { HttpError } from "../../src/server/http_error.ts";
import type { LogRecord } from "../../src/log/mem_queue.ts";
import { expectError, request, stored, withHandler } from "./server_helpers.ts";

const encoder = new TextEncoder();
const bytes = (texts: string[]): Uint8Array[] =>
  texts.map((t) => encoder.encode(t));

/** A queue holding `records` (position → payload text), for planAppend. */
function queueOf(records: Record<number, string>): StoredRecords {
  const held: LogRecord[] = Object.entries(records)
    .map(([p, t]) => ({ position: Number(p), payload: encoder.encode(t) }))
    .sort((a, b) => a.position - b.position);
  return {
    lastPosition: () => held.at(-1)?.position,
    range: (_queue, { from, to }) => {
      // The library's argument check.
      for (const value of [from, to]) {
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new RangeError(`bad position ${value}`);
        }
      }
      return held.filter((r) => r.position >= from && r.position <= to);
    },
  };
}

/** The error planAppend raises, as `[status, name, nextPosition]`. */
function planError(
  log: StoredRecords,
  position: number | undefined,
  texts: string[],
): [number, string, unknown] {
  try {
    planAppend(log, "q", position, bytes(texts));
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return [error.status, error.name, error.fields.nextPosition];
  }
  assert.fail("no error");
}

describe("planAppend: the retry rule", () => {
  const log = queueOf({ 0: "a", 1: "b", 2: "c" }); // next position 3

  test("without a position, or at/after the next position: everything is written there", () => {
    assert.deepEqual(planAppend(log, "q", undefined, bytes(["x"])), {
      first: undefined,
      skip: 0,
    });
    assert.deepEqual(planAppend(log, "q", 3, bytes(["x", "y"])), {
      first: 3,
      skip: 0,
    });
    assert.deepEqual(planAppend(log, "q", 10, bytes(["x"])), {
      first: 10,
      skip: 0,
    });
    assert.deepEqual(planAppend(queueOf({}), "q", 0, bytes(["x"])), {
      first: 0,
      skip: 0,
    });
  });

  test("below the next position: the stored prefix is skipped, the rest goes at next", () => {
    assert.deepEqual(planAppend(log, "q", 0, bytes(["a", "b", "c"])), {
      first: 0,
      skip: 3,
    });
    assert.deepEqual(planAppend(log, "q", 1, bytes(["b", "c", "d", "e"])), {
      first: 1,
      skip: 2,
    });
    assert.deepEqual(planAppend(log, "q", 2, bytes(["c"])), {
      first: 2,
      skip: 1,
    });
    assert.deepEqual(planAppend(log, "q", 0, bytes(["a"])), {
      first: 0,
      skip: 1,
    });
    // No record: nothing to check, at any position.
    for (const position of [undefined, 0, 1, 3, Number.MAX_SAFE_INTEGER]) {
      assert.deepEqual(planAppend(log, "q", position, []), {
        first: position,
        skip: 0,
      });
    }
  });

  test("a different byte, a different length, or no record there is a 409 with nextPosition", () => {
    assert.deepEqual(planError(log, 0, ["a", "X", "c"]), [
      409,
      "PositionInPastError",
      3,
    ]);
    assert.deepEqual(planError(log, 2, ["cc"]), [
      409,
      "PositionInPastError",
      3,
    ]);
    // The library would take a single record at next - 1 for a retry of its
    // last append and write nothing; here its bytes are compared.
    assert.deepEqual(planError(log, 2, ["z"]), [409, "PositionInPastError", 3]);
    const gapped = queueOf({ 0: "a", 1: "b", 5: "f", 6: "g" });
    assert.deepEqual(planError(gapped, 3, ["d", "e"]), [
      409,
      "PositionInPastError",
      7,
    ]);
    assert.deepEqual(planError(gapped, 1, ["b", "c"]), [
      409,
      "PositionInPastError",
      7,
    ]);
    const truncated = queueOf({ 5: "f", 6: "g" });
    assert.deepEqual(planError(truncated, 4, ["e", "f"]), [
      409,
      "PositionInPastError",
      7,
    ]);
  });

  test("a last position past 2^53 - 1 is a 400 BadPosition", () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.deepEqual(planAppend(queueOf({}), "q", max, bytes(["x"])), {
      first: max,
      skip: 0,
    });
    assert.deepEqual(planError(queueOf({}), max, ["x", "y"]), [
      400,
      "BadPosition",
      undefined,
    ]);
    assert.deepEqual(
      planError(queueOf({}), max - 3, ["1", "2", "3", "4", "5"]),
      [
        400,
        "BadPosition",
        undefined,
      ],
    );
    assert.deepEqual(
      planError(queueOf({ [max - 1]: "x" }), undefined, ["a", "b"]),
      [
        400,
        "BadPosition",
        undefined,
      ],
    );
  });
});

describe("retries over HTTP", () => {
  test("a retry of a stored request writes nothing and answers what is stored", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const body = "one\ntwo\nthree\n";
      const answer = {
        firstPosition: 0,
        lastPosition: 2,
        count: 3,
        written: 3,
      };
      const first = await handler(
        request("/queues/q/records?position=0", body),
      );
      assert.deepEqual(await first.json(), answer);
      const walBytes = log.summary().files[0].bytes;
      const retry = await handler(
        request("/queues/q/records?position=0", body),
      );
      assert.deepEqual(await retry.json(), { ...answer, written: 0 });
      assert.equal(log.summary().files[0].bytes, walBytes, "nothing written");
      // A retry that goes further appends the rest only.
      const longer = await handler(
        request("/queues/q/records?position=1", "two\nthree\nfour\n"),
      );
      assert.deepEqual(await longer.json(), {
        firstPosition: 1,
        lastPosition: 3,
        count: 3,
        written: 1,
      });
      assert.deepEqual(stored(log, "q"), ["one", "two", "three", "four"]);
    });
  });

  test("a retry whose second record differs: 409, nothing written", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(request("/queues/q/records?position=0", "a\nb\n"));
      const conflict = await expectError(
        handler(request("/queues/q/records?position=0", "a\nB\nc\n")),
        409,
        "PositionInPastError",
      );
      assert.equal(conflict.nextPosition, 2);
      assert.deepEqual(stored(log, "q"), ["a", "b"]);
    });
  });

  test("a position in a gap or truncated away: 409; past the next: a gap", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(request("/queues/q/records", "0\n1\n2\n3\n4\n5\n6\n"));
      const gap = await handler(
        request("/queues/q/records?position=100", "100\n101\n"),
      );
      assert.deepEqual(await gap.json(), {
        firstPosition: 100,
        lastPosition: 101,
        count: 2,
        written: 2,
      });
      const inGap = await expectError(
        handler(request("/queues/q/records?position=50", "50\n51\n")),
        409,
        "PositionInPastError",
      );
      assert.equal(inGap.nextPosition, 102);
      await log.truncate("q", 3);
      await expectError(
        handler(request("/queues/q/records?position=2", "2\n3\n4\n")),
        409,
        "PositionInPastError",
      );
      assert.deepEqual(
        [...log.range("q")].map((r) => r.position),
        [4, 5, 6, 100, 101],
      );
    });
  });

  test("a request without records, at any position (0 and others below the next too): 200, count 0, nothing written, nothing logged", async () => {
    await withHandler({}, {}, async (handler, log, logged) => {
      await handler(request("/queues/q/records", "a\nb\nc\n"));
      const max = Number.MAX_SAFE_INTEGER;
      for (const query of ["", "?position=0", "?position=1", `?position=3`]) {
        for (const body of ["", "\n\n"]) {
          const answer = await handler(
            request(`/queues/q/records${query}`, body),
          );
          assert.equal(answer.status, 200, `${query} ${JSON.stringify(body)}`);
          assert.deepEqual(await answer.json(), {
            firstPosition: null,
            lastPosition: null,
            count: 0,
            written: 0,
          });
        }
      }
      const empty = await handler(
        request(`/queues/q/records?position=${max}&format=json`, "[]"),
      );
      assert.equal((await empty.json()).count, 0);
      assert.deepEqual(stored(log, "q"), ["a", "b", "c"]);
      assert.equal(log.lastPosition("q"), 2);
      assert.deepEqual(logged, []);
    });
  });

  test("positions near 2^53 - 1: 400 BadPosition before anything is written; the queue goes on", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const max = Number.MAX_SAFE_INTEGER;
      await expectError(
        handler(
          request(`/queues/q/records?position=${max}`, "1\n2\n3\n4\n5\n"),
        ),
        400,
        "BadPosition",
      );
      assert.equal(log.lastPosition("q"), undefined);
      const one = await handler(
        request(`/queues/q/records?position=${max}`, "x\n"),
      );
      assert.equal((await one.json()).lastPosition, max);
      await expectError(
        handler(request("/queues/q/records", "y\n")),
        400,
        "BadPosition",
      );
      const retry = await handler(
        request(`/queues/q/records?position=${max}`, "x\n"),
      );
      assert.equal((await retry.json()).written, 0);
      await expectError(
        handler(request(`/queues/q/records?position=${max}`, "z\n")),
        409,
        "PositionInPastError",
      );
      assert.deepEqual(stored(log, "q"), ["x"]);
    });
  });
});
