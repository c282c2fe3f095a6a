/**
 * `POST /queues/{queue}/records`: an append request, all or nothing. The
 * body is read whole (bounded, and counted against the memory limit while it
 * arrives; bodies to one queue arrive in parallel; a small one of declared
 * length in one piece, see `WholeBody`), cut into records, and
 * appended as one atomic log record: the retry rule ({@linkcode planAppend}),
 * the queue's rate limit and the start of `appendRecords` run with no other
 * append of the queue in between, and the wait for durability outside, so
 * that appends arriving together share a commit. Any error answer means
 * nothing was stored.
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { MissingQueueError } from "../errors.ts";
import { readBodyRecords, wholeBody } from "./body_records.ts";
import type { BodyMemory } from "./body_memory.ts";
import { bodyTooLarge } from "./body_watch.ts";
import { isNodeRequest } from "./node_request_body.ts";
import { bodyDecoder } from "./content_decoding.ts";
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
  /**
   * Per queue, the end of the append turn held (by a retry waiting for the
   * appends in flight): the appends that arrive meanwhile start after it.
   */
  turns: Map<string, Promise<void>>;
  /** Per queue, its appends started and not yet persisted. */
  appending: Map<string, Set<Promise<unknown>>>;
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
  const decode = bodyDecoder(request);
  if (!context.log.queueExists(queue)) throw new MissingQueueError(queue);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > context.maxBodyBytes) {
    throw bodyTooLarge(context.maxBodyBytes);
  }
  // srvx's node:http requests are read through their body stream only.
  const whole = isNodeRequest(request)
    ? undefined
    : wholeBody(request, declared, framing, decode);
  const { records, heldBytes } = await readBodyRecords(
    whole === undefined ? request.body : null,
    {
      framing,
      decode,
      maxBodyBytes: context.maxBodyBytes,
      idleTimeoutMs: context.bodyIdleTimeoutMs,
      memory: context.memory,
      signal: context.signal,
      whole,
    },
  );
  let answer: Promise<AppendAnswer>;
  try {
    const started = startInTurn(context, queue, position, records);
    answer = "answer" in started ? started.answer : (await started).answer;
  } finally {
    // The log holds its own copy of the records from the start on.
    context.memory.release(heldBytes);
  }
  return jsonResponse(200, await answer);
}

/** An append started: its answer, once persisted as the log's policy says. */
interface Started {
  answer: Promise<AppendAnswer>;
}

/**
 * Starts the append in the queue's turn: the plan and the start of its one
 * `appendRecords` (which lays the records out and takes their positions
 * synchronously) run with no other append of the queue in between; the wait
 * for the records to be persisted is outside the turn, so that appends
 * arriving together share a commit (one fsync). A turn is only held (and
 * waited for) by a retry (`position`) of a queue with appends in flight: it
 * waits for them to be persisted, then plans against what is stored. With
 * no turn to wait for, the append starts now (no promise of its start).
 */
function startInTurn(
  context: AppendContext,
  queue: string,
  position: number | undefined,
  records: Uint8Array[],
): Started | Promise<Started> {
  const { turns } = context;
  const previous = turns.get(queue);
  const inFlight = context.appending.get(queue);
  if (previous === undefined && (position === undefined || !inFlight)) {
    return { answer: startAppend(context, queue, position, records) };
  }
  const turn = (async (): Promise<Started> => {
    if (previous !== undefined) await previous;
    const appending = context.appending.get(queue);
    if (position !== undefined && appending) {
      await Promise.allSettled([...appending]);
    }
    return { answer: startAppend(context, queue, position, records) };
  })();
  const done = turn.then(ignore, ignore);
  turns.set(queue, done);
  done.then(() => {
    if (turns.get(queue) === done) turns.delete(queue);
  });
  return turn;
}

function ignore(): void {}

/**
 * The append itself, synchronous up to `appendRecords` (no other append of
 * the queue can run in between): the plan, the rate limit, then one
 * `appendRecords`; the answer once it is persisted.
 */
function startAppend(
  context: AppendContext,
  queue: string,
  position: number | undefined,
  records: Uint8Array[],
): Promise<AppendAnswer> {
  const { log } = context;
  if (context.signal?.aborted) throw serverClosing();
  const { first, skip } = planAppend(log, queue, position, records);
  const count = records.length;
  if (count === 0) {
    return Promise.resolve({
      firstPosition: null,
      lastPosition: null,
      count: 0,
      written: 0,
    });
  }
  if (skip === count) {
    return Promise.resolve({
      firstPosition: first!,
      lastPosition: first! + count - 1,
      count,
      written: 0,
    });
  }
  const rest = skip === 0 ? records : records.slice(skip);
  const refund = takeRate(context, queue, rest);
  // With a position, the rest goes at first + skip: the queue's next
  // position or past it, never next - 1 (where the library would take it
  // for a retry of its last record and write nothing).
  const at = first === undefined ? undefined : first + skip;
  const appended = log.appendRecords(queue, at, rest);
  track(context.appending, queue, appended);
  return appended.then(({ lastPosition }) => {
    if (lastPosition === undefined) throw new Error("Nothing was appended");
    const start = first ?? lastPosition - rest.length + 1;
    return {
      firstPosition: start,
      lastPosition: start + count - 1,
      count,
      written: rest.length,
    };
  }, (error) => {
    refund();
    throw error instanceof RangeError
      ? new HttpError(400, "BadPosition", error.message)
      : error;
  });
}

/** Counts `appended` in the queue's appends in flight until it settles. */
function track(
  appending: Map<string, Set<Promise<unknown>>>,
  queue: string,
  appended: Promise<unknown>,
): void {
  let set = appending.get(queue);
  if (set === undefined) appending.set(queue, set = new Set());
  set.add(appended);
  const settled = (): void => {
    set.delete(appended);
    if (set.size === 0 && appending.get(queue) === set) {
      appending.delete(queue);
    }
  };
  appended.then(settled, settled);
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
