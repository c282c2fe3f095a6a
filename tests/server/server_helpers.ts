/**
 * Helpers of the server tests: a server on a free loopback port over a temp
 * dir, requests, and reading answers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import {
  type IngestServer,
  serveIngest,
  type ServeIngestOptions,
} from "../../src/server/ingest_server.ts";
import {
  createIngestHandler,
  type IngestHandler,
  type IngestHandlerOptions,
} from "../../src/server/ingest_handler.ts";
import type { OpenOptions } from "../../src/log/log_types.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { withTempDir } from "../support/temp_dir.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs `fn` with a server on a free loopback port over a fresh temp dir. */
export async function withServer(
  options: ServeIngestOptions,
  fn: (server: IngestServer, dir: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const server = await serveIngest(dir, {
      port: 0,
      shutdownDrainMs: 0,
      ...options,
    });
    try {
      await fn(server, dir);
    } finally {
      await server.close();
    }
  }, "mrecordlog-server-");
}

/**
 * Runs `fn` with a handler (no server) over a log opened in a fresh temp
 * dir, with queue `q` created. Unexpected errors (what the handler would
 * log) are collected in `logged`.
 */
export async function withHandler(
  openOptions: OpenOptions,
  options: IngestHandlerOptions,
  fn: (
    handler: IngestHandler,
    log: MultiRecordLog,
    logged: unknown[],
  ) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const log = await MultiRecordLog.open(dir, openOptions);
    const logged: unknown[] = [];
    try {
      await log.createQueue("q");
      const handler = createIngestHandler(log, {
        onError: (error) => logged.push(error),
        ...options,
      });
      await fn(handler, log, logged);
    } finally {
      await log.close();
    }
  }, "mrecordlog-handler-");
}

/** A body stream the test feeds by hand. */
export interface FedBody {
  /** The stream to send. */
  stream: ReadableStream<Uint8Array>;
  /** Sends `text` as one chunk. */
  push(text: string | Uint8Array): void;
  /** Ends the body. */
  end(): void;
  /** Errors the body (as a broken connection would). */
  fail(error: unknown): void;
  /** Resolves once the reader asked for more than was pushed. */
  drained(): Promise<void>;
}

/** A {@linkcode FedBody}. */
export function fedBody(): FedBody {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulling = false;
  let resume: (() => void) | undefined;
  const waiters: (() => void)[] = [];
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      pulling = true;
      for (const wake of waiters.splice(0)) wake();
      return new Promise<void>((resolve) => resume = resolve);
    },
  }, { highWaterMark: 0 });
  const resumed = (): void => {
    pulling = false;
    resume?.();
  };
  return {
    stream,
    push(text) {
      controller.enqueue(
        typeof text === "string" ? encoder.encode(text) : text,
      );
      resumed();
    },
    end() {
      controller.close();
      resumed();
    },
    fail(error) {
      controller.error(error);
      resumed();
    },
    drained: () =>
      pulling
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

/** A JSON line of about 100 bytes, record `i`. */
export function line(i: number): string {
  return JSON.stringify({ i, pad: "p".repeat(80 + (i % 7)) });
}

/** NDJSON lines `from` to `from + count - 1`, as a stream of ~64 KiB chunks. */
export function ndjsonBody(
  from: number,
  count: number,
): ReadableStream<Uint8Array> {
  let i = from;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= from + count) return controller.close();
      let text = "";
      while (i < from + count && text.length < 64 * 1024) {
        text += line(i++) + "\n";
      }
      controller.enqueue(encoder.encode(text));
    },
  });
}

/** A record read back: its position and its payload as UTF-8. */
export interface Line {
  position: number;
  payload: string;
}

