/**
 * The fetch handler of the ingest server: routes, and what each answers.
 * Runtime-neutral (a `Request` in, a `Response` out); `serveIngest` puts it
 * on `Deno.serve` or `Bun.serve`.
 *
 * @module
 */

import {
  type AppendContext,
  appendRoute,
  type QueueRateLimit,
} from "./append_route.ts";
import { bodyMemory } from "./body_memory.ts";
import {
  errorResponse,
  HttpError,
  limitOf,
  serverClosing,
} from "./http_error.ts";
import { HttpMetrics, routeTemplate } from "./http_metrics.ts";
import {
  allowMethods,
  bearerTokenCheck,
  parseBooleanParam,
  parsePositionParam,
  parseQuery,
  parseQueueName,
  pathSegments,
} from "./http_request.ts";
import { jsonResponse } from "./http_response.ts";
import { requestUrl } from "./request_url.ts";
import { consumerRoute } from "./consumer_routes.ts";
import { metricsRoute } from "./metrics_route.ts";
import { recordsResponse } from "./records_response.ts";
import { retentionRoute } from "./retention_route.ts";
import { statusRoute } from "./status_route.ts";
import { MissingQueueError } from "../errors.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { summaryJson } from "../wire/summary_json.ts";
import type { ForwarderStatusJson } from "../wire/forwarder_status_json.ts";

export type { QueueRateLimit } from "./append_route.ts";

/** The default largest request body: 10 MiB (as Quickwit's ingest API). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Options of {@linkcode createIngestHandler}. */
export interface IngestHandlerOptions {
  /** A bearer token every request must carry (`Authorization: Bearer …`). */
  token?: string;
  /**
   * The largest request body accepted, in bytes (413 past it). A body is
   * held in memory until it is appended. Default 10 MiB.
   */
  maxBodyBytes?: number;
  /**
   * The largest record accepted, in bytes (413 past it). Default
   * `maxBodyBytes`.
   */
  maxRecordBytes?: number;
  /**
   * How long an append's body may send nothing before it is answered with
   * 408 (its bytes count against the memory limit meanwhile). Default
   * 30,000.
   */
  bodyIdleTimeoutMs?: number;
  /** The `Retry-After` of a 429 at the memory or disk limit, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * While a followed record stream has no record to send, an empty line is
   * sent at once and then every `keepAliveMs` (0: never). Default 30,000.
   */
  keepAliveMs?: number;
  /** A rate limit per queue (429 `RateLimited` past it). Default none. */
  queueRate?: QueueRateLimit;
  /**
   * When aborted, every request is answered 503 `ServerClosing` (appends
   * not yet appending too, with nothing stored), and record streams end.
   */
  signal?: AbortSignal;
  /** Called with unexpected errors (answered 500). Default `console.error`. */
  onError?: (error: unknown) => void;
  /**
   * Called with one line (no stack) per client fault: a body cut short or
   * malformed (400 `BadBody`), too slow (408 `RequestTimeout`), a URL that
   * cannot be read (400 `BadUrl`), and, under `serveIngest` on `node:http`,
   * a request its parser refused. Default: the line on stderr
   * (`console.warn`).
   */
  onClientFault?: (line: string) => void;
  /**
   * The status of JetStream forwarders running beside the server (`serve
   * --forward`): `GET /queues` answers it as `forwarders`.
   */
  forwarders?: () => ForwarderStatusJson[];
}

/** The fetch handler of {@linkcode createIngestHandler}. */
export interface IngestHandler {
  /** Answers one request. Never rejects. */
  (request: Request): Promise<Response>;
  /** Record streams (`GET …/records`) being sent right now. */
  readonly openReadStreams: number;
  /** Requests being answered right now (record streams not counted). */
  readonly pendingRequests: number;
  /** Resolves once no request is being answered. */
  settled(): Promise<void>;
}

