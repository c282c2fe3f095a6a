/**
 * The project's ingest handler served through `node:http` (srvx, as
 * `serveIngest` does on Node.js), run as a child process of Deno or Bun: the
 * "server foundation" contender of the HTTP ingest benchmark, beside
 * `cli.ts serve` on the runtime's native server.
 *
 * ```sh
 * deno run -A bench/lib/http_node_server.ts /tmp/dir always-flush
 * bun bench/lib/http_node_server.ts /tmp/dir always-fsync
 * ```
 *
 * Prints `listening at http://127.0.0.1:PORT` (a free port); runs until
 * killed.
 *
 * @module
 */

import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";
import { parsePolicy } from "../../src/cli/options.ts";
import { createIngestHandler } from "../../src/server/ingest_handler.ts";
import { listenOnNode } from "../../src/server/node_listen.ts";

const [dir, policy = "always-fsync"] = process.argv.slice(2);
if (dir === undefined) {
  console.error("usage: http_node_server.ts DIR [POLICY]");
  process.exit(2);
}
const log = await MultiRecordLog.open(dir, {
  persistPolicy: parsePolicy(policy),
});
const listener = await listenOnNode("127.0.0.1", 0, createIngestHandler(log));
process.stdout.write(`listening at http://127.0.0.1:${listener.port}\n`);
