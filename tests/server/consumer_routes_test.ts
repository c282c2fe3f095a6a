import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { IngestHandler } from "../../src/server/ingest_handler.ts";
import {
  expectError,
  line,
  lines,
  post,
  readUntil,
  request,
  stored,
  withHandler,
  withServer,
} from "./server_helpers.ts";

const NDJSON = { "content-type": "application/x-ndjson" };

/** Appends `count` lines to queue `q` through `handler`. */
async function append(
  handler: IngestHandler,
  from: number,
  count: number,
): Promise<void> {
  let body = "";
  for (let i = from; i < from + count; i++) body += line(i) + "\n";
  const response = await handler(
    request("/queues/q/records", body, { headers: NDJSON }),
  );
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
}

function get(path: string): Request {
  return request(path, undefined, { method: "GET" });
}

function del(path: string): Request {
  return request(path, undefined, { method: "DELETE" });
}

describe("consumers over HTTP", () => {
  test("POST creates (201, Location, the consumer), a second POST is 409 ConsumerAlreadyExistsError; GET lists acked and lag", async () => {
    await withHandler({}, {}, async (handler, log, logged) => {
      await append(handler, 0, 5);
      const created = await handler(request("/queues/q/consumers/a%2Fb"));
      assert.equal(created.status, 201);
      assert.equal(
        created.headers.get("location"),
        "/queues/q/consumers/a%2Fb",
      );
      assert.deepEqual(await created.json(), {
        name: "a/b",
        acked: null,
        lag: 5,
      });
      const again = await handler(request("/queues/q/consumers/a%2Fb"));
      const body = await expectError(again, 409, "ConsumerAlreadyExistsError");
      assert.match(body.message as string, /a\/b/);
      const late = await handler(request("/queues/q/consumers/late?from=3"));
      assert.deepEqual(await late.json(), {
        name: "late",
        acked: null,
        lag: 2,
      });
      assert.deepEqual(log.listConsumers("q").map((c) => c.name), [
        "a/b",
        "late",
      ]);
      const list = await handler(get("/queues/q/consumers"));
      assert.equal(list.status, 200);
      assert.deepEqual(await list.json(), {
        queue: "q",
        consumers: [
          { name: "a/b", acked: null, lag: 5 },
          { name: "late", acked: null, lag: 2 },
        ],
      });
      const one = await handler(get("/queues/q/consumers/late"));
      assert.deepEqual(await one.json(), { name: "late", acked: null, lag: 2 });
      assert.deepEqual(logged, []);
    });
  });

  test("ack moves the consumer forward and truncates the queue to the lowest ack; errors are 400 BadPosition, 404 MissingConsumerError", async () => {
    await withHandler({}, {}, async (handler, log, logged) => {
      await append(handler, 0, 10);
      await handler(request("/queues/q/consumers/a"));
      await handler(request("/queues/q/consumers/b"));
      const acked = await handler(
        request("/queues/q/consumers/a/ack?position=6"),
      );
      assert.equal(acked.status, 200);
      assert.deepEqual(await acked.json(), { name: "a", acked: 6, lag: 3 });
      // b acknowledged nothing: nothing is truncated yet.
      assert.equal(log.summary().queues.q.start, 0);
      await handler(request("/queues/q/consumers/b/ack?position=3"));
      assert.equal(log.summary().queues.q.start, 4);
      // An older position is a no-op.
      const older = await handler(
        request("/queues/q/consumers/a/ack?position=2"),
      );
      assert.equal((await older.json()).acked, 6);
      await expectError(
        handler(request("/queues/q/consumers/a/ack?position=10")),
        400,
        "BadPosition",
      );
      await expectError(
        handler(request("/queues/q/consumers/a/ack")),
        400,
        "BadPosition",
      );
      await expectError(
        handler(request("/queues/q/consumers/a/ack?position=-1")),
        400,
        "BadPosition",
      );
      await expectError(
        handler(request("/queues/q/consumers/zz/ack?position=1")),
        404,
        "MissingConsumerError",
      );
      await expectError(
        handler(get("/queues/q/consumers/a/ack?position=1")),
        405,
        "MethodNotAllowed",
      );
      const list = await handler(get("/queues/q/consumers"));
      assert.deepEqual((await list.json()).consumers, [
        { name: "a", acked: 6, lag: 3 },
        { name: "b", acked: 3, lag: 6 },
      ]);
      assert.deepEqual(logged, []);
    });
  });

  test("GET …/records: NDJSON from after the last ack, at most limit records", async () => {
    await withHandler({}, {}, async (handler) => {
      await append(handler, 0, 8);
      await handler(request("/queues/q/consumers/c?from=2"));
      const first = await lines(
        await handler(get("/queues/q/consumers/c/records")),
      );
      assert.deepEqual(first.map((l) => l.position), [2, 3, 4, 5, 6, 7]);
      assert.equal(first[0].payload, line(2));
      await handler(request("/queues/q/consumers/c/ack?position=4"));
      const limited = await lines(
        await handler(get("/queues/q/consumers/c/records?limit=2")),
      );
      assert.deepEqual(limited.map((l) => l.position), [5, 6]);
      for (const bad of ["0", "-1", "x", "1.5"]) {
        await expectError(
          handler(get(`/queues/q/consumers/c/records?limit=${bad}`)),
          400,
          "BadQuery",
        );
      }
      await expectError(
        handler(get("/queues/q/consumers/c/records?from=1")),
        400,
        "BadQuery",
      );
      await expectError(
        handler(get("/queues/q/consumers/none/records")),
        404,
        "MissingConsumerError",
      );
      await expectError(
        handler(get("/queues/q/consumers/c/other")),
        404,
        "NotFound",
      );
      assert.equal(handler.openReadStreams, 0);
    });
  });

  test("a followed read through a consumer gets new records; read again, it starts after the last ack (at-least-once)", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/q`;
      await post(q);
      await post(`${q}/consumers/c`);
      await post(`${q}/records`, "r0\nr1\n", NDJSON);
      const response = await fetch(`${q}/consumers/c/records?follow=true`);
      const reader = response.body!.getReader();
      const before = await readUntil(reader, (got) => got.length >= 2);
      await post(`${q}/records`, "r2\n", NDJSON);
      const after = await readUntil(reader, (got) => got.length >= 1);
      await reader.cancel();
      assert.deepEqual(
        [...before, ...after].map((l) => l.payload),
        ["r0", "r1", "r2"],
      );
      await post(`${q}/consumers/c/ack?position=0`);
      const again = await fetch(`${q}/consumers/c/records?limit=5`);
      assert.deepEqual((await lines(again)).map((l) => l.payload), [
        "r1",
        "r2",
      ]);
      // With limit, a followed read ends once it has sent that many.
      const waiting = fetch(`${q}/consumers/c/records?follow=true&limit=3`);
      await post(`${q}/records`, "r3\n", NDJSON);
      assert.deepEqual((await lines(await waiting)).map((l) => l.payload), [
        "r1",
        "r2",
        "r3",
      ]);
    });
  });

  test("DELETE deletes (then 404 MissingConsumerError); names are checked as the library does; unknown queue 404", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await append(handler, 0, 3);
      await handler(request("/queues/q/consumers/a"));
      await handler(request("/queues/q/consumers/a/ack?position=1"));
      const deleted = await handler(del("/queues/q/consumers/a"));
      assert.equal(deleted.status, 200);
      assert.deepEqual(await deleted.json(), {
        queue: "q",
        consumer: "a",
        deleted: true,
      });
      assert.deepEqual(log.listConsumers("q"), []);
      await expectError(
        handler(del("/queues/q/consumers/a")),
        404,
        "MissingConsumerError",
      );
      await expectError(
        handler(get("/queues/q/consumers/a")),
        404,
        "MissingConsumerError",
      );
      await expectError(
        handler(request("/queues/q/consumers/%FF")),
        400,
        "BadConsumerName",
      );
      const long = await expectError(
        handler(request(`/queues/q/consumers/${"n".repeat(1025)}`)),
        400,
        "BadConsumerName",
      );
      assert.match(long.message as string, /1024/);
      await expectError(
        handler(request("/queues/nope/consumers/a")),
        404,
        "MissingQueueError",
      );
      await expectError(
        handler(get("/queues/nope/consumers")),
        404,
        "MissingQueueError",
      );
      await expectError(
        handler(request("/queues/q/consumers")),
        405,
        "MethodNotAllowed",
      );
      await expectError(
        handler(request("/queues/q/consumers/a/b/c")),
        404,
        "NotFound",
      );
      await expectError(
        handler(request("/queues/q/consumers/a?from=1&x=2")),
        400,
        "BadQuery",
      );
      assert.deepEqual(stored(log, "q").length, 1);
    });
  });
});
