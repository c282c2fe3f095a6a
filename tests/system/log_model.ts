/**
 * A plain in-memory model of a log's queues for the model-based property
 * test: FORMAT.md's rules for queues and records, and the library's rules
 * for consumers (acks only forward; truncation to the lowest ack once every
 * consumer acknowledged something) and retention limits (discard old:
 * truncate the oldest records; discard new: refuse). Not a test file itself.
 *
 * @module
 */

import { crc32 } from "node:zlib";

/** A consumer of the model. */
export interface ModelConsumer {
  from: number;
  acked: number | undefined;
}

/** Retention limits of the model. */
export interface ModelRetention {
  maxRecords?: number;
  maxBytes?: number;
  discard: "old" | "new";
}

/** One queue of the model. */
export interface ModelQueue {
  /** Its next position. */
  next: number;
  /** Its records: position and payload key (see {@linkcode key}). */
  records: [number, string][];
  /** Payload bytes held. */
  bytes: number;
  consumers: Map<string, ModelConsumer>;
  retention: ModelRetention | undefined;
}

/** The model: queues by name. */
export type Model = Map<string, ModelQueue>;

/** What an operation gives. */
export type Outcome =
  | { error: string }
  | { lastPosition: number | undefined }
  | { evicted: number }
  | { noop: true }
  | { ok: true };

/** A payload's identity for comparisons: its length and CRC-32. */
export function key(payload: Uint8Array): string {
  return `${payload.length}:${crc32(payload)}`;
}

function sizeOf(k: string): number {
  return Number(k.split(":")[0]);
}

/** A new empty queue. */
export function emptyQueue(): ModelQueue {
  return {
    next: 0,
    records: [],
    bytes: 0,
    consumers: new Map(),
    retention: undefined,
  };
}

/** A deep copy of `model`. */
export function cloneModel(model: Model): Model {
  const copy: Model = new Map();
  for (const [name, q] of model) {
    copy.set(name, {
      ...q,
      records: q.records.slice(),
      consumers: new Map([...q.consumers].map(([n, c]) => [n, { ...c }])),
      retention: q.retention && { ...q.retention },
    });
  }
  return copy;
}

/** Drops the records at or below `p`; returns how many. */
export function truncateModel(queue: ModelQueue, p: number): number {
  const kept = queue.records.filter(([at]) => at > p);
  const evicted = queue.records.length - kept.length;
  for (const [at, k] of queue.records) {
    if (at <= p) queue.bytes -= sizeOf(k);
  }
  queue.records = kept;
  if (p + 1 >= queue.next) queue.next = p + 1;
  return evicted;
}

/** The lag of a consumer: records at or after the position it reads next. */
export function lagOf(queue: ModelQueue, c: ModelConsumer): number {
  const start = c.acked === undefined ? c.from : c.acked + 1;
  return queue.records.filter(([at]) => at >= start).length;
}

/**
 * How many of the oldest records an append of `count` records of `bytes`
 * bytes drops (discard old), or an error name (discard new, or the append
 * alone over a limit).
 */
export function retentionDrop(
  queue: ModelQueue,
  count: number,
  bytes: number,
): number | string {
  const r = queue.retention;
  if (r === undefined) return 0;
  const maxRecords = r.maxRecords ?? Infinity;
  const maxBytes = r.maxBytes ?? Infinity;
  let records = queue.records.length + count;
  let held = queue.bytes + bytes;
  if (records <= maxRecords && held <= maxBytes) return 0;
  if (r.discard === "new" || count > maxRecords || bytes > maxBytes) {
    return "RetentionLimitError";
  }
  let drop = 0;
  while (records > maxRecords || held > maxBytes) {
    held -= sizeOf(queue.records[drop][1]);
    records--;
    drop++;
  }
  return drop;
}

/**
 * Truncates `queue` as its state says: to the lowest ack once every
 * consumer acknowledged something, and to its limits if it discards old
 * records.
 */
export function followModel(queue: ModelQueue): void {
  let floor = -1;
  if (queue.consumers.size > 0) {
    const acks = [...queue.consumers.values()].map((c) => c.acked);
    if (acks.every((a) => a !== undefined)) {
      floor = Math.min(...acks as number[]);
    }
  }
  if (queue.retention?.discard === "old") {
    const drop = retentionDrop(queue, 0, 0) as number;
    if (drop > 0) floor = Math.max(floor, queue.records[drop - 1][0]);
  }
  const first = queue.records[0]?.[0];
  if (first !== undefined && floor >= first) truncateModel(queue, floor);
}

/** Appends `payloads` at `position` (or the next one) by the library's rules. */
export function appendModel(
  queue: ModelQueue,
  payloads: Uint8Array[],
  position: number | undefined,
): Outcome {
  if (position !== undefined && position !== queue.next) {
    if (position + 1 === queue.next) return { lastPosition: undefined };
    if (position < queue.next) return { error: "PositionInPastError" };
  }
  if (payloads.length === 0) return { lastPosition: undefined };
  const bytes = payloads.reduce((n, p) => n + p.length, 0);
  const drop = retentionDrop(queue, payloads.length, bytes);
  if (typeof drop === "string") return { error: drop };
  const cut = drop > 0 ? queue.records[drop - 1][0] : undefined;
  const start = position ?? queue.next;
  payloads.forEach((p, i) => queue.records.push([start + i, key(p)]));
  queue.bytes += bytes;
  queue.next = start + payloads.length;
  if (cut !== undefined) truncateModel(queue, cut);
  return { lastPosition: queue.next - 1 };
}

/**
 * A canonical text of a state: per queue, in name order, its next position,
 * records, consumers (name, ack, lag) and retention limits.
 */
export function canonical(model: Model): string {
  return JSON.stringify(
    [...model.keys()].sort().map((name) => {
      const q = model.get(name)!;
      const consumers = [...q.consumers.keys()].sort().map((c) => {
        const consumer = q.consumers.get(c)!;
        return [c, consumer.acked ?? null, lagOf(q, consumer)];
      });
      return [name, q.next, q.records, consumers, retentionKey(q.retention)];
    }),
  );
}

/** Retention limits as a canonical array. */
export function retentionKey(
  r: ModelRetention | undefined,
): [number | null, number | null, string] | null {
  return r === undefined
    ? null
    : [r.maxRecords ?? null, r.maxBytes ?? null, r.discard];
}
