/**
 * The consumer routes, `/queues/{queue}/consumers…`: durable named cursors
 * of a queue (see `MultiRecordLog.createConsumer`). `{name}` is
 * percent-encoded as queue names are.
 *
 * - `GET /queues/{queue}/consumers`: each consumer's last ack and lag.
 * - `POST /queues/{queue}/consumers/{name}[?from=N]` creates (201; 409
 *   `ConsumerAlreadyExistsError`), `GET` shows one, `DELETE` deletes (404
 *   `MissingConsumerError`).
 * - `GET /queues/{queue}/consumers/{name}/records[?follow=true][&limit=N]`:
 *   the records after its last ack, as NDJSON lines.
 * - `POST /queues/{queue}/consumers/{name}/ack?position=N`.
 *
 * @module
 */

import { checkConsumerName } from "../arguments.ts";
import type { ConsumerSummary } from "../log/consumers.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { MissingConsumerError } from "../errors.ts";
import { HttpError, rangeErrorAs } from "./http_error.ts";
import {
  allowMethods,
  parseBooleanParam,
  parsePositionParam,
  parseQuery,
} from "./http_request.ts";
import { jsonResponse } from "./http_response.ts";
import { type ReadContext, recordsResponse } from "./records_response.ts";

/** What the consumer routes need of the server. */
export interface ConsumerContext extends ReadContext {
  /** The log served. */
  log: MultiRecordLog;
}

/** A consumer as JSON: its last ack (`null` if none yet) and its lag. */
export interface ConsumerJson {
  /** The consumer's name. */
  name: string;
  /** The last position it acknowledged, or `null`. */
  acked: number | null;
  /** Records held after its position. */
  lag: number;
}

/**
 * Answers `/queues/{queue}/consumers/…`, `rest` being the path segments
 * after `consumers` (still percent-encoded).
 */
export async function consumerRoute(
  context: ConsumerContext,
  request: Request,
  url: URL,
  queue: string,
  rest: string[],
): Promise<Response> {
  const { log } = context;
  if (rest.length === 0) {
    allowMethods(request, "GET");
    parseQuery(url, []);
    const consumers = log.listConsumers(queue).map(consumerJson);
    return jsonResponse(200, { queue, consumers });
  }
  if (rest.length > 2) throw notFound(url);
  const name = parseConsumerName(rest[0]);
  if (rest.length === 1) {
    return await oneConsumerRoute(log, request, url, queue, name);
  }
  if (rest[1] === "records") {
    allowMethods(request, "GET");
    const query = parseQuery(url, ["follow", "limit"]);
    const follow = parseBooleanParam(query.get("follow"), "follow");
    const limit = parseLimitParam(query.get("limit"));
    const records = log.readable(queue, { consumer: name, follow });
    return recordsResponse(context, records, follow, limit);
  }
  if (rest[1] === "ack") return await ackRoute(log, request, url, queue, name);
  throw notFound(url);
}

/** `/queues/{queue}/consumers/{name}`: POST creates, DELETE deletes, GET shows. */
async function oneConsumerRoute(
  log: MultiRecordLog,
  request: Request,
  url: URL,
  queue: string,
  name: string,
): Promise<Response> {
  const method = allowMethods(request, "GET", "POST", "DELETE");
  const query = parseQuery(url, method === "POST" ? ["from"] : []);
  if (method === "POST") {
    const from = parsePositionParam(query.get("from"), "from");
    // A RangeError here: a queue name too long to have consumers.
    await rangeErrorAs(
      "BadQueueName",
      () => log.createConsumer(queue, name, { from }),
    );
    return jsonResponse(201, findConsumer(log, queue, name), {
      location: `/queues/${encodeURIComponent(queue)}/consumers/${
        encodeURIComponent(name)
      }`,
    });
  }
  if (method === "DELETE") {
    await log.deleteConsumer(queue, name);
    return jsonResponse(200, { queue, consumer: name, deleted: true });
  }
  return jsonResponse(200, findConsumer(log, queue, name));
}

/**
 * `POST /queues/{queue}/consumers/{name}/ack?position=N`: answers the
 * consumer once the ack is persisted as the log's policy says. A position
 * past the queue's last is a 400 `BadPosition`.
 */
async function ackRoute(
  log: MultiRecordLog,
  request: Request,
  url: URL,
  queue: string,
  name: string,
): Promise<Response> {
  allowMethods(request, "POST");
  const query = parseQuery(url, ["position"]);
  const position = parsePositionParam(query.get("position"), "position");
  if (position === undefined) {
    throw new HttpError(400, "BadPosition", "position is required");
  }
  await rangeErrorAs("BadPosition", () => log.ack(queue, name, position));
  return jsonResponse(200, findConsumer(log, queue, name));
}

/** Consumer `name` of `queue` as JSON, or `MissingConsumerError`. */
function findConsumer(
  log: MultiRecordLog,
  queue: string,
  name: string,
): ConsumerJson {
  const consumer = log.listConsumers(queue).find((c) => c.name === name);
  if (consumer === undefined) throw new MissingConsumerError(queue, name);
  return consumerJson(consumer);
}

function consumerJson(consumer: ConsumerSummary): ConsumerJson {
  const { name, acked, lag } = consumer;
  return { name, acked: acked ?? null, lag };
}

/**
 * A consumer name from a path segment, percent-decoded and checked by the
 * library's rule (400 `BadConsumerName` with its message otherwise).
 */
export function parseConsumerName(segment: string): string {
  try {
    return checkConsumerName(decodeURIComponent(segment));
  } catch (error) {
    const message = error instanceof URIError
      ? "The consumer name is not valid percent-encoded UTF-8"
      : (error as Error).message;
    throw new HttpError(400, "BadConsumerName", message);
  }
}

/** `limit`: a positive integer below 2^53, or absent (400 `BadQuery`). */
function parseLimitParam(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(limit) || !limit) {
    throw new HttpError(
      400,
      "BadQuery",
      `limit must be a positive integer below 2^53, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return limit;
}

function notFound(url: URL): HttpError {
  return new HttpError(404, "NotFound", `No route for ${url.pathname}`);
}
