/**
 * `forwardToJetStream`: drains a queue of the log into a NATS JetStream
 * stream through a log consumer, exactly once within the stream's duplicate
 * window, resuming after a restart of either side.
 *
 * @module
 */

import { ConsumerAlreadyExistsError } from "../errors.ts";
import type { LogRecord } from "../log/mem_queue.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { ConsumerAcks } from "./consumer_acks.ts";
import {
  type ForwardOptions,
  type ResolvedForwardOptions,
  resolveForwardOptions,
} from "./forward_options.ts";
import { forwardSession, type SessionEnd } from "./forward_session.ts";
import type { PublishWindow } from "./publish_window.ts";
import {
  openStreamConnection,
  type StreamConnection,
} from "./stream_connection.ts";

/** What {@linkcode Forwarder.status} reports. */
export interface ForwarderStatus {
  /** The last position the log consumer acknowledged (`undefined`: none yet). */
  acked: number | undefined;
  /** Records held in the queue after that position: still to forward. */
  lag: number;
  /** Whether a connection to NATS is open and its stream checked. */
  connected: boolean;
  /**
   * The error of the last failed attempt (connecting, checking the stream,
   * a publish the stream refused or that timed out), until records are
   * confirmed again; or the error that stopped the forwarder.
   */
  lastError: Error | undefined;
  /** Publishes waiting for their `PubAck`. */
  inFlight: number;
  /** Records confirmed by the stream since the forwarder started. */
  forwarded: number;
  /**
   * Publishes the stream answered as duplicates since the forwarder
   * started: records it held already (published again after a failure or
   * a restart, within its duplicate window), not stored again.
   */
  duplicates: number;
  /** False once the forwarder stopped: `stop()`, the queue deleted, the log closed or failed. */
  running: boolean;
}

/** A running forwarder: {@linkcode forwardToJetStream}'s result. */
export interface Forwarder {
  /**
   * Stops reading the queue, waits for the publishes in flight (each gets
   * its `PubAck` or fails within the publish timeout), acknowledges in the
   * log what the stream confirmed, and nothing else, then closes the
   * connection. Resolves once done; call it before closing the log.
   */
  stop(): Promise<void>;
  /** Where the forwarder is, now. */
  status(): ForwarderStatus;
  /**
   * Resolves once the forwarder stopped: after `stop()`, or by itself when
   * the queue is deleted, the log closes, or an ack in the log fails (see
   * `status().lastError`). Never rejects.
   */
  readonly done: Promise<void>;
}

/**
 * Forwards the records of `queue` of `log` to JetStream stream
 * `options.stream` on `options.subject`, following the queue. It reads
 * through log consumer `options.consumer` (default `"jetstream"`, created if
 * missing) and acknowledges a position only once every record up to it got
 * its `PubAck`, so the consumer rule truncates forwarded records. Each is
 * published with `Nats-Msg-Id: <queue>/<position>`, so that a record
 * published again after a failure or a restart, within the stream's
 * duplicate window, is dropped by the server. Connection failures and
 * refusals are retried with a doubling delay (`status().lastError` says
 * why). Raises `TypeError`/`RangeError` on bad options and
 * `MissingQueueError` if the queue does not exist.
 *
 * @example
 * ```ts ignore
 * const log = await MultiRecordLog.open("./data");
 * const forwarder = forwardToJetStream(log, "events", {
 *   servers: "nats://127.0.0.1:4222",
 *   stream: "EVENTS",
 *   subject: "events.in",
 * });
 * // ... appends to "events" reach the stream as they come.
 * console.log(forwarder.status()); // { acked, lag, connected, lastError, ... }
 * await forwarder.stop();
 * await log.close();
 * ```
 */
export function forwardToJetStream(
  log: MultiRecordLog,
  queue: string,
  options: ForwardOptions,
): Forwarder {
  const resolved = resolveForwardOptions(options);
  log.listConsumers(queue); // MissingQueueError, LogClosedError.
  const run = new ForwardRun(log, queue, resolved);
  const done = run.run();
  return {
    stop: async (): Promise<void> => {
      run.stop();
      await done;
    },
    status: (): ForwarderStatus => run.status(),
    done,
  };
}

