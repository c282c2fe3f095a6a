import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_QUEUE_NAME_BYTES } from "../../src/arguments.ts";
import {
  expectError,
  lines,
  post,
  request,
  withHandler,
  withServer,
} from "./server_helpers.ts";

/** The message the library raises for queue name `name`, if any. */
async function libraryRefusal(
  log: { createQueue(name: string): Promise<unknown> },
  name: string,
): Promise<string | undefined> {
  try {
    await log.createQueue(name);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe("queue names over HTTP", () => {
  test("every name the library accepts, percent-encoded ('/' as %2F): created, appended, read, listed, deleted", async () => {
    await withServer({}, async (server) => {
      const names = [
        "a/b",
        "index/source/shard-01",
        "/",
        "a\\b",
        "a..b",
        "line\nbreak",
        "nul\u0000",
        "50% off?#&=",
        "café ☕ 🚀",
        " ",
      ];
      for (const name of names) {
        const path = `${server.url}/queues/${encodeURIComponent(name)}`;
        const created = await post(path);
        assert.equal(created.status, 201, JSON.stringify(name));
        assert.equal(
          created.headers.get("location"),
          `/queues/${encodeURIComponent(name)}`,
        );
        assert.deepEqual(await created.json(), { queue: name, created: true });
        const appended = await post(`${path}/records`, "x\n");
        assert.equal((await appended.json()).written, 1);
        assert.deepEqual(await lines(await fetch(`${path}/records`)), [
          { position: 0, payload: "x" },
        ]);
        assert.equal((await (await fetch(path)).json()).recordCount, 1);
      }
      const listed = await (await fetch(`${server.url}/queues`)).json();
      assert.deepEqual(Object.keys(listed.queues).sort(), [...names].sort());
      assert.deepEqual(server.log.listQueues().sort(), [...names].sort());
      const ab = `${server.url}/queues/a%2Fb`;
      assert.equal((await fetch(ab, { method: "DELETE" })).status, 200);
      await expectError(fetch(ab), 404, "MissingQueueError");
      assert.equal(server.log.queueExists("a/b"), false);
      assert.equal(server.log.queueExists("index/source/shard-01"), true);
    });
  });

  test("the server refuses the names the library refuses, with the library's message", async () => {
    await withHandler({}, {}, async (handler, log) => {
      for (
        const name of ["", "x".repeat(MAX_QUEUE_NAME_BYTES + 1)]
      ) {
        const expected = await libraryRefusal(log, name);
        assert.ok(expected !== undefined);
        const answer = await expectError(
          handler(request(`/queues/${encodeURIComponent(name)}/records`, "x")),
          400,
          "BadQueueName",
        );
        assert.equal(answer.message, expected);
      }
      // Whatever the library decides for a name, the server decides the
      // same, with the same message (a name starting with U+0000 may be
      // reserved by the library for its own state).
      for (const name of ["\u0000state", "\u0000", "a\u0000", "\u0001"]) {
        const path = `/queues/${encodeURIComponent(name)}`;
        const expected = await libraryRefusal(log, name);
        if (expected === undefined) {
          await log.deleteQueue(name);
          assert.equal((await handler(request(path))).status, 201, path);
        } else {
          const answer = await expectError(
            handler(request(path)),
            400,
            "BadQueueName",
          );
          assert.equal(answer.message, expected);
        }
        await log.deleteQueue(name).catch(() => {});
      }
      // A name of the longest length is accepted by both.
      const longest = "é".repeat(MAX_QUEUE_NAME_BYTES / 5) + "x".repeat(
        MAX_QUEUE_NAME_BYTES - (MAX_QUEUE_NAME_BYTES / 5) * 2,
      );
      assert.equal(new TextEncoder().encode(longest).length, 65_535);
      const created = await handler(
        request(`/queues/${encodeURIComponent(longest)}`),
      );
      assert.equal(created.status, 201);
      assert.equal(await libraryRefusal(log, "ok"), undefined);
      // Bytes that are not UTF-8 cannot name a queue (no string holds them).
      await expectError(
        handler(request("/queues/%FF")),
        400,
        "BadQueueName",
      );
      await expectError(
        handler(request("/queues/%ED%A0%80")), // a lone surrogate
        400,
        "BadQueueName",
      );
      assert.deepEqual(log.listQueues().sort(), [longest, "ok", "q"].sort());
    });
  });

  test("the path is split on '/' before decoding: %2F stays in the name", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(request("/queues/a%2Frecords"));
      const append = await handler(request("/queues/a%2Frecords/records", "y"));
      assert.equal((await append.json()).written, 1);
      assert.deepEqual(log.listQueues().sort(), ["a/records", "q"]);
      await expectError(
        handler(request("/queues/a/records/x")),
        404,
        "NotFound",
      );
    });
  });

  test("a name of 65,535 bytes over a real server (Bun: its header limit is raised; Deno: URLs stop at 64 KiB)", async () => {
    await withServer({}, async (server) => {
      const bytes = "Bun" in globalThis ? MAX_QUEUE_NAME_BYTES : 65_000;
      const name = "n".repeat(bytes);
      const path = `${server.url}/queues/${name}`;
      assert.equal((await post(path)).status, 201);
      const appended = await post(`${path}/records?position=0`, "z\n");
      assert.equal((await appended.json()).written, 1);
      assert.deepEqual(server.log.listQueues(), [name]);
      if ("Bun" in globalThis) {
        const tooLong = `${server.url}/queues/${name}n`;
        await expectError(post(tooLong), 400, "BadQueueName");
      }
    });
  });
});
