/**
 * How a record of the log travels as a JetStream message: its payload is the
 * message's data, and its headers name where it came from. `Nats-Msg-Id` is
 * `<queue>/<position>`, which JetStream uses to drop a publish it already
 * stored (within the stream's duplicate window); `Mrecordlog-Queue` and
 * `Mrecordlog-Position` carry the same two values apart, for readers.
 *
 * The queue name is percent-encoded (`encodeURIComponent`) in both headers,
 * so that any queue name fits a header line and the id stays unambiguous
 * (`a/b` is `a%2Fb`); a name of letters, digits and `-_.!~*'()` is unchanged.
 *
 * @module
 */

import { headers, type MsgHdrs } from "@nats-io/nats-core";

/** The header that carries the record's queue name (percent-encoded). */
export const QUEUE_HEADER = "Mrecordlog-Queue";

/** The header that carries the record's position in its queue (decimal). */
export const POSITION_HEADER = "Mrecordlog-Position";

/** The queue and position a forwarded message carries. */
export interface ForwardedRecord {
  /** The queue the record was appended to (decoded). */
  queue: string;
  /** Its position in that queue. */
  position: number;
}

/**
 * The `Nats-Msg-Id` of record `position` of `queue`: `<queue>/<position>`,
 * the queue percent-encoded.
 *
 * @example
 * ```ts
 * import { recordMessageId } from "./record_headers.ts";
 * console.log(recordMessageId("events", 42)); // "events/42"
 * ```
 */
export function recordMessageId(queue: string, position: number): string {
  return `${encodeURIComponent(queue)}/${position}`;
}

/** The headers of the message that carries record `position` of `queue` (without its id). */
export function recordHeaders(queue: string, position: number): MsgHdrs {
  const h = headers();
  h.set(QUEUE_HEADER, encodeURIComponent(queue));
  h.set(POSITION_HEADER, `${position}`);
  return h;
}

/**
 * The queue and position a message published by the forwarder carries, or
 * `undefined` if its headers (a message's `headers`, `MsgHdrs`) do not hold
 * them (a message from elsewhere).
 *
 * @example Reading the stream back
 * ```ts ignore
 * for await (const message of await consumer.consume()) {
 *   const origin = forwardedRecordOf(message.headers);
 *   console.log(origin?.queue, origin?.position, message.data);
 *   message.ack();
 * }
 * ```
 */
export function forwardedRecordOf(
  messageHeaders: { get(name: string): string | undefined } | undefined,
): ForwardedRecord | undefined {
  const queue = messageHeaders?.get(QUEUE_HEADER);
  const position = messageHeaders?.get(POSITION_HEADER);
  if (!queue || !position || !/^[0-9]+$/.test(position)) return undefined;
  try {
    return { queue: decodeURIComponent(queue), position: Number(position) };
  } catch {
    return undefined;
  }
}
