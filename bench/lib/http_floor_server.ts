/**
 * The baseline servers of the HTTP ingest benchmark (`http_bench.ts`), run
 * as a child process of the same runtime on its native server
 * (`Deno.serve` / `Bun.serve`), each answering every request `200` with a
 * small JSON body once it did its work:
 *
 * - `null`: reads the body (decompressed if gzip), stores nothing;
 * - `write`: appends the body to one file with one synchronous write;
 * - `write-fsync`: the same, then `fdatasync`, before answering;
 * - `sqlite-normal` / `sqlite-full`: inserts the body's records (NDJSON
 *   lines, or the elements of a JSON array as compact JSON) into a table
 *   keyed `PRIMARY KEY (queue, position)`, one transaction per request, WAL,
 *   `synchronous = NORMAL` / `FULL`;
 * - `library-flush` / `library-fsync` (the "library floor"): appends the
 *   body's records to this library's `MultiRecordLog` with one
 *   `appendRecords` (`always/flush` / `always/fsync`; concurrent requests
 *   share commits as in the library), and answers once it is persisted: the
 *   least a server on this runtime's HTTP server and this library must do
 *   per request, with none of the ingest server's routing, bounds, errors
 *   or metrics.
 *
 * ```sh
 * deno run -A bench/lib/http_floor_server.ts write /tmp/dir
 * bun bench/lib/http_floor_server.ts sqlite-full /tmp/dir
 * ```
 *
 * Prints `listening at http://127.0.0.1:PORT` once it listens (port 0: a
 * free one); runs until killed.
 *
 * @module
 */

import process from "node:process";
import type { Backend, RawFile, SqliteDatabase } from "./backend.ts";
import { MultiRecordLog } from "../../mod.ts";
import { ndjsonRecords } from "./ndjson_records.ts";

/** The baselines this script serves. */
export type FloorMode =
  | "null"
  | "write"
  | "write-fsync"
  | "sqlite-normal"
  | "sqlite-full"
  | "library-flush"
  | "library-fsync";

const MODES: readonly FloorMode[] = [
  "null",
  "write",
  "write-fsync",
  "sqlite-normal",
  "sqlite-full",
  "library-flush",
  "library-fsync",
];

interface BunServe {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number };
}

async function runtimeBackend(): Promise<Backend> {
  if ("Deno" in globalThis) {
    return (await import("./deno_backend.ts")).denoBackend;
  }
  return await (await import("./bun_backend.ts")).bunBackend();
}

/** The body's bytes, gunzipped if its `Content-Encoding` is gzip. */
async function readBody(request: Request): Promise<Uint8Array> {
  const encoding = request.headers.get("content-encoding");
  if (encoding === "gzip" && request.body !== null) {
    const inflated = request.body.pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(inflated).arrayBuffer());
  }
  return new Uint8Array(await request.arrayBuffer());
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The records of a body: NDJSON lines, or a JSON array's elements. */
function bodyRecords(body: Uint8Array, contentType: string): Uint8Array[] {
  if (contentType.startsWith("application/json")) {
    const value = JSON.parse(decoder.decode(body));
    const elements = Array.isArray(value) ? value : [value];
    return elements.map((element) => encoder.encode(JSON.stringify(element)));
  }
  return ndjsonRecords(body);
}

/** What a mode does with each body: returns the records it stored. */
type Store = (
  body: Uint8Array,
  contentType: string,
) => number | Promise<number>;

/** The library floor: one `appendRecords` per body, awaited. */
async function libraryStore(mode: FloorMode, dir: string): Promise<Store> {
  const log = await MultiRecordLog.open(`${dir}/log`, {
    persistPolicy: {
      kind: "always",
      action: mode === "library-fsync" ? "fsync" : "flush",
    },
  });
  await log.createQueue("bench");
  return async (body, contentType) => {
    const records = bodyRecords(body, contentType);
    await log.appendRecords("bench", undefined, records);
    return records.length;
  };
}

/** What a mode does with each body. */
async function store(
  mode: FloorMode,
  backend: Backend,
  dir: string,
): Promise<Store> {
  if (mode === "null") return () => 0;
  if (mode === "library-flush" || mode === "library-fsync") {
    return await libraryStore(mode, dir);
  }
  if (mode === "write" || mode === "write-fsync") {
    const file: RawFile = backend.createFile(
      `${dir}/floor.bin`,
      128 * 1024 * 1024,
    );
    const sync = mode === "write-fsync";
    return (body) => {
      file.write(body);
      if (sync) file.syncData();
      return 1;
    };
  }
  const db: SqliteDatabase = backend.openSqlite(`${dir}/floor.sqlite`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(
    `PRAGMA synchronous = ${mode === "sqlite-full" ? "FULL" : "NORMAL"}`,
  );
  db.exec(
    "CREATE TABLE records (queue TEXT NOT NULL, position INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (queue, position))",
  );
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const insert = db.prepare(
    "INSERT INTO records (queue, position, payload) VALUES (?, ?, ?)",
  );
  let next = 0;
  return (body, contentType) => {
    const records = bodyRecords(body, contentType);
    begin.run();
    for (const record of records) insert.run("bench", next++, record);
    commit.run();
    return records.length;
  };
}

const [modeArg, dir] = process.argv.slice(2);
const mode = MODES.find((m) => m === modeArg);
if (mode === undefined || dir === undefined) {
  console.error(`usage: http_floor_server.ts ${MODES.join("|")} DIR`);
  process.exit(2);
}
const storeBody = await store(mode, await runtimeBackend(), dir);
const handler = async (request: Request): Promise<Response> => {
  try {
    const body = await readBody(request);
    const stored = await storeBody(
      body,
      request.headers.get("content-type") ?? "",
    );
    return Response.json({ bytes: body.length, stored });
  } catch (error) {
    return Response.json({ error: String(error) }, { status: 500 });
  }
};
const hostname = "127.0.0.1";
let port: number;
if ("Deno" in globalThis) {
  port = Deno.serve({ hostname, port: 0, onListen: () => {} }, handler).addr
    .port;
} else {
  const bun = (globalThis as unknown as { Bun: BunServe }).Bun;
  port = bun.serve({ hostname, port: 0, fetch: handler }).port;
}
process.stdout.write(`listening at http://${hostname}:${port}\n`);
// Exits on SIGINT (so that `--cpu-prof` writes its profile).
process.on("SIGINT", () => process.exit(0));
