/**
 * An HTTP ingest server over one log: a runtime-neutral fetch handler
 * ({@linkcode createIngestHandler}) and a starter on `Deno.serve` or
 * `Bun.serve` ({@linkcode serveIngest}).
 *
 * @module
 */

import {
  allowMethods,
  bearerTokenCheck,
  bodyFraming,
  bodyTooLarge,
  byteLimit,
  HttpError,
  idleLimit,
  parseBooleanParam,
  parsePositionParam,
  parseQuery,
  parseQueueName,
} from "./http_request.ts";
import { errorResponse, jsonResponse, ndjsonRecords } from "./http_response.ts";
import { ingestStream } from "../streams/ingest_stream.ts";
import { summaryJson } from "../wire/summary_json.ts";
import { MissingQueueError } from "../errors.ts";
import { MultiRecordLog, type OpenOptions } from "../log/multi_record_log.ts";

/** Options of {@linkcode createIngestHandler}. */
export interface IngestHandlerOptions {
  /** A bearer token every request must carry (`Authorization: Bearer …`). */
  token?: string;
  /** The largest request body accepted, in bytes (413 past it). Default 1 GiB. */
  maxBodyBytes?: number;
  /** The largest record accepted, in bytes (413 past it). Default 16 MiB. */
  maxRecordBytes?: number;
  /** How long an append waits for memory before answering 429. Default 1000 ms. */
  memoryWaitTimeoutMs?: number;
  /**
   * How long an append's body may send nothing before it is answered with
   * 408 (appends to one queue run one after the other, so a stalled upload
   * would hold the others). Default 30,000.
   */
  bodyIdleTimeoutMs?: number;
  /** The `Retry-After` of a 429 answer, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * While a followed record stream has no record to send, an empty line is
   * sent at once and then every `keepAliveMs` (0: never). Default 30,000.
   */
  keepAliveMs?: number;
  /** Ends every record stream and aborts every append (503) when aborted. */
  signal?: AbortSignal;
  /** Called with unexpected errors (answered 500). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/** The fetch handler of {@linkcode createIngestHandler}. */
export interface IngestHandler {
  /** Answers one request. Never rejects. */
  (request: Request): Promise<Response>;
  /** Record streams (`GET …/records`) being sent right now. */
  readonly openReadStreams: number;
}

/**
 * A fetch handler serving `log`:
 *
 * - `GET /queues`: the summary; `POST /queues/{queue}` creates (201, 409 if
 *   it exists); `DELETE /queues/{queue}` deletes; `GET /queues/{queue}`: one
 *   queue's summary.
 * - `POST /queues/{queue}/records[?position=N][&format=…]`: appends the body,
 *   NDJSON lines (the default, `application/x-ndjson`) or u32 little-endian
 *   length-prefixed records (`application/octet-stream` or
 *   `format=length-prefixed`), and answers `{firstPosition, lastPosition,
 *   count}` once they are persisted as the log's policy says. With
 *   `position`, records already there with the same bytes are skipped, so a
 *   retry is safe.
 * - `GET /queues/{queue}/records[?from=N][&to=N][&follow=true]`: NDJSON lines
 *   `{"position":N,"payload":"<base64>"}`; with `follow`, it stays open and
 *   sends new records until the client goes away or the queue is deleted,
 *   with empty keep-alive lines while idle (skip them).
 * - `POST /queues/{queue}/truncate?position=N`.
 *
 * Errors answer `{"error": name, "message": …}`: 400 malformed input, 401
 * missing or wrong token, 404 unknown queue or route, 405, 409 conflict, 413
 * body or record too large, 415 unknown body type, 429 memory limit (with
 * `Retry-After`), 503 closing. A failed append also says what it `persisted`.
 * Appends to one queue run one after the other, so that the positions
 * answered are the request's own.
 */
export function createIngestHandler(
  log: MultiRecordLog,
  options: IngestHandlerOptions = {},
): IngestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 ** 3;
  const maxRecordBytes = options.maxRecordBytes ?? 16 * 1024 * 1024;
  const errors = {
    retryAfter: String(options.retryAfterSeconds ?? 1),
    onError: options.onError ?? console.error,
  };
  const checkToken = options.token === undefined
    ? undefined
    : bearerTokenCheck(options.token);
  const appending = new Map<string, Promise<void>>();
  let openReadStreams = 0;

  const route = async (request: Request): Promise<Response> => {
    checkToken?.(request);
    const url = new URL(request.url);
    const parts = url.pathname.split("/").slice(1);
    if (parts[0] !== "queues" || parts.length > 3) throw notFound(url);
    if (parts.length === 1 || (parts.length === 2 && parts[1] === "")) {
      allowMethods(request, "GET");
      parseQuery(url, []);
      return jsonResponse(200, summaryJson(log));
    }
    const queue = parseQueueName(parts[1]);
    if (parts.length === 2) {
      const method = allowMethods(request, "GET", "POST", "DELETE");
      parseQuery(url, []);
      if (method === "POST") {
        await log.createQueue(queue);
        return jsonResponse(201, { queue, created: true }, {
          location: `/queues/${encodeURIComponent(queue)}`,
        });
      }
      if (method === "DELETE") {
        await log.deleteQueue(queue);
        return jsonResponse(200, { queue, deleted: true });
      }
      const summary = summaryJson(log).queues[queue];
      if (!summary) throw new MissingQueueError(queue);
      return jsonResponse(200, summary);
    }
    if (parts[2] === "truncate") {
      allowMethods(request, "POST");
      const query = parseQuery(url, ["position"]);
      const position = parsePositionParam(query.get("position"), "position");
      if (position === undefined) {
        throw new HttpError(400, "BadPosition", "position is required");
      }
      return jsonResponse(200, await log.truncate(queue, position));
    }
    if (parts[2] !== "records") throw notFound(url);
    if (allowMethods(request, "GET", "POST") === "GET") {
      return readRecords(url, queue);
    }
    return await serialize(queue, () => appendBody(request, url, queue));
  };