/**
 * A fetch handler serving `log`:
 *
 * - `GET /queues`: the summary (and `forwarders`, with that option);
 *   `POST /queues/{queue}` creates (201, 409 if
 *   it exists); `DELETE /queues/{queue}` deletes; `GET /queues/{queue}`: one
 *   queue's summary. `{queue}` is percent-encoded (`/` as `%2F`).
 * - `POST /queues/{queue}/records[?position=N][&format=…]`: appends the body,
 *   NDJSON lines (the default, `application/x-ndjson`) or u32 little-endian
 *   length-prefixed records (`application/octet-stream` or
 *   `format=length-prefixed`), all or nothing (one atomic append), and
 *   answers `{firstPosition, lastPosition, count, written}` once persisted
 *   as the log's policy says. With `position`, records already stored there
 *   with the same bytes are not written again (`written` counts the others),
 *   so a retry is exact (see `planAppend`).
 * - `GET /queues/{queue}/records[?from=N][&to=N][&follow=true]`: NDJSON lines
 *   `{"position":N,"payload":"<base64>"}`; with `follow`, it stays open and
 *   sends new records until the client goes away or the queue is deleted,
 *   with empty keep-alive lines while idle (skip them).
 * - `POST /queues/{queue}/truncate?position=N`.
 * - `/queues/{queue}/consumers[/{name}[/records|/ack]]`: durable consumers
 *   (see `consumerRoute`); `/queues/{queue}/retention`: retention limits
 *   (see `retentionRoute`).
 * - `GET /metrics`: the log's and the server's metrics in the Prometheus
 *   text format (see `metricsRoute`).
 * - `GET /`: the live status page (served without the token: it holds no
 *   data); `GET /status`: the JSON it polls (see `statusJson`).
 *
 * Every error answers `{"error": name, "message": …}` (see
 * `errorResponse`); an append that answers an error stored
 * nothing. Appends to one queue take their positions in the order their
 * bodies end, and share commits (one fsync for all those waiting).
 */
export function createIngestHandler(
  log: MultiRecordLog,
  options: IngestHandlerOptions = {},
): IngestHandler {
  const server = handlerState(log, options);
  let pending = 0;
  const waiting: (() => void)[] = [];
  const handler = async (request: Request): Promise<Response> => {
    pending++;
    try {
      const parts = pathSegments(request);
      let response: Response;
      try {
        response = await route(server, request, parts);
      } catch (error) {
        response = errorAnswer(server, request, parts, error);
      }
      server.http.answered(
        routeTemplate(parts),
        request.method,
        response.status,
      );
      return response;
    } finally {
      if (--pending === 0 && waiting.length > 0) {
        for (const wake of waiting.splice(0)) wake();
      }
    }
  };
  Object.defineProperties(handler, {
    openReadStreams: { get: () => server.openReadStreams },
    pendingRequests: { get: () => pending },
    settled: {
      value: (): Promise<void> =>
        pending === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => waiting.push(resolve)),
    },
  });
  return handler as IngestHandler;
}

/** What the routes share: the options, and the server's state. */
interface HandlerState extends AppendContext {
  options: IngestHandlerOptions;
  errors: { retryAfter: string; onError: (error: unknown) => void };
  checkToken: ((request: Request) => void) | undefined;
  onClientFault: (line: string) => void;
  openReadStreams: number;
  http: HttpMetrics;
}

function handlerState(
  log: MultiRecordLog,
  options: IngestHandlerOptions,
): HandlerState {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rate = options.queueRate;
  if (rate !== undefined && !(rate.burstBytes >= maxBodyBytes)) {
    throw new RangeError(
      `queueRate.burstBytes (${rate.burstBytes}) must be at least maxBodyBytes (${maxBodyBytes}): a larger body could never pass`,
    );
  }
  return {
    log,
    options,
    maxBodyBytes,
    maxRecordBytes: options.maxRecordBytes ?? maxBodyBytes,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 30_000,
    memory: bodyMemory(log),
    signal: options.signal,
    turns: new Map(),
    appending: new Map(),
    rate,
    buckets: new Map(),
    errors: {
      retryAfter: String(options.retryAfterSeconds ?? 1),
      onError: options.onError ?? console.error,
    },
    onClientFault: options.onClientFault ??
      ((line) => console.warn(`mrecordlog: client fault: ${line}`)),
    checkToken: options.token === undefined
      ? undefined
      : bearerTokenCheck(options.token),
    openReadStreams: 0,
    http: new HttpMetrics(),
  };
}

