/**
 * The project's ingest handler served through `node:http` (srvx, as
 * `serveIngest` does on Node.js), run as a child process of Deno or Bun: the
 * "server foundation" contender of the HTTP ingest benchmark, beside
 * `cli.ts serve` on the runtime's native server, for a tree whose `serve`
 * has no `--server node` (the benchmark uses that flag where it exists).
 *
 * ```sh
 * deno run -A bench/lib/http_node_server.ts /tmp/dir always-flush
 * bun bench/lib/http_node_server.ts /tmp/dir always-fsync /tmp/older-tree
 * ```
 *
 * Prints `listening at http://127.0.0.1:PORT` (a free port); runs until
 * killed.
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

type LogModule = typeof import("../../mod.ts");
type OptionsModule = typeof import("../../src/cli/options.ts");
type HandlerModule = typeof import("../../src/server/ingest_handler.ts");
type ListenModule = typeof import("../../src/server/node_listen.ts");

const [dir, policy = "always-fsync", project] = process.argv.slice(2);
if (dir === undefined) {
  console.error("usage: http_node_server.ts DIR [POLICY] [PROJECT_ROOT]");
  process.exit(2);
}
// The project's tree (default this one): an earlier commit's, to compare.
const root = project ?? fileURLToPath(new URL("../..", import.meta.url));
const load = <T>(path: string): Promise<T> =>
  import(pathToFileURL(`${root}/${path}`).href) as Promise<T>;
const { MultiRecordLog } = await load<LogModule>("mod.ts");
const { parsePolicy } = await load<OptionsModule>("src/cli/options.ts");
const { createIngestHandler } = await load<HandlerModule>(
  "src/server/ingest_handler.ts",
);
const { listenOnNode } = await load<ListenModule>("src/server/node_listen.ts");
const log = await MultiRecordLog.open(dir, {
  persistPolicy: parsePolicy(policy),
});
// The bounds serveIngest's defaults give (a tree whose listenOnNode takes
// none ignores them).
const listener = await listenOnNode("127.0.0.1", 0, createIngestHandler(log), {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
  onClientFault: () => {},
});
process.stdout.write(`listening at http://127.0.0.1:${listener.port}\n`);