  // Runs the appends to one queue one after the other.
  const serialize = async <T>(
    queue: string,
    task: () => Promise<T>,
  ): Promise<T> => {
    const previous = appending.get(queue);
    const run = (async () => {
      if (previous) await previous;
      return await task();
    })();
    const done = run.then(() => {}, () => {});
    appending.set(queue, done);
    await done;
    if (appending.get(queue) === done) appending.delete(queue);
    return run;
  };

  const appendBody = async (
    request: Request,
    url: URL,
    queue: string,
  ): Promise<Response> => {
    const query = parseQuery(url, ["position", "format"]);
    const position = parsePositionParam(query.get("position"), "position");
    const framing = bodyFraming(request, query.get("format"), maxRecordBytes);
    if (!log.queueExists(queue)) throw new MissingQueueError(queue);
    const declared = request.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBodyBytes) {
      throw bodyTooLarge(maxBodyBytes);
    }
    const body = request.body ?? new Blob([]).stream();
    const { outcome, error } = await ingestStream(
      log,
      queue,
      body
        .pipeThrough(idleLimit(options.bodyIdleTimeoutMs ?? 30_000))
        .pipeThrough(byteLimit(maxBodyBytes)),
      {
        framing,
        position,
        memoryWaitTimeoutMs: options.memoryWaitTimeoutMs ?? 1000,
        signal: options.signal,
      },
    );
    if (error === undefined) return jsonResponse(200, outcome);
    const failure = options.signal?.aborted
      ? new HttpError(503, "ServerClosing", "The server is shutting down")
      : error;
    return errorResponse(failure, errors, { persisted: outcome });
  };

  const readRecords = (url: URL, queue: string): Response => {
    const query = parseQuery(url, ["from", "to", "follow"]);
    const from = parsePositionParam(query.get("from"), "from");
    const to = parsePositionParam(query.get("to"), "to");
    const follow = parseBooleanParam(query.get("follow"), "follow");
    const records = log.readable(queue, { from, to, follow });
    openReadStreams++;
    const body = ndjsonRecords(records, {
      signal: options.signal,
      keepAliveMs: follow ? options.keepAliveMs ?? 30_000 : 0,
      onEnd: () => openReadStreams--,
    });
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "application/x-ndjson",
        "cache-control": "no-store",
      },
    });
  };

  const handler = async (request: Request): Promise<Response> => {
    try {
      return await route(request);
    } catch (error) {
      return errorResponse(error, errors);
    }
  };
  Object.defineProperty(handler, "openReadStreams", {
    get: () => openReadStreams,
  });
  return handler as IngestHandler;
}

function notFound(url: URL): HttpError {
  return new HttpError(404, "NotFound", `No route for ${url.pathname}`);
}

/** Options of {@linkcode serveIngest}. */
export interface ServeIngestOptions extends IngestHandlerOptions {
  /** The port to listen on; 0 picks a free one. Default 7280. */
  port?: number;
  /** The address to listen on. Default `"127.0.0.1"` (this machine only). */
  hostname?: string;
  /** How the log is opened (persist policy, memory limit, …). */
  openOptions?: OpenOptions;
  /**
   * How long `close()` waits for connections still open (a client that
   * keeps sending a body that was already answered) before it closes the
   * log anyway. Default 2000 ms.
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
  /**
   * Stops the server: ends the record streams, aborts appends in progress
   * (503; what they persisted stays), stops listening, waits for the open
   * connections (at most `shutdownTimeoutMs`), closes the log.
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
 * {@linkcode createIngestHandler}, on `Deno.serve` under Deno and on
 * `Bun.serve` elsewhere, on 127.0.0.1:7280 unless told otherwise. The log
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
  const handler = createIngestHandler(log, { ...options, signal: stop.signal });
  const hostname = options.hostname ?? "127.0.0.1";
  const requested = options.port ?? 7280;
  let port: number;
  let stopServer: () => Promise<void>;
  try {
    if ("Deno" in globalThis) {
      const server = Deno.serve({
        hostname,
        port: requested,
        onListen: () => {},
      }, handler);
      port = server.addr.port;
      stopServer = () => server.shutdown();
    } else {
      const server = (globalThis as unknown as { Bun: BunGlobal }).Bun.serve({
        hostname,
        port: requested,
        idleTimeout: 0, // record streams may stay idle while following
        maxRequestBodySize: Number.MAX_SAFE_INTEGER, // maxBodyBytes applies
        fetch: handler,
      });
      port = server.port;
      stopServer = async () => {
        await server.stop(false);
      };
    }
  } catch (error) {
    await log.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stop.abort();
      try {
        await withTimeout(stopServer(), options.shutdownTimeoutMs ?? 2000);
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
    port,
    url: `http://${host}:${port}`,
    get openReadStreams(): number {
      return handler.openReadStreams;
    },
    close,
    shutdown: close,
    [Symbol.asyncDispose]: close,
  };
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
