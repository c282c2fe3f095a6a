/**
 * A malformed chunked body that arrives in the same packet as the request's
 * headers (as `printf … | nc` sends it), not after the handler started
 * reading: `node:http` answers it in JSON; the native servers answer it
 * before the handler runs (`Deno.serve` closes the connection unanswered,
 * `Bun.serve` answers an empty 400), as the README's table of parser
 * faults says. Whatever the server, nothing is stored and nothing logged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SERVER } from "../../src/server/ingest_server.ts";
import { post, rawConnection, stored, withServer } from "./server_helpers.ts";

const HEAD = "POST /queues/q/records HTTP/1.1\r\nhost: x\r\n" +
  "content-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n";

/** Bodies whose chunk framing is broken, each sent with its headers. */
const BROKEN: Record<string, string> = {
  "a bad chunk size first": "ZZ\r\nxx\r\n0\r\n\r\n",
  "a bad chunk size after a good chunk": "4\r\na\nb\n\r\nZZ\r\nxx\r\n0\r\n\r\n",
  "a chunk longer than its size": "2\r\na\nb\n\r\n0\r\n\r\n",
};

const SERVERS: ("native" | "node")[] = DEFAULT_SERVER === "native"
  ? ["native", "node"]
  : ["node"];

describe("a malformed chunked body sent with the headers", () => {
  for (const server of SERVERS) {
    for (const [what, body] of Object.entries(BROKEN)) {
      test(`${server} server, ${what}: nothing stored, nothing logged`, async () => {
        const logged: unknown[] = [];
        const faults: string[] = [];
        await withServer({
          server,
          onError: (e) => logged.push(e),
          onClientFault: (line) => faults.push(line),
        }, async (s) => {
          await post(`${s.url}/queues/q`);
          const connection = await rawConnection(s.port);
          await connection.write(HEAD + body);
          const answer = await connection.closed;
          if (server === "node") {
            assert.match(answer, /^HTTP\/1\.1 400 /);
            assert.match(
              answer,
              /\r\n\r\n\{"error":"BadRequest","message":"[^"]+"\}\n$/,
            );
          } else if ("Bun" in globalThis) {
            assert.match(answer, /^HTTP\/1\.1 400 /);
          } else {
            // Deno.serve refuses it before the handler runs, unanswered.
            assert.equal(answer, "");
          }
          assert.deepEqual(stored(s.log, "q"), []);
          // The server can still take an append afterwards.
          const ok = await post(`${s.url}/queues/q/records`, "c\n");
          assert.equal(ok.status, 200);
          assert.deepEqual(stored(s.log, "q"), ["c"]);
        });
        assert.deepEqual(logged, []);
        for (const line of faults) assert.doesNotMatch(line, /\n\s+at /);
      });
    }
  }
});
