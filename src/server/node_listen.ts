/**
 * The ingest server's listener on Node.js, which has neither `Deno.serve` nor
 * `Bun.serve`: [srvx](https://srvx.h3.dev)'s Node adapter turns `node:http`
 * requests into web `Request`s and streams the `Response`s back. It is
 * imported only on Node, so the package needs no dependency on Deno or Bun.
 *
 * @module
 */

/** A server listening: the port it got, and how to stop it. */
export interface NodeListener {
  /** The port listened on. */
  port: number;
  /**
   * Stops listening, closes idle connections and waits for the open ones to
   * end (as `Deno.serve`'s `shutdown()` and Bun's `stop(false)` do).
   */
  stop(): Promise<void>;
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
): Promise<NodeListener> {
  const { serve } = await import("srvx/node");
  const server = serve({
    fetch: handler,
    hostname,
    port,
    silent: true, // no "listening on" line: serveIngest's caller says it
    gracefulShutdown: false, // serveIngest's caller handles the signals
    node: {
      maxHeaderSize: MAX_HEADER_BYTES,
      // No limit on the time to receive a whole request (Node's default is
      // 300 s): an append body may stream for longer; the handler times out
      // a body that sends nothing (as Deno and Bun with idleTimeout 0).
      requestTimeout: 0,
    },
  });
  await server.ready();
  const address = server.node?.server?.address();
  if (address === null || typeof address !== "object") {
    await server.close(true);
    throw new Error(`the server is not listening on a port: ${address}`);
  }
  return { port: address.port, stop: () => server.close() };
}