/** The state of one forwarder and its retry loop. */
class ForwardRun {
  readonly #log: MultiRecordLog;
  readonly #queue: string;
  readonly #options: ResolvedForwardOptions;
  readonly #stop = new AbortController();
  readonly #acks: ConsumerAcks;
  #connected = false;
  #lastError: Error | undefined;
  #window: PublishWindow | undefined;
  #forwarded = 0;
  #duplicates = 0;
  #running = true;
  #last = { acked: undefined as number | undefined, lag: 0 };

  constructor(
    log: MultiRecordLog,
    queue: string,
    options: ResolvedForwardOptions,
  ) {
    this.#log = log;
    this.#queue = queue;
    this.#options = options;
    this.#acks = new ConsumerAcks(log, queue, options.consumer, () => {
      this.#stop.abort();
    });
  }

  /** Asks the run to stop. */
  stop(): void {
    this.#stop.abort();
  }

  status(): ForwarderStatus {
    try {
      const consumer = this.#log.listConsumers(this.#queue)
        .find((c) => c.name === this.#options.consumer);
      if (consumer) this.#last = { acked: consumer.acked, lag: consumer.lag };
    } catch {
      // The log closed or the queue is gone: the last figures known.
    }
    return {
      ...this.#last,
      connected: this.#connected,
      lastError: this.#lastError,
      inFlight: this.#window?.inFlight ?? 0,
      forwarded: this.#forwarded,
      duplicates: this.#duplicates + (this.#window?.duplicates ?? 0),
      running: this.#running,
    };
  }

  /** Runs sessions until stopped; never rejects. */
  async run(): Promise<void> {
    try {
      await this.#ensureConsumer();
      let delay = this.#options.minRetryMs;
      while (!this.#stop.signal.aborted) {
        const before = this.#forwarded;
        const end = await this.#attempt();
        if (end === "ended") break;
        if (this.#forwarded > before) delay = this.#options.minRetryMs;
        if (end === "stopped" || this.#stop.signal.aborted) break;
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#options.maxRetryMs);
      }
      await this.#acks.flush();
    } catch (error) {
      this.#lastError = asError(error);
    } finally {
      this.status(); // Keeps the last figures.
      this.#running = false;
    }
  }

  async #ensureConsumer(): Promise<void> {
    const name = this.#options.consumer;
    if (this.#log.listConsumers(this.#queue).some((c) => c.name === name)) {
      return;
    }
    try {
      await this.#log.createConsumer(this.#queue, name);
    } catch (error) {
      if (!(error instanceof ConsumerAlreadyExistsError)) throw error;
    }
  }

  /**
   * One session: connect, forward, close. Resolves with how it ended, or
   * `undefined` if it failed with a NATS error (kept in `lastError`, to try
   * again); raises the errors of the log (which end the forwarder).
   */
  async #attempt(): Promise<SessionEnd | undefined> {
    await this.#acks.flush(); // The consumer's position is where to resume.
    const records = this.#log.readable(this.#queue, {
      consumer: this.#options.consumer,
      follow: true,
      highWaterMark: Math.min(this.#options.maxInFlight, 256),
    }).getReader();
    try {
      const connection = await openStreamConnection(this.#options);
      this.#connected = true;
      try {
        return await this.#session(records, connection);
      } finally {
        this.#connected = false;
        await connection.nc.close().catch(() => {});
      }
    } catch (error) {
      this.#lastError = asError(error);
      return undefined;
    } finally {
      records.cancel().catch(() => {});
      await this.#acks.flush();
    }
  }

  async #session(
    records: ReadableStreamDefaultReader<LogRecord>,
    connection: StreamConnection,
  ): Promise<SessionEnd> {
    const end = await forwardSession({
      queue: this.#queue,
      options: this.#options,
      records,
      connection,
      signal: this.#stop.signal,
      onWindow: (window) => {
        this.#duplicates += this.#window?.duplicates ?? 0;
        this.#window = window;
      },
      onConfirmed: (position, count) => {
        this.#forwarded += count;
        this.#lastError = undefined;
        this.#acks.advance(position);
      },
    });
    if (end === "ended") {
      this.#lastError = new Error(
        this.#log.closed
          ? "the log closed"
          : `queue ${JSON.stringify(this.#queue)} was deleted`,
      );
    }
    return end;
  }

  /** Waits `ms`, or less if the forwarder stops meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      const wake = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal.addEventListener("abort", wake);
    });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
