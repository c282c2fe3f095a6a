/**
 * The ingest server's listener on `node:http` (Node.js, and Deno or Bun with
 * `server: "node"`): [srvx](https://srvx.h3.dev)'s Node adapter turns
 * `node:http` requests into web `Request`s and streams the `Response`s back.
 * `node:http` bounds what a client can hold: a header timeout, an idle
 * keep-alive timeout and a cap on connections; and it answers what its own
 * parser refuses through a `clientError` handler, in JSON like every other
 * error. It is imported only when used, so the package needs no dependency
 * on Deno or Bun.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import { nodeBodyHandler } from "./node_request_body.ts";

/** A server listening: the port it got, and how to stop it. */
export interface NodeListener {
  /** The port listened on. */
  port: number;
  /**
   * Stops listening, closes idle connections and waits for the open ones to
   * end (as `Deno.serve`'s `shutdown()` and Bun's `stop(false)` do).
   */
  stop(): Promise<void>;
  /** Closes every connection still open (after `stop()` took too long). */
  closeConnections(): void;
}

/** The bounds on connections of {@linkcode listenOnNode}. */
export interface ConnectionBounds {
  /** How long a request's line and headers may take to arrive, in ms. */
  headerTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request, in ms. */
  idleTimeoutMs: number;
  /** Connections open at once; those past it are closed at once. */
  maxConnections: number;
  /** Called with one line per request refused by the HTTP parser. */
  onClientFault: (line: string) => void;
}

/**
 * The request line and headers accepted, in bytes (Node's default is 16 KiB):
 * a queue name of 65,535 bytes takes up to 196,605 once percent-encoded. The
 * same as on Bun.
 */
const MAX_HEADER_BYTES = 256 * 1024;

/** Serves `handler` on `hostname:port` with `node:http`, through srvx. */
export async function listenOnNode(
  hostname: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
  bounds: ConnectionBounds,
): Promise<NodeListener> {
  const { serve } = await import("srvx/node");
  const server = serve({
    // Bodies that a cancel does not destroy, and the rest of a body answered
    // before it was read discarded (see nodeBodyHandler).
    fetch: nodeBodyHandler(handler),
    hostname,
    port,
    silent: true, // no "listening on" line: serveIngest's caller says it
    gracefulShutdown: false, // serveIngest's caller handles the signals
    node: {
      maxHeaderSize: MAX_HEADER_BYTES,
      // No limit on the time to receive a whole request (Node's default is
      // 300 s): an append body may stream for longer; the handler times out
      // a body that sends nothing.
      requestTimeout: 0,
      headersTimeout: bounds.headerTimeoutMs,
      keepAliveTimeout: bounds.idleTimeoutMs,
      // How often the header timeout is checked (Node's default, 30 s,
      // would let a slow client hold its connection that much longer).
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(1000, bounds.headerTimeoutMs / 4),
      ),
    } as Record<string, unknown>,
  });
  await server.ready();
  const http = server.node?.server;
  const address = http?.address();
  if (!http || address === null || typeof address !== "object") {
    await server.close(true);
    throw new Error(`the server is not listening on a port: ${address}`);
  }
  http.maxConnections = bounds.maxConnections;
  http.on("clientError", (error: Error, socket: Duplex) => {
    clientError(error, socket, bounds.onClientFault);
  });
  http.on("connect", (_request: unknown, socket: Duplex) => {
    bounds.onClientFault("CONNECT refused: 405 MethodNotAllowed");
    answerAndClose(socket, 405, {
      error: "MethodNotAllowed",
      message: "CONNECT is not allowed here",
    });
  });
  return {
    port: address.port,
    stop: () => server.close(),
    // An HTTP/1 server (srvx makes no HTTP/2 one without TLS options).
    closeConnections: () =>
      (http as { closeAllConnections?: () => void }).closeAllConnections?.(),
  };
}

/** What `node:http`'s parser refused, by its error code: status and name. */
function parserAnswer(code: string): [number, string] {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return [408, "RequestTimeout"];
  if (code === "HPE_HEADER_OVERFLOW") return [431, "HeadersTooLarge"];
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") return [413, "BodyTooLarge"];
  return [400, "BadRequest"];
}

/**
 * Answers a request the parser refused (JSON, `Connection: close`), and
 * logs one line; a connection already gone is only closed.
 */
function clientError(
  error: Error,
  socket: Duplex,
  log: (line: string) => void,
): void {
  const code = (error as { code?: string }).code ?? "";
  const [status, name] = parserAnswer(code);
  const message = status === 408
    ? "The request line and headers did not arrive in time"
    : `The request could not be parsed: ${code || error.message}`;
  if (code === "ECONNRESET" || !socket.writable) {
    // Gone: a request it was sending logs its own fault (BadBody).
    socket.destroy();
    return;
  }
  // Mid-body, the request's handler logs the fault (BadBody) itself.
  const midRequest = (socket as { _httpMessage?: unknown })._httpMessage;
  if (!midRequest) log(`${status} ${name}: ${message}`);
  answerAndClose(socket, status, { error: name, message });
}

/** Writes a JSON answer on `socket`, then closes it. */
function answerAndClose(
  socket: Duplex,
  status: number,
  body: { error: string; message: string },
): void {
  const json = JSON.stringify(body) + "\n";
  const reason = status === 408
    ? "Request Timeout"
    : status === 413
    ? "Content Too Large"
    : status === 431
    ? "Request Header Fields Too Large"
    : status === 405
    ? "Method Not Allowed"
    : "Bad Request";
  socket.on("error", () => {});
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${new TextEncoder().encode(json).byteLength}\r\n` +
      "connection: close\r\n\r\n" + json,
    () => socket.destroy(),
  );
}
