/**
 * The answer of the routes that read records (`GET /queues/{queue}/records`
 * and `GET /queues/{queue}/consumers/{name}/records`): the records as NDJSON
 * lines, counted in the server's open read streams while they are sent.
 *
 * @module
 */

import type { LogRecord } from "../log/mem_queue.ts";
import { ndjsonRecords } from "./http_response.ts";

/** What a record stream needs of the server. */
export interface ReadContext {
  /** The server's options: its signal, and the keep-alive interval. */
  options: { signal?: AbortSignal; keepAliveMs?: number };
  /** Record streams being sent right now. */
  openReadStreams: number;
}

/**
 * A 200 answer sending `records` as NDJSON lines (see `ndjsonRecords`):
 * with `follow`, empty keep-alive lines while idle; with `limit`, at most
 * that many records.
 */
export function recordsResponse(
  context: ReadContext,
  records: ReadableStream<LogRecord>,
  follow: boolean,
  limit?: number,
): Response {
  const { options } = context;
  context.openReadStreams++;
  const body = ndjsonRecords(records, {
    signal: options.signal,
    keepAliveMs: follow ? options.keepAliveMs ?? 30_000 : 0,
    limit,
    onEnd: () => context.openReadStreams--,
  });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "application/x-ndjson",
      "cache-control": "no-store",
    },
  });
}
