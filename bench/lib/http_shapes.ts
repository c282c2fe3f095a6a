/**
 * What the HTTP ingest benchmark sends, and to whom: the request shapes
 * (records per request, record size, connections, durability, body
 * encoding), their bodies, and the contenders of each shape.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import process from "node:process";
import { gzipSync } from "node:zlib";

/** How a body carries its records. */
export type BodyKind = "ndjson" | "json" | "gzip";

/** One request shape: a row of the report. */
export interface HttpShape {
  /** `flush 100x256B c16`, `flush json 100x256B c1`, … */
  id: string;
  /** `flush`: `--policy always-flush`; `fsync`: `always-fsync`. */
  durability: "flush" | "fsync";
  /** Records per request. */
  records: number;
  /** Bytes per record (payload, without the newline). */
  recordBytes: number;
  /** Concurrent connections of the load generator. */
  connections: number;
  /** NDJSON, a JSON array, or gzipped NDJSON. */
  body: BodyKind;
}

function shape(
  durability: "flush" | "fsync",
  records: number,
  recordBytes: number,
  connections: number,
  body: BodyKind = "ndjson",
): HttpShape {
  const size = recordBytes >= 1024
    ? `${recordBytes / 1024}KiB`
    : `${recordBytes}B`;
  const kind = body === "ndjson" ? "" : ` ${body}`;
  return {
    id: `${durability}${kind} ${records}x${size} c${connections}`,
    durability,
    records,
    recordBytes,
    connections,
    body,
  };
}

/** The request shapes: the rows of issue 18's table, plus JSON and gzip. */
export const HTTP_SHAPES: readonly HttpShape[] = [
  shape("flush", 1, 256, 1),
  shape("flush", 100, 256, 1),
  shape("flush", 100, 256, 16),
  shape("flush", 1000, 1024, 1),
  shape("flush", 100, 256, 1, "json"),
  shape("flush", 100, 256, 1, "gzip"),
  shape("fsync", 1, 256, 16),
  shape("fsync", 1, 256, 64),
  shape("fsync", 100, 256, 16),
  shape("fsync", 100, 256, 64),
];

/** Who serves a run. */
export type ContenderId =
  | "serve"
  | "serve-base"
  | "node-http"
  | "null"
  | "write"
  | "write-fsync"
  | "sqlite-normal"
  | "sqlite-full"
  | "library-flush"
  | "library-fsync";

/** How each contender is named in the tables. */
export const CONTENDER_LABELS: Record<ContenderId, string> = {
  "serve": "project, native",
  "serve-base": "baseline tree, serve",
  "node-http": "project, node:http",
  "null": "null floor",
  "write": "write floor",
  "write-fsync": "fsync floor",
  "sqlite-normal": "SQLite NORMAL",
  "sqlite-full": "SQLite FULL",
  "library-flush": "library floor",
  "library-fsync": "library floor",
};

/**
 * The contenders of a shape: the project twice (and, `withBaseline`, the
 * `serve` of another tree), then its baselines.
 */
export function contendersOf(
  s: HttpShape,
  withBaseline = false,
): ContenderId[] {
  const project: ContenderId[] = withBaseline
    ? ["serve", "serve-base", "node-http"]
    : ["serve", "node-http"];
  return s.durability === "flush"
    ? [...project, "library-flush", "null", "write", "sqlite-normal"]
    : [...project, "library-fsync", "write-fsync", "sqlite-full"];
}

/** Whether a contender is the project's server (on either foundation, or from another tree). */
export function isProject(c: ContenderId): boolean {
  return c === "serve" || c === "serve-base" || c === "node-http";
}

/** Where the servers come from. */
export interface ServerTrees {
  /** This repository: the floors and `http_node_server.ts`. */
  root: string;
  /** The project's server (`cli.ts serve`). */
  project: string;
  /** Whether its `serve` has `--server native|node`. */
  projectServerFlag: boolean;
  /** The tree of `serve-base`, if any. */
  baseline: string | undefined;
}

/**
 * The command line that starts contender `c` of shape `s` on `dir`: the
 * project's `serve` on the native server and on `node:http` (with
 * `--server`, else through `http_node_server.ts`), the baseline tree's
 * `serve` as it is, the floors.
 */
export function serverCommand(
  c: ContenderId,
  s: HttpShape,
  dir: string,
  trees: ServerTrees,
): string[] {
  const policy = s.durability === "flush" ? "always-flush" : "always-fsync";
  const serve = (tree: string, server: string[]): string[] => [
    ...runtimeCommand(`${tree}/cli.ts`),
    "serve",
    dir,
    "--port",
    "0",
    "--policy",
    policy,
    ...server,
  ];
  if (c === "serve-base") return serve(trees.baseline ?? trees.project, []);
  if (c === "serve") {
    return serve(
      trees.project,
      trees.projectServerFlag ? ["--server", "native"] : [],
    );
  }
  if (c === "node-http") {
    if (trees.projectServerFlag) {
      return serve(trees.project, ["--server", "node"]);
    }
    return [
      ...runtimeCommand(`${trees.root}/bench/lib/http_node_server.ts`),
      dir,
      policy,
      trees.project,
    ];
  }
  return [
    ...runtimeCommand(`${trees.root}/bench/lib/http_floor_server.ts`),
    c,
    dir,
  ];
}

/** The command that runs `script` in this runtime, all permissions. */
export function runtimeCommand(script: string): string[] {
  return "Deno" in globalThis
    ? [process.execPath, "run", "--allow-all", script]
    : [process.execPath, script];
}

/** A request body of a shape, written to a file for the load generator. */
export interface ShapeBody {
  /** The file holding the bytes sent. */
  path: string;
  /** The bytes sent (compressed, for gzip). */
  bytes: Uint8Array<ArrayBuffer>;
  /** The request headers. */
  headers: Record<string, string>;
}

/**
 * A record of exactly `size` bytes: a compact JSON object with a sequence
 * number and random base64-alphabet text (so gzip compresses it about as
 * much as a real log line, not to nothing).
 */
function record(seq: number, size: number): string {
  const head = `{"seq":${seq},"msg":"`;
  const tail = `"}`;
  const alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let text = "";
  for (let i = head.length + tail.length; i < size; i++) {
    text += alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return head + text + tail;
}

/** Builds the body of `s` into `dir/<n>.body`. */
export function shapeBody(s: HttpShape, dir: string, n: number): ShapeBody {
  const records = Array.from(
    { length: s.records },
    (_, i) => record(i, s.recordBytes),
  );
  const encoder = new TextEncoder();
  let bytes: Uint8Array<ArrayBuffer>;
  const headers: Record<string, string> = {};
  if (s.body === "json") {
    bytes = encoder.encode(`[${records.join(",")}]`);
    headers["content-type"] = "application/json";
  } else {
    bytes = encoder.encode(records.map((r) => `${r}\n`).join(""));
    headers["content-type"] = "application/x-ndjson";
    if (s.body === "gzip") {
      bytes = new Uint8Array(gzipSync(bytes));
      headers["content-encoding"] = "gzip";
    }
  }
  const path = `${dir}/${n}.body`;
  writeFileSync(path, bytes);
  return { path, bytes, headers };
}
