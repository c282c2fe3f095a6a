/**
 * `POST /queues/{queue}/records`: an append request, all or nothing. The
 * body is read whole (bounded, and counted against the memory limit while it
 * arrives), cut into records, and appended as one atomic log record in the
 * queue's turn, after the retry rule ({@linkcode planAppend}) and the
 * queue's rate limit; any error answer means nothing was stored.
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { MissingQueueError } from "../errors.ts";
import {
  type BodyMemory,
  bodyTooLarge,
  readBodyRecords,
} from "./body_records.ts";
import { planAppend } from "./exact_append.ts";
import { HttpError, serverClosing } from "./http_error.ts";
import { bodyFraming, parsePositionParam, parseQuery } from "./http_request.ts";
import { jsonResponse } from "./http_response.ts";
import { TokenBucket } from "./token_bucket.ts";

/** A per-queue rate limit: a {@linkcode TokenBucket} of bytes per queue. */
export interface QueueRateLimit {
  /** Payload bytes per second a queue takes, on average. */
  bytesPerSecond: number;
  /** Payload bytes a queue takes at once (at least the largest body). */
  burstBytes: number;
  /** The clock of the buckets, in ms. Default `performance.now()`. */
  now?: () => number;
}

/** What an append request needs of the server. */
export interface AppendContext {
  /** The log appended to. */
  log: MultiRecordLog;
  /** The largest body accepted, in bytes. */
  maxBodyBytes: number;
  /** The largest record accepted, in bytes. */
  maxRecordBytes: number;
  /** How long a body may send nothing, in ms. */
  bodyIdleTimeoutMs: number;
  /** The bytes of bodies being read, against the memory limit. */
  memory: BodyMemory;
  /** Aborted when the server closes. */
  signal?: AbortSignal;
  /** Per queue, the end of the last append started: appends run in turn. */
  turns: Map<string, Promise<void>>;
  /** The per-queue rate limit, if any. */
  rate?: QueueRateLimit;
  /** Per queue, its bucket (with `rate`). */
  buckets: Map<string, TokenBucket>;
}

/** What an append answers (200). */
export interface AppendAnswer {
  /** The position of the request's first record (`null` if none). */
  firstPosition: number | null;
  /** The position of its last record (`null` if none). */
  lastPosition: number | null;
  /** The request's records, all stored now at first…last. */
  count: number;
  /** How many of them this request wrote (the others were there already). */
  written: number;
}

/** Answers `POST /queues/{queue}/records` (the query in `url`). */
export async function appendRoute(
  context: AppendContext,
  request: Request,
  url: URL,
  queue: string,
): Promise<Response> {
  const query = parseQuery(url, ["position", "format"]);
  const position = parsePositionParam(query.get("position"), "position");
  const framing = bodyFraming(
    request,
    query.get("format"),
    context.maxRecordBytes,
  );
  if (!context.log.queueExists(queue)) throw new MissingQueueError(queue);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > context.maxBodyBytes) {
    throw bodyTooLarge(context.maxBodyBytes);
  }
  const { records, heldBytes } = await readBodyRecords(request.body, {
    framing,
    maxBodyBytes: context.maxBodyBytes,
    idleTimeoutMs: context.bodyIdleTimeoutMs,
    memory: context.memory,
    signal: context.signal,
  });
  try {
    const answer = await inTurn(
      context.turns,
      queue,
      () => appendInTurn(context, queue, position, records),
    );
    return jsonResponse(200, answer);
  } finally {
    context.memory.release(heldBytes);
  }
}

/**
 * The append itself, in the queue's turn (no other append of the queue runs
 * meanwhile): the plan, the rate limit, then one `appendRecords`.
 */
async function appendInTurn(
  context: AppendContext,
  queue: string,
  position: number | undefined,
  records: Uint8Array[],
): Promise<AppendAnswer> {
  const { log } = context;
  if (context.signal?.aborted) throw serverClosing();
  const { first, skip } = planAppend(log, queue, position, records);
  if (records.length === 0) {
    return { firstPosition: null, lastPosition: null, count: 0, written: 0 };
  }
  const rest = skip === 0 ? records : records.slice(skip);
  let start = first;
  if (rest.length > 0) {
    const refund = takeRate(context, queue, rest);
    // With a position, the rest goes at first + skip: the queue's next
    // position or past it, never next - 1 (where the library would take it
    // for a retry of its last record and write nothing).
    const at = first === undefined ? undefined : first + skip;
    try {
      const { lastPosition } = await log.appendRecords(queue, at, rest);
      if (lastPosition === undefined) throw new Error("Nothing was appended");
      start ??= lastPosition - rest.length + 1;
    } catch (error) {
      refund();
      throw error;
    }
  }
  if (start === undefined) throw new Error("No position for the records");
  return {
    firstPosition: start,
    lastPosition: start + records.length - 1,
    count: records.length,
    written: rest.length,
  };
}

/**
 * Takes the bytes of `records` from the queue's bucket (or raises 429
 * `RateLimited`, taking nothing); returns how to give them back.
 */
function takeRate(
  context: AppendContext,
  queue: string,
  records: Uint8Array[],
): () => void {
  const { rate, buckets } = context;
  if (rate === undefined) return () => {};
  let bucket = buckets.get(queue);
  if (bucket === undefined) {
    bucket = new TokenBucket(rate.bytesPerSecond, rate.burstBytes, rate.now);
    buckets.set(queue, bucket);
  }
  let bytes = 0;
  for (const record of records) bytes += record.byteLength;
  const waitMs = bucket.take(bytes);
  if (waitMs === 0) return () => bucket.refund(bytes);
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  throw new HttpError(
    429,
    "RateLimited",
    `Queue ${
      JSON.stringify(queue)
    } takes ${rate.bytesPerSecond} bytes/s (bursts of ${rate.burstBytes}): ${bytes} bytes fit in ${seconds} s`,
    { headers: { "retry-after": String(seconds) }, fields: { limit: "rate" } },
  );
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
