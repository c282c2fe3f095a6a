/**
 * The publishes in flight, in position order, and the position every
 * publish up to which got its `PubAck`: the only position the forwarder may
 * acknowledge in the log.
 *
 * @module
 */

/** The first publish of a window that failed. */
export interface PublishFailure {
  /** Why. */
  error: unknown;
  /** The position of its record. */
  position: number;
}

/**
 * Tracks pipelined publishes: {@linkcode PublishWindow.prototype.add} one per
 * record, in position order, with the promise of its `PubAck`. Calls
 * `onConfirmed(position, count)` whenever the longest run of confirmed
 * publishes from the first one grows, by `count` records, `position` being
 * the last record of that run.
 * The first publish that fails ends the run for good (what follows it is
 * never confirmed by this window, even if acknowledged) and is reported
 * once to `onFailure`.
 */
export class PublishWindow {
  readonly #max: number;
  readonly #onConfirmed: (position: number, count: number) => void;
  /** Publishes the stream dropped as duplicates of messages it held. */
  #duplicates = 0;
  readonly #onFailure: (failure: PublishFailure) => void;
  /** Positions of the publishes from the oldest unconfirmed one. */
  #positions: number[] = [];
  #acked: boolean[] = [];
  /** Index in `#positions` of the first publish not confirmed. */
  #head = 0;
  /** Publishes removed from the front of the arrays. */
  #removed = 0;
  #inFlight = 0;
  #failure: PublishFailure | undefined;
  #waiters: (() => void)[] = [];

  /** A window of at most `max` publishes in flight. */
  constructor(
    max: number,
    onConfirmed: (position: number, count: number) => void,
    onFailure: (failure: PublishFailure) => void,
  ) {
    this.#max = max;
    this.#onConfirmed = onConfirmed;
    this.#onFailure = onFailure;
  }

  /** Publishes waiting for their `PubAck`. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The first failure, if a publish failed. */
  get failure(): PublishFailure | undefined {
    return this.#failure;
  }

  /** Adds the publish of record `position` (after every one added before). */
  add(position: number, pubAck: Promise<{ duplicate?: boolean }>): void {
    const id = this.#removed + this.#positions.length;
    this.#positions.push(position);
    this.#acked.push(false);
    this.#inFlight++;
    pubAck.then(
      (answer) => {
        if (answer.duplicate) this.#duplicates++;
        this.#settle(id, undefined);
      },
      (error) => this.#settle(id, error ?? new Error("publish failed")),
    );
  }

  /** Publishes the stream answered as duplicates (it held the record already). */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Whether `max` publishes are in flight (and none failed). */
  get full(): boolean {
    return this.#inFlight >= this.#max && this.#failure === undefined;
  }

  /** Resolves once fewer than `max` publishes are in flight, or one failed. */
  async room(): Promise<void> {
    while (this.full) await this.#change();
  }

  /** Resolves once no publish is in flight. */
  async settled(): Promise<void> {
    while (this.#inFlight > 0) await this.#change();
  }

  #change(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #settle(id: number, error: unknown): void {
    this.#inFlight--;
    if (error === undefined) {
      this.#acked[id - this.#removed] = true;
      this.#advance();
    } else if (this.#failure === undefined) {
      // Never removed: the head stops at it.
      this.#failure = { error, position: this.#positions[id - this.#removed] };
      this.#onFailure(this.#failure);
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Moves the head past the confirmed publishes, and reports the last. */
  #advance(): void {
    const start = this.#head;
    while (this.#head < this.#positions.length && this.#acked[this.#head]) {
      this.#head++;
    }
    if (this.#head === start) return;
    const confirmed = this.#positions[this.#head - 1];
    const count = this.#head - start;
    if (this.#head >= 1024 && this.#head * 2 >= this.#positions.length) {
      this.#positions = this.#positions.slice(this.#head);
      this.#acked = this.#acked.slice(this.#head);
      this.#removed += this.#head;
      this.#head = 0;
    }
    this.#onConfirmed(confirmed, count);
  }
}
