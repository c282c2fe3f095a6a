/**
 * `/queues/{queue}/retention`: a queue's retention limits (see
 * `MultiRecordLog.setRetention`). `PUT` sets them from a JSON body
 * `{"maxRecords": N, "maxBytes": B, "discard": "old" | "new"}` (a limit
 * absent or `null` is not set), `GET` shows them, `DELETE` removes them;
 * each answers `{"queue": …, "retention": limits or null}`.
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";
import type { RetentionLimits } from "../log/queue_state.ts";
import { checkRetention } from "../log/retention.ts";
import { MissingQueueError } from "../errors.ts";
import { readBodyRecords } from "./body_records.ts";
import type { BodyMemory } from "./body_memory.ts";
import { HttpError, rangeErrorAs } from "./http_error.ts";
import { allowMethods, parseQuery } from "./http_request.ts";
import { jsonResponse } from "./http_response.ts";

/** The largest body of a `PUT …/retention`, in bytes. */
const MAX_RETENTION_BODY_BYTES = 4096;

/** What the retention route needs of the server. */
export interface RetentionContext {
  /** The log served. */
  log: MultiRecordLog;
  /** The bytes of bodies being read, against the memory limit. */
  memory: BodyMemory;
  /** How long a body may send nothing, in ms. */
  bodyIdleTimeoutMs: number;
  /** Aborted when the server closes. */
  signal?: AbortSignal;
}

/** A queue's retention limits as JSON (a limit not set is `null`). */
export interface RetentionJson {
  /** The most records the queue holds, or `null`. */
  maxRecords: number | null;
  /** The most payload bytes the queue holds, or `null`. */
  maxBytes: number | null;
  /** What an append past a limit does. */
  discard: "old" | "new";
}

/** Answers `/queues/{queue}/retention`. */
export async function retentionRoute(
  context: RetentionContext,
  request: Request,
  url: URL,
  queue: string,
): Promise<Response> {
  const { log } = context;
  const method = allowMethods(request, "GET", "PUT", "DELETE");
  parseQuery(url, []);
  if (method === "GET") {
    return retentionAnswer(queue, log.retention(queue));
  }
  let limits: RetentionLimits | undefined;
  if (method === "PUT") {
    if (!log.queueExists(queue)) throw new MissingQueueError(queue);
    limits = parseRetention(await readSmallBody(context, request));
  }
  // A RangeError here: a queue name too long to have retention limits.
  await rangeErrorAs("BadQueueName", () => log.setRetention(queue, limits));
  return retentionAnswer(queue, log.retention(queue));
}

function retentionAnswer(
  queue: string,
  limits: RetentionLimits | undefined,
): Response {
  const retention: RetentionJson | null = limits === undefined ? null : {
    maxRecords: limits.maxRecords ?? null,
    maxBytes: limits.maxBytes ?? null,
    discard: limits.discard,
  };
  return jsonResponse(200, { queue, retention });
}

/** The body, whole (at most 4 KiB, counted against the memory limit). */
async function readSmallBody(
  context: RetentionContext,
  request: Request,
): Promise<string> {
  const { records, heldBytes } = await readBodyRecords(request.body, {
    framing: new TransformStream(),
    maxBodyBytes: MAX_RETENTION_BODY_BYTES,
    idleTimeoutMs: context.bodyIdleTimeoutMs,
    memory: context.memory,
    signal: context.signal,
  });
  context.memory.release(heldBytes);
  const bytes = new Uint8Array(heldBytes);
  let at = 0;
  for (const chunk of records) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

const FIELDS = ["maxRecords", "maxBytes", "discard"];

/**
 * The limits of a `PUT` body, checked by the library's rules; a 400
 * `BadRetention` with the reason otherwise.
 */
export function parseRetention(text: string): RetentionLimits {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRetention(`The body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRetention(
      'The body must be a JSON object {"maxRecords", "maxBytes", "discard"}',
    );
  }
  const given: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (!FIELDS.includes(key)) {
      throw badRetention(
        `Unknown field ${JSON.stringify(key)}: use ${FIELDS.join(", ")}`,
      );
    }
    if (field !== null) given[key] = field;
  }
  try {
    return checkRetention(given)!;
  } catch (error) {
    throw badRetention((error as Error).message);
  }
}

function badRetention(message: string): HttpError {
  return new HttpError(400, "BadRetention", message);
}
