/**
 * Forwarding a queue of the log to [NATS JetStream](https://docs.nats.io/nats-concepts/jetstream),
 * a distributed log that many machines read: `@x/mrecordlog/jetstream`. The
 * records are appended locally (fast, durable, working while the network is
 * down) and {@linkcode forwardToJetStream} drains the queue into a stream,
 * following it, through a log consumer it acknowledges only once the stream
 * confirmed the records, so the queue is truncated behind it.
 *
 * The guarantee: no record is lost (a record is acknowledged in the log only
 * after its `PubAck`, and every record after the last ack is published again
 * after a failure or a restart); and no record is stored twice in the stream
 * as long as a record published again reaches the stream within its
 * duplicate window (`duplicate_window`, 2 minutes by default) of its first
 * publish, since each carries `Nats-Msg-Id: <queue>/<position>`. Beyond the
 * window, the records that were in flight (at most `maxInFlight`) may be
 * stored twice. See the README's "Scaling out" section.
 *
 * This entry point depends on the official NATS clients
 * (`@nats-io/jetstream`, `@nats-io/nats-core`, `@nats-io/transport-node`);
 * the library itself (`@x/mrecordlog`) has no dependency.
 *
 * ```ts ignore
 * import { MultiRecordLog } from "@x/mrecordlog";
 * import { forwardToJetStream } from "@x/mrecordlog/jetstream";
 *
 * const log = await MultiRecordLog.open("./data");
 * const forwarder = forwardToJetStream(log, "events", {
 *   servers: "nats://127.0.0.1:4222",
 *   stream: "EVENTS",
 *   subject: "events.in",
 * });
 * await log.appendRecord("events", undefined, new TextEncoder().encode("hi"));
 * // ... later
 * console.log(forwarder.status()); // { acked, lag, connected, lastError, ... }
 * await forwarder.stop();
 * await log.close();
 * ```
 *
 * @module
 */

export {
  type Forwarder,
  type ForwarderStatus,
  forwardToJetStream,
} from "./src/jetstream/forward_to_jetstream.ts";
export type { ForwardOptions } from "./src/jetstream/forward_options.ts";
export {
  type ForwardedRecord,
  forwardedRecordOf,
  POSITION_HEADER,
  QUEUE_HEADER,
  recordMessageId,
} from "./src/jetstream/record_headers.ts";
