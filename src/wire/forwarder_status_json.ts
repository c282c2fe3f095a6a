/**
 * A JetStream forwarder's status as plain JSON: what `GET /queues` answers,
 * as `forwarders`, for the forwarders `serve --forward` runs.
 *
 * @module
 */

/** One forwarder in `GET /queues` (`forwarders`). */
export interface ForwarderStatusJson {
  /** The queue forwarded. */
  queue: string;
  /** The NATS server (`nats://host:port`). */
  server: string;
  /** The JetStream stream. */
  stream: string;
  /** The subject published on. */
  subject: string;
  /** The log consumer it reads and acks. */
  consumer: string;
  /** The consumer's last ack, or `null` if none yet. */
  acked: number | null;
  /** Records after it, still to forward. */
  lag: number;
  /** Whether it is connected (and the stream checked). */
  connected: boolean;
  /** The last error's message, until records are confirmed again; or `null`. */
  lastError: string | null;
  /** Publishes awaiting their `PubAck`. */
  inFlight: number;
  /** Records the stream confirmed since the server started. */
  forwarded: number;
  /** Publishes answered as duplicates (records the stream held already). */
  duplicates: number;
  /** False once it stopped (the queue deleted). */
  running: boolean;
}
