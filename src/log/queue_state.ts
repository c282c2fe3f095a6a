/**
 * The state of a user queue beyond its records: its consumers and its
 * retention limits, and the record that stores it in the queue's state queue
 * (see `state_queue.ts`). The record is UTF-8 JSON, format 1:
 *
 * ```json
 * {"format":1,
 *  "consumers":[{"name":"indexer","from":0,"acked":41}],
 *  "retention":{"maxRecords":100000,"maxBytes":null,"discard":"old"}}
 * ```
 *
 * `acked` is `null` until the consumer acknowledges a position; `retention`
 * is `null` without limits, and a limit not set is `null`.
 *
 * @module
 */

/** One consumer of a queue. */
export interface ConsumerState {
  /** The first position it reads, until it acknowledges one. */
  from: number;
  /** The last position it acknowledged, if any. */
  acked: number | undefined;
}

/** The retention limits of a queue, from `MultiRecordLog.setRetention`. */
export interface RetentionLimits {
  /** The most records the queue holds. */
  maxRecords?: number;
  /** The most payload bytes the queue holds. */
  maxBytes?: number;
  /**
   * What an append that would pass a limit does: `"old"` truncates the
   * oldest records to make room, `"new"` is refused with
   * `RetentionLimitError`.
   */
  discard: "old" | "new";
}

/** A queue's consumers (by name) and retention limits. */
export interface QueueState {
  /** The consumers, by name. */
  consumers: Map<string, ConsumerState>;
  /** The retention limits, if any. */
  retention: RetentionLimits | undefined;
}

/** The version of the state record written. */
export const STATE_FORMAT = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The state record of `state`. */
export function encodeQueueState(state: QueueState): Uint8Array {
  const consumers = [...state.consumers].map(([name, c]) => ({
    name,
    from: c.from,
    acked: c.acked ?? null,
  }));
  const r = state.retention;
  const retention = r === undefined ? null : {
    maxRecords: r.maxRecords ?? null,
    maxBytes: r.maxBytes ?? null,
    discard: r.discard,
  };
  return encoder.encode(
    JSON.stringify({ format: STATE_FORMAT, consumers, retention }),
  );
}

/**
 * The state a state record holds. Throws an `Error` saying what is wrong if
 * the record is not one this version reads.
 */
export function decodeQueueState(bytes: Uint8Array): QueueState {
  const json = JSON.parse(decoder.decode(bytes));
  if (json?.format !== STATE_FORMAT) {
    throw new Error(`unknown state format ${JSON.stringify(json?.format)}`);
  }
  if (!Array.isArray(json.consumers)) throw new Error("no consumers list");
  const consumers = new Map<string, ConsumerState>();
  for (const c of json.consumers) {
    if (
      typeof c?.name !== "string" || !isPosition(c.from) ||
      !(c.acked === null || isPosition(c.acked)) || consumers.has(c.name)
    ) {
      throw new Error(`malformed consumer ${JSON.stringify(c)}`);
    }
    consumers.set(c.name, { from: c.from, acked: c.acked ?? undefined });
  }
  return { consumers, retention: decodeRetention(json.retention) };
}

function decodeRetention(r: unknown): RetentionLimits | undefined {
  if (r === null) return undefined;
  const { maxRecords, maxBytes, discard } = r as Record<string, unknown>;
  const limit = (v: unknown) => v === null || isPosition(v) && v > 0;
  if (
    !limit(maxRecords) || !limit(maxBytes) ||
    (maxRecords === null && maxBytes === null) ||
    (discard !== "old" && discard !== "new")
  ) {
    throw new Error(`malformed retention ${JSON.stringify(r)}`);
  }
  const limits: RetentionLimits = { discard };
  if (maxRecords !== null) limits.maxRecords = maxRecords as number;
  if (maxBytes !== null) limits.maxBytes = maxBytes as number;
  return limits;
}

function isPosition(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
