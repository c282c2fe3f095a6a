/**
 * The forwarder's acknowledgements in the log: at most one `log.ack` at a
 * time, each for the furthest position confirmed when it starts, so that a
 * thousand `PubAck`s arriving together cost one ack (and one fsync under an
 * fsyncing policy), not a thousand.
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";

/** Coalesced acks of consumer `consumer` of `queue`. */
export class ConsumerAcks {
  readonly #log: MultiRecordLog;
  readonly #queue: string;
  readonly #consumer: string;
  readonly #onFailure: (error: unknown) => void;
  #target = -1;
  #running: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  /** Acks of consumer `consumer` of `queue` in `log`; a failed ack goes to `onFailure`, once. */
  constructor(
    log: MultiRecordLog,
    queue: string,
    consumer: string,
    onFailure: (error: unknown) => void,
  ) {
    this.#log = log;
    this.#queue = queue;
    this.#consumer = consumer;
    this.#onFailure = onFailure;
  }

  /** Acknowledges everything up to `position`, soon. */
  advance(position: number): void {
    if (position <= this.#target || this.#failure) return;
    this.#target = position;
    this.#running ??= this.#run();
  }

  /**
   * Resolves once every position given to `advance` so far is acknowledged
   * (persisted as the log's policy says). Raises the error of a failed ack.
   */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#failure) throw this.#failure.error;
  }

  async #run(): Promise<void> {
    let acked = -1;
    try {
      while (acked < this.#target) {
        const position = this.#target;
        await this.#log.ack(this.#queue, this.#consumer, position);
        acked = position;
      }
    } catch (error) {
      this.#failure = { error };
      this.#onFailure(error);
    } finally {
      this.#running = undefined;
    }
  }
}
