/**
 * The request bodies of the ingest server on `node:http`, and what is left
 * of one after an early answer. srvx gives a request's body as
 * `Readable.toWeb(req)`, whose `cancel()` destroys the `IncomingMessage`:
 * then Node.js leaves the connection paused (the client's next request
 * hangs), and Deno's adapter goes on enqueueing the body's next chunks into
 * the cancelled stream, which throws out of an event handler and ends the
 * process. And Deno's `node:http` leaves a body nobody read on the
 * connection (where Node.js dumps it). So each request gets a body stream
 * whose `cancel()` only stops reading, and once answered, the rest of a body
 * not read to its end (an answer given before it was read, such as a 413 or
 * a 404) is read and discarded, for at most {@linkcode DISCARD_MS} and
 * {@linkcode DISCARD_BYTES}, so that the connection can take the next
 * request; past either, the connection is closed.
 *
 * The answer does not say `Connection: close`: on every runtime's
 * `node:http` that closes the socket as soon as the answer is written, and
 * a client still sending its body then gets a reset and may lose the
 * answer.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";

/** How long the rest of a body is discarded after the answer, in ms. */
export const DISCARD_MS = 2000;

/** How many bytes of a body are discarded after the answer, at most. */
export const DISCARD_BYTES = 4 * 1024 * 1024;

/** The part of a srvx request this module needs: its `node:http` request. */
interface NodeRequestLike {
  runtime?: { node?: { req?: IncomingMessage } };
}

/**
 * `handler` with, for each request srvx gives it, a body stream over its
 * `IncomingMessage` that does not destroy it when cancelled, and the rest
 * of a body left unread discarded once answered (see the module's note).
 * A request from elsewhere is passed on as is.
 */
export function nodeBodyHandler(
  handler: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return (request: Request): Promise<Response> => {
    const req = (request as NodeRequestLike).runtime?.node?.req;
    if (req === undefined) return handler(request);
    if (request.method !== "GET" && request.method !== "HEAD") {
      let body: ReadableStream<Uint8Array> | undefined;
      Object.defineProperty(request, "body", {
        get: (): ReadableStream<Uint8Array> => body ??= requestBody(req),
        configurable: true,
      });
    }
    return handler(request).then((response) => {
      // Read to its end, or no bytes left of it (a GET, an empty body).
      if (!(req.readableEnded || (req.complete && req.readableLength === 0))) {
        discardRest(req);
      }
      return response;
    });
  };
}

/**
 * Whether `request` came from srvx's `node:http` adapter: its body is to be
 * read as a stream only (`request.arrayBuffer()` would go around the body
 * stream this module gives it).
 */
export function isNodeRequest(request: Request): boolean {
  return (request as NodeRequestLike).runtime?.node?.req !== undefined;
}

/** The body of `req`, paused while its reader lags. */
function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  let detach = (): void => {};
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      const onData = (chunk: Uint8Array): void => {
        // Each chunk has a buffer of its own (node:http copies it out of
        // the socket's reads, on every runtime): a view, not a copy.
        controller.enqueue(
          new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
        if (controller.desiredSize! <= 0) req.pause();
      };
      const onEnd = (): void => {
        ended = true;
        detach();
        controller.close();
      };
      const onError = (error: unknown): void => {
        detach();
        controller.error(error);
      };
      const onClose = (): void => {
        if (!ended) onError(new Error("The connection closed mid-body"));
      };
      detach = () => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        req.off("close", onClose);
      };
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onError);
      req.on("close", onClose);
    },
    pull(): void {
      req.resume();
    },
    cancel(): void {
      detach();
      if (!ended) discardRest(req);
    },
  }, { highWaterMark: 16 });
}

/** Requests whose rest is being discarded. */
const discarding = new WeakSet<IncomingMessage>();

/**
 * Reads and discards the rest of `req`'s body (once per request), for at
 * most {@linkcode DISCARD_MS} and {@linkcode DISCARD_BYTES}; past either,
 * its connection is closed.
 */
function discardRest(req: IncomingMessage): void {
  if (discarding.has(req)) return;
  discarding.add(req);
  let bytes = 0;
  const close = (): void => {
    req.socket?.destroy();
  };
  const timer = setTimeout(close, DISCARD_MS);
  const done = (): void => clearTimeout(timer);
  req.on("data", (chunk: Uint8Array) => {
    bytes += chunk.byteLength;
    if (bytes > DISCARD_BYTES) {
      done();
      close();
    }
  });
  req.once("end", done);
  req.once("close", done);
  req.once("error", done);
  req.resume();
}
