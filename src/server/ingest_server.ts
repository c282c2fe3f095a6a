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
import { type ConnectionBounds, listenOnNode } from "./node_listen.ts";

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
  /**
   * The HTTP server under the handler: `"native"` (`Deno.serve`,
   * `Bun.serve`; the default under Deno and Bun: less CPU per request) or
   * `"node"` (`node:http` through srvx; the default, and the only one, under
   * Node.js): it has the header timeout, the idle timeout and the cap on
   * connections on every runtime, and answers its parser's refusals in JSON.
   * `Deno.serve` has none of these bounds; `Bun.serve` has its own header
   * timeout (about 10 s) and `idleTimeoutMs`, no cap. See
   * {@linkcode DEFAULT_SERVER}.
   */
  server?: "native" | "node";
  /**
   * How long a request's line and headers may take to arrive, in ms; the
   * connection is then answered 408 and closed. Default 10,000. Not on
   * `Bun.serve` (its own is about 10 s) nor `Deno.serve` (none).
   */
  headerTimeoutMs?: number;
  /**
   * How long a kept-alive connection may wait for its next request, in ms,
   * before it is closed. Default 60,000. On `Bun.serve`, whole seconds up to
   * 255, counting any connection that sends nothing (record streams send a
   * keep-alive line at least every half of it); not on `Deno.serve`.
   */
  idleTimeoutMs?: number;
  /**
   * Connections open at once; connections past it are closed at once.
   * Default 512. On `node:http` only.
   */
  maxConnections?: number;
}

/** The default header timeout of {@linkcode serveIngest}, in ms. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** The default idle keep-alive timeout of {@linkcode serveIngest}, in ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** The default cap on connections of {@linkcode serveIngest}. */
export const DEFAULT_MAX_CONNECTIONS = 512;

/**
 * The HTTP server {@linkcode serveIngest} uses on this runtime by default:
 * `"native"` under Deno and Bun, `"node"` under Node.js.
 */
export const DEFAULT_SERVER: "native" | "node" =
  "Deno" in globalThis || "Bun" in globalThis ? "native" : "node";

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

/** How {@linkcode listen} serves: the server, and its bounds. */
interface ListenOptions extends ConnectionBounds {
  server: "native" | "node";
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
  const bounds = listenOptions(options);
  const server = bounds.server;
  // On Bun.serve, a record stream that sends nothing for the idle timeout
  // is closed: it sends its keep-alive lines at least twice as often.
  const keepAliveMs = server === "native" && "Bun" in globalThis
    ? Math.min(options.keepAliveMs ?? 30_000, bunIdleSeconds(bounds) * 500)
    : options.keepAliveMs;
  const log = await MultiRecordLog.open(dir, options.openOptions);
  const stop = new AbortController();
  const hostname = options.hostname ?? "127.0.0.1";
  let handler: IngestHandler;
  let listener: Listener;
  try {
    handler = createIngestHandler(log, {
      ...options,
      keepAliveMs,
      onClientFault: bounds.onClientFault,
      signal: stop.signal,
    });
    listener = await listen(hostname, options.port ?? 7280, handler, bounds);
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
        await stopListening(listener, timeoutMs);
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

/**
 * The server and connection bounds of `options`, with their defaults;
 * raises `RangeError` on bad ones.
 */
function listenOptions(options: ServeIngestOptions): ListenOptions {
  const server = options.server ?? DEFAULT_SERVER;
  if (server === "native" && !("Deno" in globalThis || "Bun" in globalThis)) {
    throw new RangeError('server "native" needs Deno or Bun; use "node"');
  }
  return {
    server,
    headerTimeoutMs: positive(
      options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
      "headerTimeoutMs",
    ),
    idleTimeoutMs: positive(
      options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      "idleTimeoutMs",
    ),
    maxConnections: positive(
      options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      "maxConnections",
    ),
    onClientFault: options.onClientFault ?? logClientFault,
  };
}

/** A server listening: the port it got, and how to stop it. */
interface Listener {
  port: number;
  /** Stops listening and waits for the open connections to end. */
  stop(): Promise<void>;
  /** Closes the connections still open (no-op where the runtime cannot). */
  closeConnections(): void;
}

/**
 * The request line and headers Bun accepts, in bytes (16 KiB by default): a
 * queue name of 65,535 bytes takes up to 196,605 once percent-encoded.
 */
const BUN_MAX_HEADER_BYTES = 256 * 1024;

/**
 * Serves `handler` on `node:http` through srvx (`listenOnNode`), or on
 * `Deno.serve` under Deno and `Bun.serve` under Bun (`server: "native"`).
 */
async function listen(
  hostname: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
  options: ListenOptions,
): Promise<Listener> {
  if (options.server === "node") {
    return await listenOnNode(hostname, port, handler, options);
  }
  if ("Deno" in globalThis) {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, handler);
    return {
      port: server.addr.port,
      stop: () => server.shutdown(),
      // Deno.serve has no way to close its connections from outside.
      closeConnections: () => {},
    };
  }
  // Bun reads its header limit, process-wide, from node:http.
  const { default: http } = await import("node:http");
  if (http.maxHeaderSize < BUN_MAX_HEADER_BYTES) {
    (http as { maxHeaderSize: number }).maxHeaderSize = BUN_MAX_HEADER_BYTES;
  }
  const server = (globalThis as unknown as { Bun: BunGlobal }).Bun.serve({
    hostname,
    port,
    idleTimeout: bunIdleSeconds(options),
    maxRequestBodySize: Number.MAX_SAFE_INTEGER, // maxBodyBytes applies
    fetch: handler,
  });
  return {
    port: server.port,
    stop: async () => {
      await server.stop(false);
    },
    closeConnections: () => void server.stop(true),
  };
}

/** `Bun.serve`'s `idleTimeout`: whole seconds, 1 to 255. */
function bunIdleSeconds(bounds: ConnectionBounds): number {
  return Math.max(1, Math.min(255, Math.round(bounds.idleTimeoutMs / 1000)));
}

function positive(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** The default `onClientFault`: one line on stderr. */
function logClientFault(line: string): void {
  console.warn(`mrecordlog: client fault: ${line}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, at most `ms` milliseconds. */
/**
 * Stops `listener`, waiting at most `timeoutMs` for its connections to end;
 * what is still open then (a connection whose client went away unseen, a
 * request that never ends) is closed, so that no socket keeps the process
 * alive until its idle timeout.
 */
async function stopListening(
  listener: Listener,
  timeoutMs: number,
): Promise<void> {
  await withTimeout(listener.stop(), timeoutMs);
  listener.closeConnections();
}

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
