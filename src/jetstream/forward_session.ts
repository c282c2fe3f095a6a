/**
 * One session of the forwarder: the records after the consumer's last ack,
 * read from the log as they come and published on one connection, many in
 * flight, until the connection ends, a publish fails, the forwarder stops,
 * or the queue ends (deleted, or the log closed).
 *
 * @module
 */

import type { LogRecord } from "../log/mem_queue.ts";
import type { ResolvedForwardOptions } from "./forward_options.ts";
import { type PublishFailure, PublishWindow } from "./publish_window.ts";
import { recordBatches } from "./record_batches.ts";
import { recordHeaders, recordMessageId } from "./record_headers.ts";
import type { StreamConnection } from "./stream_connection.ts";

/** What a session works with. */
export interface SessionParts {
  /** The queue forwarded (for the message ids and headers). */
  queue: string;
  /** The forwarder's options. */
  options: ResolvedForwardOptions;
  /** The records after the consumer's last ack, following the queue. */
  records: ReadableStreamDefaultReader<LogRecord>;
  /** The open connection. */
  connection: StreamConnection;
  /** Aborted when the forwarder stops (or the log's acks failed). */
  signal: AbortSignal;
  /** The session's window, once made (for the count of publishes in flight). */
  onWindow(window: PublishWindow): void;
  /** Every publish up to `position` got its `PubAck`: `count` more records. */
  onConfirmed(position: number, count: number): void;
}

/** How a session ended, when it did not fail. */
export type SessionEnd =
  /** The forwarder stopped. */
  | "stopped"
  /** The queue ended: deleted, or the log closed. */
  | "ended";

/**
 * Publishes the records of `parts.records` until the session ends; waits
 * for the publishes in flight to settle (each gets its `PubAck` or fails,
 * within the publish timeout) before it returns. Raises the error that
 * ended it: the first publish that failed, or the connection's end.
 */
export async function forwardSession(parts: SessionParts): Promise<SessionEnd> {
  const { queue, options, records, connection, signal } = parts;
  let closed: Error | undefined;
  const stopReading = (): void => {
    records.cancel().catch(() => {});
  };
  const window = new PublishWindow(
    options.maxInFlight,
    parts.onConfirmed,
    stopReading,
  );
  parts.onWindow(window);
  connection.nc.closed().then((error) => {
    closed = error ?? new Error("connection to NATS closed");
    stopReading();
  });
  signal.addEventListener("abort", stopReading);
  if (signal.aborted) stopReading();
  const nextBatch = recordBatches(records);
  const stopped = (): boolean =>
    window.failure !== undefined || closed !== undefined || signal.aborted;
  let ended = false;
  try {
    for (;;) {
      if (window.full) await window.room();
      if (stopped()) break;
      const batch = await nextBatch(options.maxInFlight - window.inFlight);
      if (stopped()) break;
      if (batch === undefined) {
        ended = true;
        break;
      }
      // One synchronous run: the client writes the batch at once.
      for (const { position, payload } of batch) {
        window.add(
          position,
          connection.js.publish(options.subject, payload, {
            msgID: recordMessageId(queue, position),
            headers: recordHeaders(queue, position),
            expect: { streamName: options.stream },
            timeout: options.timeoutMs,
          }),
        );
      }
    }
  } finally {
    signal.removeEventListener("abort", stopReading);
  }
  await window.settled();
  if (window.failure) throw publishError(window.failure, queue, options);
  if (closed && !signal.aborted) throw closed;
  return ended ? "ended" : "stopped";
}

/** The error of a failed publish, saying which record and which stream. */
function publishError(
  failure: PublishFailure,
  queue: string,
  options: ResolvedForwardOptions,
): Error {
  const cause = failure.error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(
    `stream ${
      JSON.stringify(options.stream)
    } did not take record ${failure.position} of queue ${
      JSON.stringify(queue)
    } on subject ${JSON.stringify(options.subject)}: ${reason}`,
    { cause },
  );
}
