import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { lengthPrefixed } from "../support/bytes.ts";
import { waitFor } from "../support/waiting.ts";
import {
  expectError,
  fedBody,
  ndjsonBody,
  post,
  rawConnection,
  request,
  stored,
  withHandler,
  withServer,
} from "./server_helpers.ts";

const encoder = new TextEncoder();

describe("an append request is all or nothing", () => {
  test("answers firstPosition, lastPosition, count and written", async () => {
    await withHandler({}, {}, async (handler) => {
      const first = await handler(request("/queues/q/records", "a\nb\n"));
      assert.deepEqual(await first.json(), {
        firstPosition: 0,
        lastPosition: 1,
        count: 2,
        written: 2,
      });
      const empty = await handler(request("/queues/q/records", "\n\n"));
      assert.deepEqual(await empty.json(), {
        firstPosition: null,
        lastPosition: null,
        count: 0,
        written: 0,
      });
    });
  });

  test("the whole body is one appendRecords call: one atomic log record", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const calls: number[] = [];
      const appendRecords = log.appendRecords.bind(log);
      log.appendRecords = (queue, position, payloads) => {
        calls.push(payloads.length);
        return appendRecords(queue, position, payloads);
      };
      const body = Array.from({ length: 10_000 }, (_, i) => `r${i}`).join("\n");
      const answer = await handler(request("/queues/q/records", body));
      assert.equal((await answer.json()).written, 10_000);
      assert.deepEqual(calls, [10_000]);
      assert.equal(stored(log, "q").length, 10_000);
    });
  });

  test("bodies being read count against the memory limit: 429 with limit memory and Retry-After, nothing stored", async () => {
    await withHandler(
      { memoryLimitBytes: 10_000 },
      { retryAfterSeconds: 3 },
      async (handler, log) => {
        const big = fedBody();
        const first = handler(request("/queues/q/records", big.stream));
        big.push("y".repeat(5999) + "\n");
        await big.drained();
        const refused = await handler(
          request("/queues/q/records", "z".repeat(5000)),
        );
        assert.equal(refused.headers.get("retry-after"), "3");
        const error = await expectError(refused, 429, "MemoryLimitError");
        assert.equal(error.limit, "memory");
        big.end();
        assert.equal((await (await first).json()).written, 1);
        // Retained now: the first body's record.
        await expectError(
          handler(request("/queues/q/records", "z".repeat(5000))),
          429,
          "MemoryLimitError",
        );
        assert.deepEqual(stored(log, "q").map((r) => r.length), [5999]);
        await log.truncate("q", 0);
        const room = await handler(
          request("/queues/q/records", "z".repeat(5000)),
        );
        assert.equal((await room.json()).written, 1);
      },
    );
  });

  test("a record over --max-record-bytes anywhere: 413, nothing stored", async () => {
    await withHandler({}, { maxRecordBytes: 10 }, async (handler, log) => {
      await expectError(
        handler(request("/queues/q/records", "ok\nok\n" + "x".repeat(11))),
        413,
        "RecordTooLargeError",
      );
      await expectError(
        handler(
          request(
            "/queues/q/records?format=length-prefixed",
            lengthPrefixed([encoder.encode("ok"), new Uint8Array(11)]),
          ),
        ),
        413,
        "RecordTooLargeError",
      );
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("a body over --max-body-bytes, declared or streamed: 413, nothing stored", async () => {
    await withServer({ maxBodyBytes: 1024 * 1024 }, async (server) => {
      const q = `${server.url}/queues/big`;
      await post(q);
      await expectError(
        post(`${q}/records`, new Uint8Array(2 * 1024 * 1024).fill(0x0a)),
        413,
        "BodyTooLarge",
      );
      await expectError(
        post(`${q}/records`, ndjsonBody(0, 20_000)),
        413,
        "BodyTooLarge",
      );
      assert.equal(server.log.summary().queues.big.recordCount, 0);
      const fits = await post(`${q}/records`, ndjsonBody(0, 5000));
      assert.equal((await fits.json()).written, 5000);
    });
  });

  test("a truncated length prefix or record: 400, nothing stored", async () => {
    await withHandler({}, {}, async (handler, log) => {
      for (
        const body of [
          [1, 0, 0, 0, 65, 9, 0], // a record, then half a prefix
          [1, 0, 0, 0, 65, 9, 0, 0, 0, 66], // a record, then half a record
        ]
      ) {
        await expectError(
          handler(
            request("/queues/q/records", new Uint8Array(body), {
              headers: { "content-type": "application/octet-stream" },
            }),
          ),
          400,
          "TruncatedInputError",
        );
      }
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("an idle body: 408, nothing stored, and the queue is not held", async () => {
    await withHandler({}, { bodyIdleTimeoutMs: 1 }, async (handler, log) => {
      const stalled = fedBody();
      const first = handler(request("/queues/q/records", stalled.stream));
      stalled.push("a\n"); // and then nothing, ever
      const second = await handler(request("/queues/q/records", "b\n"));
      assert.equal((await second.json()).firstPosition, 0);
      await expectError(first, 408, "RequestTimeout");
      assert.deepEqual(stored(log, "q"), ["b"]);
    });
  });

  test("a body that cannot be read (a broken chunked body): 400 BadBody, nothing stored, nothing logged", async () => {
    await withHandler({}, {}, async (handler, log, logged) => {
      const body = fedBody();
      const answer = handler(request("/queues/q/records", body.stream));
      body.push("a\nb\n");
      await body.drained();
      body.fail(new TypeError("invalid HTTP/1 request: Invalid"));
      const error = await expectError(answer, 400, "BadBody");
      assert.match(String(error.message), /invalid HTTP\/1 request/);
      assert.deepEqual(stored(log, "q"), []);
      assert.deepEqual(logged, []);
    });
  });

  test("closing: a body still arriving is answered 503, nothing stored; later requests too", async () => {
    const closing = new AbortController();
    await withHandler(
      {},
      { signal: closing.signal },
      async (handler, log, logged) => {
        const body = fedBody();
        const answer = handler(request("/queues/q/records", body.stream));
        body.push("a\n");
        await body.drained();
        closing.abort();
        const error = await answer;
        assert.equal(error.headers.get("connection"), "close");
        await expectError(error, 503, "ServerClosing");
        await expectError(
          handler(request("/queues/q/records", "b\n")),
          503,
          "ServerClosing",
        );
        await expectError(
          handler(new Request("http://h/queues")),
          503,
          "ServerClosing",
        );
        assert.deepEqual(stored(log, "q"), []);
        assert.deepEqual(logged, []);
        await handler.settled();
        assert.equal(handler.pendingRequests, 0);
      },
    );
  });

  test("a client that disconnects mid-body: nothing stored, nothing logged", async () => {
    const logged: unknown[] = [];
    await withServer(
      { onError: (error) => logged.push(error) },
      async (server) => {
        await post(`${server.url}/queues/q`);
        for (
          const [framing, part] of [
            ["content-length: 1000", "a\nb\nc\n"],
            ["transfer-encoding: chunked", "6\r\na\nb\nc\n\r\n"],
          ]
        ) {
          const connection = await rawConnection(server.port);
          await connection.write(
            `POST /queues/q/records HTTP/1.1\r\nhost: x\r\n${framing}\r\n\r\n`,
          );
          await connection.write(part);
          assert.ok(await waitFor(() => server.pendingRequests === 1));
          connection.destroy();
          assert.ok(await waitFor(() => server.pendingRequests === 0));
        }
        assert.deepEqual(stored(server.log, "q"), []);
        assert.deepEqual(logged, []);
      },
    );
  });

  test("a small body of declared length that stalls (read whole): 408, nothing stored, the queue not held", async () => {
    const faults: string[] = [];
    await withServer(
      { bodyIdleTimeoutMs: 200, onClientFault: (line) => faults.push(line) },
      async (server) => {
        await post(`${server.url}/queues/q`);
        const connection = await rawConnection(server.port);
        await connection.write(
          "POST /queues/q/records HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-ndjson\r\ncontent-length: 100\r\n\r\na\nb\n",
        );
        assert.ok(await waitFor(() => server.pendingRequests === 1));
        const other = await post(`${server.url}/queues/q/records`, "c\n");
        assert.equal((await other.json()).firstPosition, 0);
        const answer = await connection.until(/\r\n\r\n(48\r\n)?\{.*\}\n/s);
        connection.destroy();
        assert.match(answer, /^HTTP\/1\.1 408 /);
        assert.match(answer, /"error":"RequestTimeout"/);
        assert.deepEqual(stored(server.log, "q"), ["c"]);
        assert.equal(faults.length, 1);
        assert.match(faults[0], /^408 RequestTimeout: /);
        assert.ok(await waitFor(() => server.pendingRequests === 0));
      },
    );
  });
});
