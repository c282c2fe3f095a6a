import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseRetention } from "../../src/server/retention_route.ts";
import { HttpError } from "../../src/server/http_error.ts";
import {
  expectError,
  post,
  request,
  stored,
  withHandler,
  withServer,
} from "./server_helpers.ts";

const NDJSON = { "content-type": "application/x-ndjson" };

function put(path: string, body: string): Request {
  return request(path, body, {
    method: "PUT",
    headers: { "content-type": "application/json" },
  });
}

describe("retention limits over HTTP", () => {
  test("PUT sets (answering the limits), GET shows, DELETE removes; a limit absent or null is not set", async () => {
    await withHandler({}, {}, async (handler, log, logged) => {
      const none = await handler(
        request("/queues/q/retention", undefined, { method: "GET" }),
      );
      assert.deepEqual(await none.json(), { queue: "q", retention: null });
      const set = await handler(
        put("/queues/q/retention", '{"maxRecords":3,"discard":"new"}'),
      );
      assert.equal(set.status, 200);
      assert.deepEqual(await set.json(), {
        queue: "q",
        retention: { maxRecords: 3, maxBytes: null, discard: "new" },
      });
      assert.deepEqual(log.retention("q"), { maxRecords: 3, discard: "new" });
      // What GET answers can be PUT back as it is.
      const shown = await handler(
        request("/queues/q/retention", undefined, { method: "GET" }),
      );
      const { retention } = await shown.json();
      await handler(put("/queues/q/retention", JSON.stringify(retention)));
      assert.deepEqual(log.retention("q"), { maxRecords: 3, discard: "new" });
      const removed = await handler(
        request("/queues/q/retention", undefined, { method: "DELETE" }),
      );
      assert.deepEqual(await removed.json(), { queue: "q", retention: null });
      assert.equal(log.retention("q"), undefined);
      assert.deepEqual(logged, []);
    });
  });

  test("a bad body is a 400 BadRetention with the reason, changing nothing", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(
        put("/queues/q/retention", '{"maxBytes":100,"discard":"old"}'),
      );
      const cases: [string, RegExp][] = [
        ["", /not JSON/],
        ["{maxRecords: 1}", /not JSON/],
        ["[1]", /JSON object/],
        ["null", /JSON object/],
        ['{"maxRecords":1}', /discard/],
        ['{"maxRecords":1,"discard":"all"}', /discard/],
        ['{"discard":"old"}', /maxRecords or maxBytes/],
        ['{"maxRecords":0,"discard":"old"}', /maxRecords must be a positive/],
        ['{"maxBytes":"1","discard":"old"}', /maxBytes must be a positive/],
        ['{"max_records":1,"discard":"old"}', /Unknown field "max_records"/],
      ];
      for (const [body, reason] of cases) {
        const error = await expectError(
          handler(put("/queues/q/retention", body)),
          400,
          "BadRetention",
        );
        assert.match(error.message as string, reason, body);
      }
      assert.deepEqual(log.retention("q"), { maxBytes: 100, discard: "old" });
      await expectError(
        handler(put("/queues/q/retention", " ".repeat(5000))),
        413,
        "BodyTooLarge",
      );
      await expectError(
        handler(put("/queues/none/retention", '{"maxRecords":1}')),
        404,
        "MissingQueueError",
      );
      await expectError(
        handler(request("/queues/none/retention", undefined, {
          method: "GET",
        })),
        404,
        "MissingQueueError",
      );
      await expectError(
        handler(request("/queues/q/retention", "{}")),
        405,
        "MethodNotAllowed",
      );
      await expectError(
        handler(request("/queues/q/retention/x", "{}")),
        404,
        "NotFound",
      );
    });
  });

  test("parseRetention keeps the library's checks", () => {
    assert.deepEqual(
      parseRetention('{"maxRecords":5,"maxBytes":null,"discard":"old"}'),
      { maxRecords: 5, discard: "old" },
    );
    assert.throws(
      () => parseRetention('{"maxRecords":1.5,"discard":"old"}'),
      (e) => e instanceof HttpError && e.status === 400,
    );
  });

  test('an append past a limit with discard "new": 429 RetentionLimitError with the limit and the numbers, nothing stored', async () => {
    await withServer({ retryAfterSeconds: 3 }, async (server) => {
      const q = `${server.url}/queues/q`;
      await post(q);
      const put = await fetch(`${q}/retention`, {
        method: "PUT",
        body: '{"maxRecords":3,"maxBytes":1000,"discard":"new"}',
      });
      assert.equal(put.status, 200);
      await put.body?.cancel();
      assert.equal((await post(`${q}/records`, "a\nb\n", NDJSON)).status, 200);
      const refused = await post(`${q}/records`, "c\nd\n", NDJSON);
      assert.equal(refused.headers.get("retry-after"), "3");
      const error = await expectError(refused, 429, "RetentionLimitError");
      assert.equal(error.limit, "retention");
      assert.equal(error.maxRecords, 3);
      assert.equal(error.maxBytes, 1000);
      assert.equal(error.records, 4);
      assert.equal(error.bytes, 4);
      assert.deepEqual(stored(server.log, "q"), ["a", "b"]);
    });
  });

  test('an append past a limit with discard "old" truncates the oldest records', async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(
        put("/queues/q/retention", '{"maxRecords":2,"discard":"old"}'),
      );
      for (const body of ["a\nb\n", "c\n", "d\n"]) {
        const response = await handler(
          request("/queues/q/records", body, { headers: NDJSON }),
        );
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
      assert.deepEqual(stored(log, "q"), ["c", "d"]);
      assert.equal(log.summary().queues.q.start, 2);
    });
  });
});
