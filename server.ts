/**
 * The HTTP ingest server of `@x/mrecordlog`, for an app that serves a log
 * itself: {@linkcode createIngestHandler} is a fetch handler (a `Request` in,
 * a `Response` out) to mount in any server, and {@linkcode serveIngest}
 * opens a log and listens (on `Deno.serve` under Deno, `Bun.serve` under
 * Bun, `node:http` through [srvx](https://srvx.h3.dev) under Node.js). The
 * routes are those of `mrecordlog serve` (see the README).
 *
 * Serve a log on a port of its own:
 *
 * ```ts ignore
 * import { serveIngest } from "@x/mrecordlog/server";
 *
 * await using server = await serveIngest("./data", { port: 7280 });
 * console.log(`listening on ${server.url}`);
 * ```
 *
 * Or answer the routes under your own server, next to your own:
 *
 * ```ts ignore
 * import { MultiRecordLog } from "@x/mrecordlog";
 * import { createIngestHandler } from "@x/mrecordlog/server";
 *
 * const log = await MultiRecordLog.open("./data");
 * const ingest = createIngestHandler(log, { token: "secret" });
 * Deno.serve((request) =>
 *   new URL(request.url).pathname.startsWith("/queues")
 *     ? ingest(request)
 *     : new Response("hello")
 * );
 * ```
 *
 * @module
 */

export {
  createIngestHandler,
  DEFAULT_MAX_BODY_BYTES,
  type IngestHandler,
  type IngestHandlerOptions,
  type QueueRateLimit,
} from "./src/server/ingest_handler.ts";
export {
  type IngestServer,
  serveIngest,
  type ServeIngestOptions,
} from "./src/server/ingest_server.ts";
export type { ForwarderStatusJson } from "./src/wire/forwarder_status_json.ts";
