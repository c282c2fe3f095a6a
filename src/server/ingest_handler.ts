/**
 * The fetch handler of the ingest server: routes, and what each answers.
 * Runtime-neutral (a `Request` in, a `Response` out); `serveIngest` puts it
 * on `Deno.serve` or `Bun.serve`.
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
import { MissingQueueError } from "../errors.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { ingestStream } from "../streams/ingest_stream.ts";
import { summaryJson } from "../wire/summary_json.ts";

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
  const server: Server = {
    log,
    options,
    maxBodyBytes: options.maxBodyBytes ?? 1024 ** 3,
    maxRecordBytes: options.maxRecordBytes ?? 16 * 1024 * 1024,
    errors: {
      retryAfter: String(options.retryAfterSeconds ?? 1),
      onError: options.onError ?? console.error,
    },
    checkToken: options.token === undefined
      ? undefined
      : bearerTokenCheck(options.token),
    appending: new Map(),
    openReadStreams: 0,
  };
  const handler = async (request: Request): Promise<Response> => {
    try {
      return await route(server, request);
    } catch (error) {
      return errorResponse(error, server.errors);
    }
  };
  Object.defineProperty(handler, "openReadStreams", {
    get: () => server.openReadStreams,
  });
  return handler as IngestHandler;
}

/** What the routes share: the log, the options, and the server's state. */
interface Server {
  log: MultiRecordLog;
  options: IngestHandlerOptions;
  maxBodyBytes: number;
  maxRecordBytes: number;
  errors: { retryAfter: string; onError: (error: unknown) => void };
  checkToken: ((request: Request) => void) | undefined;
  /** Per queue, the end of the last append started: appends run in turn. */
  appending: Map<string, Promise<void>>;
  openReadStreams: number;
}

/** Answers `request`, or raises the error to answer. */
async function route(server: Server, request: Request): Promise<Response> {
  server.checkToken?.(request);
  const url = new URL(request.url);
  const parts = url.pathname.split("/").slice(1);
  if (parts[0] !== "queues" || parts.length > 3) throw notFound(url);
  if (parts.length === 1 || (parts.length === 2 && parts[1] === "")) {
    allowMethods(request, "GET");
    parseQuery(url, []);
    return jsonResponse(200, summaryJson(server.log));
  }
  const queue = parseQueueName(parts[1]);
  if (parts.length === 2) return await queueRoute(server, request, url, queue);
  if (parts[2] === "truncate") {
    allowMethods(request, "POST");
    const query = parseQuery(url, ["position"]);
    const position = parsePositionParam(query.get("position"), "position");
    if (position === undefined) {
      throw new HttpError(400, "BadPosition", "position is required");
    }
    return jsonResponse(200, await server.log.truncate(queue, position));
  }
  if (parts[2] !== "records") throw notFound(url);
  if (allowMethods(request, "GET", "POST") === "GET") {
    return readRecords(server, url, queue);
  }
  return await inTurn(
    server.appending,
    queue,
    () => appendBody(server, request, url, queue),
  );
}

/** `/queues/{queue}`: POST creates, DELETE deletes, GET summarizes. */
async function queueRoute(
  server: Server,
  request: Request,
  url: URL,
  queue: string,
): Promise<Response> {
  const method = allowMethods(request, "GET", "POST", "DELETE");
  parseQuery(url, []);
  if (method === "POST") {
    await server.log.createQueue(queue);
    return jsonResponse(201, { queue, created: true }, {
      location: `/queues/${encodeURIComponent(queue)}`,
    });
  }
  if (method === "DELETE") {
    await server.log.deleteQueue(queue);
    return jsonResponse(200, { queue, deleted: true });
  }
  const summary = summaryJson(server.log).queues[queue];
  if (!summary) throw new MissingQueueError(queue);
  return jsonResponse(200, summary);
}

/** Runs `task` once the tasks started before it under `key` have settled. */
async function inTurn<T>(
  running: Map<string, Promise<void>>,
  key: string,
  task: () => Promise<T>,
): Promise<T> {
  const previous = running.get(key);
  const run = (async () => {
    if (previous) await previous;
    return await task();
  })();
  const done = run.then(() => {}, () => {});
  running.set(key, done);
  await done;
  if (running.get(key) === done) running.delete(key);
  return run;
}

/** `POST /queues/{queue}/records`: the body's records appended. */
async function appendBody(
  server: Server,
  request: Request,
  url: URL,
  queue: string,
): Promise<Response> {
  const { log, options, maxBodyBytes } = server;
  const query = parseQuery(url, ["position", "format"]);
  const position = parsePositionParam(query.get("position"), "position");
  const framing = bodyFraming(
    request,
    query.get("format"),
    server.maxRecordBytes,
  );
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
  return errorResponse(failure, server.errors, { persisted: outcome });
}

/** `GET /queues/{queue}/records`: the records as NDJSON lines. */
function readRecords(server: Server, url: URL, queue: string): Response {
  const { options } = server;
  const query = parseQuery(url, ["from", "to", "follow"]);
  const from = parsePositionParam(query.get("from"), "from");
  const to = parsePositionParam(query.get("to"), "to");
  const follow = parseBooleanParam(query.get("follow"), "follow");
  const records = server.log.readable(queue, { from, to, follow });
  server.openReadStreams++;
  const body = ndjsonRecords(records, {
    signal: options.signal,
    keepAliveMs: follow ? options.keepAliveMs ?? 30_000 : 0,
    onEnd: () => server.openReadStreams--,
  });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "application/x-ndjson",
      "cache-control": "no-store",
    },
  });
}

function notFound(url: URL): HttpError {
  return new HttpError(404, "NotFound", `No route for ${url.pathname}`);
}
