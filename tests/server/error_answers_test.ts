import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { errorResponse, HttpError } from "../../src/server/http_error.ts";
import {
  ConsumerAlreadyExistsError,
  LogClosedError,
  LogFailedError,
  MemoryLimitError,
  MissingConsumerError,
  MissingQueueError,
  PositionInPastError,
  QueueAlreadyExistsError,
  RecordTooLargeError,
  RetentionLimitError,
  TruncatedInputError,
} from "../../src/errors.ts";
import { waitFor } from "../support/waiting.ts";
import {
  expectError,
  post,
  rawConnection,
  readUntil,
  request,
  stored,
  withHandler,
  withServer,
} from "./server_helpers.ts";

/** A library error of `name` (as `DiskLimitError` will be). */
function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe("every error answer is JSON with a stable name", () => {
  test("the library's errors, by name", async () => {
    const logged: unknown[] = [];
    const options = {
      retryAfter: "7",
      onError: (e: unknown) => logged.push(e),
    };
    const cases: [Error, number, Record<string, unknown>][] = [
      [new MissingQueueError("q"), 404, {}],
      [new QueueAlreadyExistsError("q"), 409, {}],
      [new PositionInPastError("q", 1, 5), 409, { nextPosition: 5 }],
      [new RecordTooLargeError(10, 11), 413, {}],
      [new TruncatedInputError("record", 9, 1), 400, {}],
      [new MemoryLimitError(100, 120), 429, { limit: "memory" }],
      [named("DiskLimitError", "disk full"), 429, { limit: "disk" }],
      [new MissingConsumerError("q", "c"), 404, {}],
      [new ConsumerAlreadyExistsError("q", "c"), 409, {}],
      [
        new RetentionLimitError("q", { maxRecords: 3 }, 5, 40),
        429,
        {
          limit: "retention",
          maxRecords: 3,
          maxBytes: null,
          records: 5,
          bytes: 40,
        },
      ],
      [new LogClosedError(), 503, {}],
      [new LogFailedError(new Error("EIO")), 503, {}],
    ];
    for (const [error, status, fields] of cases) {
      const response = errorResponse(error, options);
      const body = await expectError(response, status, error.name);
      for (const [key, value] of Object.entries(fields)) {
        assert.equal(body[key], value, `${error.name}.${key}`);
      }
      assert.equal(
        response.headers.get("retry-after"),
        status === 429 ? "7" : null,
        error.name,
      );
    }
    assert.deepEqual(logged, []);
  });

  test("an HttpError keeps its status, headers and fields; anything else is a logged 500 InternalError", async () => {
    const logged: unknown[] = [];
    const options = {
      retryAfter: "1",
      onError: (e: unknown) => logged.push(e),
    };
    const limited = errorResponse(
      new HttpError(429, "RateLimited", "slow down", {
        headers: { "retry-after": "9" },
        fields: { limit: "rate" },
      }),
      options,
    );
    assert.equal(limited.headers.get("retry-after"), "9");
    assert.equal(
      (await expectError(limited, 429, "RateLimited")).limit,
      "rate",
    );
    const bug = new TypeError("x is undefined");
    await expectError(errorResponse(bug, options), 500, "InternalError");
    await expectError(errorResponse("a string", options), 500, "InternalError");
    assert.deepEqual(logged, [bug, "a string"]);
  });

  test("a malformed chunked body: 400 JSON (BadRequest from node:http's parser, BadBody from Deno.serve), nothing stored, nothing logged", async () => {
    const logged: unknown[] = [];
    await withServer({ onError: (e) => logged.push(e) }, async (server) => {
      await post(`${server.url}/queues/q`);
      const connection = await rawConnection(server.port);
      await connection.write(
        "POST /queues/q/records HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n4\r\na\nb\n\r\n",
      );
      assert.ok(await waitFor(() => server.pendingRequests === 1));
      await connection.write("ZZZ\r\nxx\r\n0\r\n\r\n");
      const answer = await connection.closed;
      assert.match(answer, /^HTTP\/1\.1 400 /);
      if (!("Bun" in globalThis)) {
        // node:http (the default under Deno and Node) answers it in JSON
        // (its clientError handler); Bun.serve's parser answers it itself,
        // with an empty body, before the handler can.
        assert.match(
          answer,
          /\r\n\r\n\{"error":"(BadRequest|BadBody)","message":"[^"]+"\}\n$/,
        );
      }
      assert.ok(await waitFor(() => server.pendingRequests === 0));
      assert.deepEqual(stored(server.log, "q"), []);
    });
    assert.deepEqual(logged, []);
  });

  test("a request on a kept-alive connection during shutdown: 503 ServerClosing JSON, then the connection closes", async () => {
    await withServer({ shutdownDrainMs: 1000 }, async (server) => {
      const connection = await rawConnection(server.port);
      await connection.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
      // (Node sends the body chunked: its size line before, the last chunk after.)
      await connection.until(/\r\n\r\n(?:[0-9a-f]+\r\n)?\{.*\}\n/s);
      assert.match(connection.received(), /^HTTP\/1\.1 200 /);
      const closing = server.close();
      await connection.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
      const all = await connection.closed;
      const second = all.slice(all.indexOf("HTTP/1.1", 10));
      assert.match(second, /^HTTP\/1\.1 503 /);
      assert.match(second, /\r\nconnection: close\r\n/i);
      assert.match(
        second,
        /\r\n\r\n(?:[0-9a-f]+\r\n)?\{"error":"ServerClosing","message":"[^"]+"\}\n(?:\r\n0\r\n\r\n)?$/,
      );
      await closing;
      assert.equal(server.log.closed, true);
    });
  });

  test("a follower that disconnects logs nothing", async () => {
    const logged: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      await withServer({}, async (server) => {
        const q = `${server.url}/queues/q`;
        await post(q);
        await post(`${q}/records`, "a\n");
        const abort = new AbortController();
        const response = await fetch(`${q}/records?follow=true`, {
          signal: abort.signal,
        });
        const reader = response.body!.getReader();
        assert.equal((await readUntil(reader, (l) => l.length >= 1)).length, 1);
        abort.abort();
        await reader.cancel().catch(() => {});
        assert.ok(await waitFor(() => server.openReadStreams === 0));
        await post(`${q}/records`, "b\n");
      });
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(logged, []);
  });

  test("an unknown route, method, query or position answers JSON", async () => {
    await withHandler({}, {}, async (handler) => {
      await expectError(
        handler(new Request("http://h/nothing")),
        404,
        "NotFound",
      );
      await expectError(
        handler(new Request("http://h/queues", { method: "PUT" })),
        405,
        "MethodNotAllowed",
      );
      await expectError(
        handler(request("/queues/q/records?nope=1", "x")),
        400,
        "BadQuery",
      );
      await expectError(
        handler(request("/queues/q/records?position=-1", "x")),
        400,
        "BadPosition",
      );
      await expectError(
        handler(
          request("/queues/q/records", "x", {
            headers: { "content-type": "text/html" },
          }),
        ),
        415,
        "UnsupportedMediaType",
      );
    });
  });
});