/** A POST of `body` (a stream is sent half-duplex). */
export function post(
  url: string,
  body?: BodyInit | null,
  headers: Record<string, string> = {},
): Promise<Response> {
  const streamed = body instanceof ReadableStream;
  return fetch(url, {
    method: "POST",
    body,
    headers,
    ...(streamed ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** The NDJSON lines of a response, payloads decoded as UTF-8. */
export async function lines(response: Response): Promise<Line[]> {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  const text = await response.text();
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const { position, payload } = JSON.parse(l);
    return { position, payload: Buffer.from(payload, "base64").toString() };
  });
}

/** Asserts an error answer: status, JSON body with `error` and `message`. */
export async function expectError(
  response: Response | Promise<Response>,
  status: number,
  error?: string,
): Promise<Record<string, unknown>> {
  const r = await response;
  const body = await r.json();
  assert.equal(r.status, status, JSON.stringify(body));
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof body.error, "string");
  assert.equal(typeof body.message, "string");
  assert.ok(body.message.length > 0);
  assert.equal("persisted" in body, false, "no `persisted` field");
  if (error !== undefined) assert.equal(body.error, error);
  return body;
}

/** Reads NDJSON lines from a streaming body until `done(lines)` holds. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (lines: Line[]) => boolean,
): Promise<Line[]> {
  const got: Line[] = [];
  let text = "";
  while (!done(got)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
    const parts = text.split("\n");
    text = parts.pop()!;
    for (const part of parts.filter((p) => p !== "")) {
      const { position, payload } = JSON.parse(part);
      got.push({
        position,
        payload: Buffer.from(payload, "base64").toString(),
      });
    }
  }
  return got;
}

/** The payloads `queue` holds, as UTF-8, in position order. */
export function stored(log: MultiRecordLog, queue: string): string[] {
  return [...log.range(queue)].map((r) => decoder.decode(r.payload));
}

/** A handler request: a POST of `body` to `path` on a dummy host. */
export function request(
  path: string,
  body?: BodyInit | null,
  init: RequestInit = {},
): Request {
  const streamed = body instanceof ReadableStream;
  return new Request(`http://h${path}`, {
    method: "POST",
    body,
    ...(streamed ? { duplex: "half" } : {}),
    ...init,
  } as RequestInit);
}

/** The body of the last answer in `received` (raw HTTP), parsed. */
export function jsonOf(received: string): Record<string, unknown> {
  return JSON.parse(received.slice(received.lastIndexOf("\r\n\r\n") + 4));
}

/** A raw TCP connection to the server, for what `fetch` cannot send. */
export interface RawConnection {
  /** Writes `text` (as latin1 bytes). */
  write(text: string): Promise<void>;
  /** Cuts the connection. */
  destroy(): void;
  /** What was received so far. */
  received(): string;
  /**
   * Resolves once the received text matches `pattern` or the connection
   * closed; rejects after 30 s without either.
   */
  until(pattern: RegExp): Promise<string>;
  /** Resolves with everything received, once the connection is closed. */
  closed: Promise<string>;
}

/** How long {@linkcode RawConnection.until} waits for its pattern. */
const UNTIL_TIMEOUT_MS = 30_000;

/** Opens a {@linkcode RawConnection} to 127.0.0.1:`port`. */
export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let out = "";
  const wake: (() => void)[] = [];
  const closed = new Promise<string>((resolve) => {
    socket.on("close", () => resolve(out));
  });
  socket.on("error", () => {});
  socket.on("data", (data) => {
    out += data.toString("latin1");
    for (const w of wake.splice(0)) w();
  });
  closed.then(() => {
    for (const w of wake.splice(0)) w();
  });
  let isClosed = false;
  closed.then(() => isClosed = true);
  return {
    write: (text) =>
      new Promise<void>((resolve) =>
        socket.write(Buffer.from(text, "latin1"), () => resolve())
      ),
    destroy: () => socket.destroy(),
    received: () => out,
    async until(pattern) {
      // A test whose answer never comes fails, rather than hanging the suite.
      const deadline = Date.now() + UNTIL_TIMEOUT_MS;
      while (!pattern.test(out) && !isClosed) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `${pattern} not received in ${UNTIL_TIMEOUT_MS} ms; got ${
              JSON.stringify(out.slice(0, 500))
            }`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return out;
    },
    closed,
  };
}