/** The answer to `error`, raised by `request`'s route (429s counted by limit). */
function errorAnswer(
  server: HandlerState,
  request: Request,
  parts: string[],
  error: unknown,
): Response {
  const limit = limitOf(error);
  if (limit !== undefined) server.http.limited(limit);
  if (error instanceof HttpError && CLIENT_FAULTS.includes(error.name)) {
    server.onClientFault(
      `${error.status} ${error.name}: ${error.message} (${request.method} /${
        parts.join("/").slice(0, 200)
      })`,
    );
  }
  return errorResponse(error, server.errors);
}

/**
 * The errors of a client at fault (a body cut short, malformed, or too
 * slow; a URL that cannot be read), logged in one line each (see
 * `onClientFault`); other client errors are ordinary answers.
 */
const CLIENT_FAULTS = ["BadBody", "RequestTimeout", "BadUrl"];

/** Answers `request`, or raises the error to answer. */
async function route(
  server: HandlerState,
  request: Request,
  parts: string[],
): Promise<Response> {
  if (server.signal?.aborted) throw serverClosing();
  if (request.method === "CONNECT") {
    // Answered, then closed: a runtime would otherwise keep a CONNECT's
    // connection open as a tunnel.
    throw new HttpError(
      405,
      "MethodNotAllowed",
      "CONNECT is not allowed here",
      { headers: { connection: "close" } },
    );
  }
  const url = requestUrl(request);
  if (parts.length === 1 && (parts[0] === "" || parts[0] === "status")) {
    const status = statusRoute(server.log, request, server.checkToken);
    if (status) return status;
  }
  server.checkToken?.(request);
  if (parts.length === 1 && parts[0] === "metrics") {
    return metricsRoute(server, request, url);
  }
  if (parts[0] !== "queues") throw notFound(url);
  if (parts.length === 1 || (parts.length === 2 && parts[1] === "")) {
    allowMethods(request, "GET");
    parseQuery(url, []);
    const forwarders = server.options.forwarders?.();
    const summary = summaryJson(server.log);
    return jsonResponse(200, forwarders ? { ...summary, forwarders } : summary);
  }
  const queue = parseQueueName(parts[1]);
  if (parts.length === 2) return await queueRoute(server, request, url, queue);
  if (parts[2] === "consumers") {
    return await consumerRoute(server, request, url, queue, parts.slice(3));
  }
  if (parts.length > 3) throw notFound(url);
  if (parts[2] === "retention") {
    return await retentionRoute(server, request, url, queue);
  }
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
  return await appendRoute(server, request, url, queue);
}

/** `/queues/{queue}`: POST creates, DELETE deletes, GET summarizes. */
async function queueRoute(
  server: HandlerState,
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
    server.buckets.delete(queue);
    return jsonResponse(200, { queue, deleted: true });
  }
  const summary = summaryJson(server.log).queues[queue];
  if (!summary) throw new MissingQueueError(queue);
  return jsonResponse(200, summary);
}

/** `GET /queues/{queue}/records`: the records as NDJSON lines. */
function readRecords(
  server: HandlerState,
  url: URL,
  queue: string,
): Response {
  const query = parseQuery(url, ["from", "to", "follow"]);
  const from = parsePositionParam(query.get("from"), "from");
  const to = parsePositionParam(query.get("to"), "to");
  const follow = parseBooleanParam(query.get("follow"), "follow");
  const records = server.log.readable(queue, { from, to, follow });
  return recordsResponse(server, records, follow);
}

function notFound(url: URL): HttpError {
  return new HttpError(404, "NotFound", `No route for ${url.pathname}`);
}
