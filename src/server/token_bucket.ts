/**
 * A token bucket: the per-queue rate limit of the ingest server
 * (`serve --queue-rate --queue-burst`).
 *
 * @module
 */

/**
 * A bucket of `capacity` tokens (bytes), refilled at `ratePerSecond`, full
 * at the start. {@linkcode TokenBucket.take} takes tokens when there are
 * enough, else says how long until there will be. The clock is injected
 * (milliseconds, `performance.now()` by default) so that tests need no
 * waiting.
 */
export class TokenBucket {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** The most tokens the bucket holds: the largest burst. */
  readonly capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  /**
   * A full bucket.
   *
   * @throws {RangeError} If `ratePerSecond` or `capacity` is not positive.
   */
  constructor(
    ratePerSecond: number,
    capacity: number,
    now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(
        `ratePerSecond must be a positive number, got ${ratePerSecond}`,
      );
    }
    if (!(capacity > 0) || !Number.isFinite(capacity)) {
      throw new RangeError(
        `capacity must be a positive number, got ${capacity}`,
      );
    }
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  /** The tokens in the bucket now. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Takes `amount` tokens and returns 0 if the bucket holds them; else takes
   * nothing and returns the milliseconds until it will hold them.
   *
   * @throws {RangeError} If `amount` is negative or over the capacity (it
   * could never be taken).
   */
  take(amount: number): number {
    if (!(amount >= 0) || amount > this.capacity) {
      throw new RangeError(
        `amount must be between 0 and the capacity ${this.capacity}, got ${amount}`,
      );
    }
    this.#refill();
    if (amount <= this.#tokens) {
      this.#tokens -= amount;
      return 0;
    }
    return ((amount - this.#tokens) / this.ratePerSecond) * 1000;
  }

  /** Puts back `amount` tokens taken for work that was not done. */
  refund(amount: number): void {
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens + amount);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + (elapsed / 1000) * this.ratePerSecond,
    );
  }
}
