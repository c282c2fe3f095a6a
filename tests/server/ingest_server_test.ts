import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createIngestHandler } from "../../src/server/ingest_handler.ts";
import { serveIngest } from "../../src/server/ingest_server.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { lengthPrefixed } from "../support/bytes.ts";
import { waitFor } from "../support/waiting.ts";
import { withTempDir } from "../support/temp_dir.ts";
import {
  expectError,
  line,
  lines,
  ndjsonBody,
  post,
  readUntil,
} from "./server_helpers.ts";
import { withServer } from "./server_helpers.ts";

describe("ingest server", () => {
  test("listens on 127.0.0.1 by default; queues are created, listed, deleted", async () => {
    await withServer({}, async (server) => {
      assert.equal(server.hostname, "127.0.0.1");
      assert.equal(server.url, `http://127.0.0.1:${server.port}`);
      const q = `${server.url}/queues/orders`;
      const created = await post(q);
      assert.equal(created.status, 201);
      assert.deepEqual(await created.json(), {
        queue: "orders",
        created: true,
      });
      await expectError(post(q), 409, "QueueAlreadyExistsError");
      assert.equal((await post(`${server.url}/queues/caf%C3%A9`)).status, 201);
      const list = await (await fetch(`${server.url}/queues`)).json();
      assert.deepEqual(Object.keys(list.queues), ["café", "orders"]);
      assert.deepEqual(list.queues.orders, {
        firstPosition: null,
        lastPosition: null,
        nextPosition: 0,
        recordCount: 0,
        payloadBytes: 0,
      });
      assert.equal(list.files.length, 1);
      const one = await fetch(q);
      assert.equal((await one.json()).nextPosition, 0);
      const deleted = await fetch(q, { method: "DELETE" });
      assert.deepEqual(await deleted.json(), {
        queue: "orders",
        deleted: true,
      });
      await expectError(
        fetch(q, { method: "DELETE" }),
        404,
        "MissingQueueError",
      );
      await expectError(fetch(q), 404, "MissingQueueError");
    });
  });

  test("ingests a streamed NDJSON body of several MiB and reads it back", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/events`;
      await post(q);
      const count = 50_000; // about 5 MiB
      const response = await post(`${q}/records`, ndjsonBody(0, count), {
        "content-type": "application/x-ndjson",
      });
      assert.deepEqual(await response.json(), {
        firstPosition: 0,
        lastPosition: count - 1,
        count,
        written: count,
      });
      const more = await post(
        `${q}/records`,
        `${line(count)}\n\n${line(count + 1)}`,
      );
      assert.deepEqual(await more.json(), {
        firstPosition: count,
        lastPosition: count + 1,
        count: 2,
        written: 2,
      });
      const all = await lines(await fetch(`${q}/records`));
      assert.equal(all.length, count + 2);
      all.forEach((l, i) => {
        assert.equal(l.position, i);
        assert.equal(l.payload, line(i));
      });
      const some = await lines(await fetch(`${q}/records?from=10&to=12`));
      assert.deepEqual(some.map((l) => l.position), [10, 11, 12]);
      assert.equal(server.log.lastPosition("events"), count + 1);
    });
  });

  test("ingests length-prefixed binary records", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/bin`;
      await post(q);
      const records = [
        new Uint8Array([0, 10, 13, 255]),
        new Uint8Array(0),
        new Uint8Array(100_000).fill(7),
      ];
      const body = lengthPrefixed(records);
      const first = await post(`${q}/records`, body, {
        "content-type": "application/octet-stream",
      });
      assert.deepEqual(await first.json(), {
        firstPosition: 0,
        lastPosition: 2,
        count: 3,
        written: 3,
      });
      const second = await post(`${q}/records?format=length-prefixed`, body, {
        "content-type": "text/plain",
      });
      assert.equal((await second.json()).lastPosition, 5);
      const text = await (await fetch(`${q}/records`)).text();
      const got = text.trim().split("\n").map((l) =>
        new Uint8Array(Buffer.from(JSON.parse(l).payload, "base64"))
      );
      assert.deepEqual(got, [...records, ...records]);
    });
  });

  test("follows the tail, and a client that goes away stops its stream", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/tail`;
      await post(q);
      await post(`${q}/records`, "a\nb\n");
      const abort = new AbortController();
      const response = await fetch(`${q}/records?from=1&follow=true`, {
        signal: abort.signal,
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      assert.deepEqual(await readUntil(reader, (l) => l.length >= 1), [
        { position: 1, payload: "b" },
      ]);
      assert.equal(server.openReadStreams, 1);
      await post(`${q}/records`, "c\nd\n");
      assert.deepEqual(await readUntil(reader, (l) => l.length >= 2), [
        { position: 2, payload: "c" },
        { position: 3, payload: "d" },
      ]);
      abort.abort();
      await reader.cancel().catch(() => {});
      assert.ok(await waitFor(() => server.openReadStreams === 0));
      // The log goes on serving.
      await post(`${q}/records`, "e\n");
      assert.equal(server.log.lastPosition("tail"), 4);
    });
  });

  test("a followed stream ends when its queue is deleted, or at `to`", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/gone`;
      await post(q);
      const response = await fetch(`${q}/records?follow=true`);
      const reader = response.body!.getReader();
      await post(`${q}/records`, "x\n");
      assert.equal((await readUntil(reader, (l) => l.length >= 1)).length, 1);
      await fetch(q, { method: "DELETE" });
      assert.deepEqual(await readUntil(reader, () => false), []);
      assert.ok(await waitFor(() => server.openReadStreams === 0));

      await post(q);
      const bounded = fetch(`${q}/records?follow=1&to=2`);
      await post(`${q}/records`, "0\n1\n2\n3\n");
      const got = await lines(await bounded);
      assert.deepEqual(got.map((l) => l.payload), ["0", "1", "2"]);
    });
  });

  test("truncates", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/t`;
      await post(q);
      await post(`${q}/records`, "0\n1\n2\n3\n");
      const response = await post(`${q}/truncate?position=1`);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).evictedRecords, 2);
      const left = await lines(await fetch(`${q}/records`));
      assert.deepEqual(left.map((l) => l.position), [2, 3]);
      const summary = await (await fetch(q)).json();
      assert.equal(summary.firstPosition, 2);
      await expectError(post(`${q}/truncate`), 400, "BadPosition");
      await expectError(post(`${q}/truncate?position=-1`), 400, "BadPosition");
      await expectError(
        post(`${server.url}/queues/nope/truncate?position=1`),
        404,
      );
    });
  });

  test("concurrent appends to one queue each get their own positions", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/c`;
      await post(q);
      const bodies = [0, 1, 2, 3].map((k) =>
        Array.from({ length: 500 }, (_, i) => `${k}-${i}`).join("\n")
      );
      const answers = await Promise.all(
        bodies.map(async (b) => await (await post(`${q}/records`, b)).json()),
      );
      const all = await lines(await fetch(`${q}/records`));
      assert.equal(all.length, 2000);
      answers.forEach((answer, k) => {
        assert.equal(answer.count, 500);
        assert.equal(answer.lastPosition - answer.firstPosition, 499);
        const mine = all.slice(answer.firstPosition, answer.lastPosition + 1);
        assert.deepEqual(mine.map((l) => l.payload), bodies[k].split("\n"));
      });
    });
  });

  test("answers 400 for malformed input", async () => {
    await withServer({}, async (server) => {
      const q = `${server.url}/queues/m`;
      await post(q);
      for (const bad of ["abc", "-1", "1.5", "1e3", "9007199254740992", ""]) {
        await expectError(
          post(`${q}/records?position=${bad}`, "x\n"),
          400,
          "BadPosition",
        );
        await expectError(
          fetch(`${q}/records?from=${bad}`),
          400,
          "BadPosition",
        );
      }
      await expectError(fetch(`${q}/records?to=x`), 400, "BadPosition");
      await expectError(fetch(`${q}/records?follow=maybe`), 400, "BadQuery");
      await expectError(fetch(`${q}/records?color=red`), 400, "BadQuery");
      await expectError(fetch(`${q}/records?from=1&from=2`), 400, "BadQuery");
      await expectError(post(`${q}/records?format=xml`, "x"), 400, "BadQuery");
      await expectError(fetch(`${server.url}/queues?x=1`), 400, "BadQuery");
      await expectError(
        post(
          `${q}/records`,
          new Uint8Array([1, 0, 0, 0, 65, 9, 0, 0, 0, 66]),
          { "content-type": "application/octet-stream" },
        ),
        400,
        "TruncatedInputError",
      );
      assert.equal(server.log.lastPosition("m"), undefined, "nothing stored");
      await expectError(
        post(`${q}/records?format=length-prefixed`, new Uint8Array([1, 0])),
        400,
        "TruncatedInputError",
      );
      await expectError(
        post(`${q}/records`, "x", { "content-type": "application/xml" }),
        415,
        "UnsupportedMediaType",
      );
    });
  });

  test("answers 404 for unknown queues and routes, 405 for wrong methods", async () => {
    await withServer({}, async (server) => {
      const u = server.url;
      await expectError(
        post(`${u}/queues/nope/records`, "x\n"),
        404,
        "MissingQueueError",
      );
      await expectError(
        fetch(`${u}/queues/nope/records`),
        404,
        "MissingQueueError",
      );
      await expectError(fetch(`${u}/queues/nope/records?follow=true`), 404);
      await expectError(fetch(`${u}/nothing`), 404, "NotFound");
      await expectError(fetch(`${u}/etc/passwd`), 404, "NotFound");
      await expectError(fetch(`${u}/queues/a/b/c`), 404, "NotFound");
      await expectError(fetch(`${u}/queues/a/other`), 404, "NotFound");
      const wrong = await fetch(`${u}/queues`, { method: "PUT" });
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "GET");
      assert.equal((await wrong.json()).error, "MethodNotAllowed");
    });
  });

  test("requires the bearer token on every request when one is set", async () => {
    await withServer({ token: "s3cret-token" }, async (server) => {
      const u = server.url;
      for (
        const headers of [
          {},
          { authorization: "Bearer wrong" },
          { authorization: "Bearer s3cret-token-and-more" },
          { authorization: "Basic s3cret-token" },
          { authorization: "s3cret-token" },
        ] as Record<string, string>[]
      ) {
        for (
          const path of [
            "/queues",
            "/queues/q",
            "/queues/q/records",
            "/nowhere",
          ]
        ) {
          const response = await fetch(`${u}${path}`, { headers });
          assert.equal(
            response.headers.get("www-authenticate")?.startsWith("Bearer"),
            true,
          );
          await expectError(response, 401, "Unauthorized");
        }
        await expectError(post(`${u}/queues/q`, null, headers), 401);
      }
      assert.deepEqual(server.log.listQueues(), []);
      const auth = { authorization: "Bearer s3cret-token" };
      assert.equal((await post(`${u}/queues/q`, null, auth)).status, 201);
      const appended = await post(`${u}/queues/q/records`, "hi\n", auth);
      assert.equal((await appended.json()).count, 1);
      const read = await fetch(`${u}/queues/q/records`, { headers: auth });
      assert.deepEqual(await lines(read), [{ position: 0, payload: "hi" }]);
    });
  });

  test("a restarted server finds the data; close ends open streams", () =>
    withTempDir(async (dir) => {
      let server = await serveIngest(dir, {
        port: 0,
        shutdownDrainMs: 0,
        openOptions: { persistPolicy: { kind: "always", action: "fsync" } },
      });
      await post(`${server.url}/queues/keep`);
      await post(`${server.url}/queues/keep/records`, ndjsonBody(0, 1000));
      const following = await fetch(
        `${server.url}/queues/keep/records?from=1000&follow=true`,
      );
      const reader = following.body!.getReader();
      await server.close();
      // The stream ended (or was cut) rather than hanging.
      await reader.read().then(() => {}, () => {});
      assert.equal(server.openReadStreams, 0);
      assert.equal(server.log.closed, true);

      server = await serveIngest(dir, { port: 0, shutdownDrainMs: 0 });
      try {
        const got = await lines(
          await fetch(`${server.url}/queues/keep/records`),
        );
        assert.equal(got.length, 1000);
        assert.equal(got[999].payload, line(999));
        const next = await post(`${server.url}/queues/keep/records`, "more\n");
        assert.equal((await next.json()).firstPosition, 1000);
      } finally {
        await server.close();
      }
      // Closed: the directory is free again.
      const log = await MultiRecordLog.open(dir);
      assert.equal(log.lastPosition("keep"), 1000);
      await log.close();
    }, "mrecordlog-server-"));

  test("the handler works without a server (runtime-neutral)", () =>
    withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir);
      try {
        const handler = createIngestHandler(log);
        const created = await handler(
          new Request("http://h/queues/q", { method: "POST" }),
        );
        assert.equal(created.status, 201);
        const appended = await handler(
          new Request("http://h/queues/q/records", {
            method: "POST",
            body: "a\nb",
          }),
        );
        assert.deepEqual(await appended.json(), {
          firstPosition: 0,
          lastPosition: 1,
          count: 2,
          written: 2,
        });
        const read = await handler(new Request("http://h/queues/q/records"));
        assert.deepEqual(
          (await lines(read)).map((l) => l.payload),
          ["a", "b"],
        );
        assert.equal(handler.openReadStreams, 0);
      } finally {
        await log.close();
      }
    }, "mrecordlog-handler-"));
});
