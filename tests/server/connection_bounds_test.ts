import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { jsonOf, rawConnection, withServer } from "./server_helpers.ts";
import type { ServeIngestOptions } from "../../src/server/ingest_server.ts";

const BOUNDED: ServeIngestOptions = {
  server: "node",
  headerTimeoutMs: 300,
  idleTimeoutMs: 300,
  maxConnections: 3,
};

describe("node:http bounds what a client can hold (--server node, every runtime)", () => {
  test("a request whose headers never end is answered 408 JSON and closed, in one log line", async () => {
    const faults: string[] = [];
    const options = {
      ...BOUNDED,
      onClientFault: (l: string) => faults.push(l),
    };
    await withServer(options, async (server) => {
      const slow = await rawConnection(server.port);
      await slow.write("GET /queues HTTP/1.1\r\nhost: x\r\nx-slow: a");
      const answer = await slow.closed;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.equal(jsonOf(answer).error, "RequestTimeout");
      assert.deepEqual(faults.length, 1);
      assert.match(faults[0], /^408 RequestTimeout: /);
      assert.doesNotMatch(faults[0], /\n/);
    });
  });

  test("a kept-alive connection that sends nothing more is closed", async () => {
    await withServer(BOUNDED, async (server) => {
      const idle = await rawConnection(server.port);
      await idle.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
      const all = await idle.closed; // after the idle timeout
      assert.match(all, /^HTTP\/1\.1 200 /);
      assert.equal((all.match(/HTTP\/1\.1/g) ?? []).length, 1);
    });
  });

  test("connections past maxConnections are closed at once; the others are served", async () => {
    const options = {
      ...BOUNDED,
      idleTimeoutMs: 60_000,
      headerTimeoutMs: 60_000,
    };
    await withServer(options, async (server) => {
      const held = await Promise.all(
        [0, 1, 2].map(() => rawConnection(server.port)),
      );
      for (const c of held) {
        await c.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
      }
      for (const c of held) await c.until(/\r\n\r\n.*\}\n/s);
      const extra = await rawConnection(server.port);
      await extra.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
      assert.equal(await extra.closed, "");
      for (const c of held) assert.match(c.received(), /^HTTP\/1\.1 200 /);
      held.forEach((c) => c.destroy());
    });
  });

  test("what the parser refuses is answered in JSON with Connection: close, one line logged", async () => {
    const faults: string[] = [];
    const options = {
      ...BOUNDED,
      // Not a timeout: a late event loop must not turn these into 408s.
      headerTimeoutMs: 60_000,
      onClientFault: (l: string) => faults.push(l),
    };
    await withServer(options, async (server) => {
      for (
        const request of [
          "BAD REQUEST LINE\r\n\r\n",
          "GET /queues HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n",
          `GET /queues HTTP/1.1\r\nhost: x\r\nx-big: ${
            "b".repeat(300_000)
          }\r\n\r\n`,
        ]
      ) {
        const connection = await rawConnection(server.port);
        await connection.write(request);
        const answer = await connection.closed;
        assert.match(answer, /^HTTP\/1\.1 4(00|31) /);
        assert.match(answer, /\r\nconnection: close\r\n/i);
        const body = jsonOf(answer);
        assert.ok(
          ["BadRequest", "HeadersTooLarge"].includes(String(body.error)),
        );
        assert.equal(typeof body.message, "string");
      }
      assert.equal(faults.length, 3);
    });
  });
});

describe("client faults are 4xx on every server", () => {
  for (const server of ["native", "node"] as const) {
    if (server === "native" && !("Deno" in globalThis || "Bun" in globalThis)) {
      continue;
    }
    test(`${server}: odd Hosts are served by their path; CONNECT is 405 and closed`, async () => {
      await withServer({ server }, async ({ port }) => {
        for (
          const host of ["host: a b\r\n", "host: \xff\xfe\r\n", "host: a/b\r\n"]
        ) {
          const c = await rawConnection(port);
          await c.write(
            `GET /queues HTTP/1.1\r\n${host}connection: close\r\n\r\n`,
          );
          const answer = await c.closed;
          assert.match(answer, /^HTTP\/1\.1 [24]\d\d /, JSON.stringify(host));
        }
        const old = await rawConnection(port);
        await old.write("GET /queues HTTP/1.0\r\n\r\n");
        assert.match(await old.closed, /^HTTP\/1\.[01] 200 /);
        const connect = await rawConnection(port);
        await connect.write(
          "CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n",
        );
        // (Deno.serve keeps a CONNECT's connection open after the answer.)
        const answer = await connect.until(/\}\n/);
        connect.destroy();
        assert.match(answer, /^HTTP\/1\.1 405 /);
        assert.equal(jsonOf(answer).error, "MethodNotAllowed");
      });
    });
  }
});
