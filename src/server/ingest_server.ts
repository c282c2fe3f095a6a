/**
 * The ingest server: a log opened and served over HTTP with
 * {@linkcode createIngestHandler}, on `Deno.serve`, `Bun.serve` or (Node.js)
 * `node:http` through srvx.
 *
 * @module
 */

import {
  createIngestHandler,
  type IngestHandler,
  type IngestHandlerOptions,
} from "./ingest_handler.ts";
import type { OpenOptions } from "../log/log_types.ts";
import { MultiRecordLog } from "../log/multi_record_log.ts";
import { listenOnNode } from "./node_listen.ts";

/** Options of {@linkcode serveIngest}. */
export interface ServeIngestOptions
  extends Omit<IngestHandlerOptions, "signal"> {
  /** The port to listen on; 0 picks a free one. Default 7280. */
  port?: number;
  /** The address to listen on. Default `"127.0.0.1"` (this machine only). */
  hostname?: string;
  /** How the log is opened (persist policy, memory limit, …). */
  openOptions?: OpenOptions;
  /**
   * How long `close()` keeps answering 503 `ServerClosing` (with
   * `Connection: close`) to requests that arrive, on new or kept-alive
   * connections, before it stops listening. Default 500 ms.
   */
  shutdownDrainMs?: number;
  /**
   * How long `close()` waits for appends in progress, and then for the
   * connections still open (a client that keeps sending a body that was
   * already answered), before it closes the log anyway. Default 2000 ms.
   */
  shutdownTimeoutMs?: number;
}

/** A running server, from {@linkcode serveIngest}. */
export interface IngestServer {
  /** The log served. */
  readonly log: MultiRecordLog;
  /** The address listened on. */
  readonly hostname: string;
  /** The port listened on. */
  readonly port: number;
  /** `http://hostname:port`. */
  readonly url: string;
  /** Record streams (`GET …/records`) being sent right now. */
  readonly openReadStreams: number;
  /** Requests being answered right now (record streams not counted). */
  readonly pendingRequests: number;
  /**
   * Stops the server: takes no new work (every request is answered 503
   * `ServerClosing`, appends still reading their body too, storing
   * nothing), ends the record streams, lets the appends already appending
   * finish, keeps answering 503 for `shutdownDrainMs`, stops listening,
   * waits for the open connections (at most `shutdownTimeoutMs`), closes
   * the log (releasing its lock).
   */
  close(): Promise<void>;
  /** The same as {@linkcode IngestServer.close}. */
  shutdown(): Promise<void>;
  /** The same as {@linkcode IngestServer.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    maxRequestBodySize: number;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number; stop(closeActive?: boolean): Promise<void> | void };
}

/**
 * Opens the log in `dir` and serves it over HTTP with
 * {@linkcode createIngestHandler}, on `Deno.serve` under Deno, `Bun.serve`
 * under Bun and `node:http` (through srvx) under Node.js, on 127.0.0.1:7280
 * unless told otherwise. The log
 * stays open (and locked) until `close()`.
 *
 * @example
 * ```ts ignore
 * await using server = await serveIngest("./data", { port: 0 });
 * console.log(`listening on ${server.url}`);
 * ```
 */
export async function serveIngest(
  dir: string,
  options: ServeIngestOptions = {},
): Promise<IngestServer> {
  const log = await MultiRecordLog.open(dir, options.openOptions);
  const stop = new AbortController();
  const hostname = options.hostname ?? "127.0.0.1";
  let handler: IngestHandler;
  let listener: Listener;
  try {
    handler = createIngestHandler(log, { ...options, signal: stop.signal });
    listener = await listen(hostname, options.port ?? 7280, handler);
  } catch (error) {
    await log.close();
    throw error;
  }
  const timeoutMs = options.shutdownTimeoutMs ?? 2000;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stop.abort();
      try {
        await Promise.all([
          withTimeout(handler.settled(), timeoutMs),
          delay(options.shutdownDrainMs ?? 500),
        ]);
        await withTimeout(listener.stop(), timeoutMs);
      } finally {
        await log.close();
      }
    })();
    return closing;
  };
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    log,
    hostname,
    port: listener.port,
    url: `http://${host}:${listener.port}`,
    get openReadStreams(): number {
      return handler.openReadStreams;
    },
    get pendingRequests(): number {
      return handler.pendingRequests;
    },
    close,
    shutdown: close,
    [Symbol.asyncDispose]: close,
  };
}

/** A server listening: the port it got, and how to stop it. */
interface Listener {
  port: number;
  stop(): Promise<void>;
}

/**
 * The request line and headers Bun accepts, in bytes (16 KiB by default): a
 * queue name of 65,535 bytes takes up to 196,605 once percent-encoded.
 */
const BUN_MAX_HEADER_BYTES = 256 * 1024;

/**
 * Serves `handler` on `Deno.serve` under Deno, on `Bun.serve` under Bun, on
 * `node:http` through srvx under Node.js (`listenOnNode`).
 */
async function listen(
  hostname: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
): Promise<Listener> {
  if ("Deno" in globalThis) {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, handler);
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  if (!("Bun" in globalThis)) {
    return await listenOnNode(hostname, port, handler);
  }
  // Bun reads its header limit, process-wide, from node:http.
  const { default: http } = await import("node:http");
  if (http.maxHeaderSize < BUN_MAX_HEADER_BYTES) {
    (http as { maxHeaderSize: number }).maxHeaderSize = BUN_MAX_HEADER_BYTES;
  }
  const server = (globalThis as unknown as { Bun: BunGlobal }).Bun.serve({
    hostname,
    port,
    idleTimeout: 0, // record streams may stay idle while following
    maxRequestBodySize: Number.MAX_SAFE_INTEGER, // maxBodyBytes applies
    fetch: handler,
  });
  return {
    port: server.port,
    stop: async () => {
      await server.stop(false);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, at most `ms` milliseconds. */
async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
