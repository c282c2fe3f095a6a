/**
 * The bytes of one file of the memory file adapter.
 *
 * @module
 */

/**
 * File contents: a growable buffer plus a logical length. Bytes past the
 * allocated buffer (but within the length) are zeros, so extending a file
 * with `truncate` allocates nothing. Allocated bytes past the length are
 * always zero.
 */
export class Store {
  /** The allocated bytes (may be shorter or longer than the file). */
  data: Uint8Array = new Uint8Array(0);
  /** The file length. */
  length = 0;

  /** A store holding a copy of `bytes`. */
  static of(bytes: Uint8Array): Store {
    const store = new Store();
    store.data = bytes.slice();
    store.length = bytes.length;
    return store;
  }

  /** Reads into `buffer` from `offset`; returns the count, 0 at the end. */
  read(buffer: Uint8Array, offset: number): number {
    if (offset >= this.length) return 0;
    const count = Math.min(buffer.length, this.length - offset);
    const allocated = Math.max(
      0,
      Math.min(offset + count, this.data.length) - offset,
    );
    if (allocated > 0) {
      buffer.set(this.data.subarray(offset, offset + allocated));
    }
    buffer.fill(0, allocated, count);
    return count;
  }

  /** Writes `bytes` at `offset`, growing the file if needed. */
  write(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    if (end > this.data.length) {
      const doubled = Math.max(end, this.data.length * 2, 4096);
      // Within the logical length, grow no further than it.
      const capacity = end <= this.length
        ? Math.max(end, Math.min(doubled, this.length))
        : doubled;
      const data = new Uint8Array(capacity);
      data.set(this.data.subarray(0, Math.min(this.length, this.data.length)));
      this.data = data;
    }
    this.data.set(bytes, offset);
    if (end > this.length) this.length = end;
  }

  /** Sets the length, extending with zeros or cutting. */
  truncate(length: number): void {
    if (length < this.length) {
      if (length === 0) this.data = new Uint8Array(0);
      else this.data.fill(0, length, Math.min(this.length, this.data.length));
    }
    this.length = length;
  }

  /** An independent copy. */
  clone(): Store {
    const store = new Store();
    store.data = this.data.slice(0, Math.min(this.length, this.data.length));
    store.length = this.length;
    return store;
  }

  /** The contents as one array of `length` bytes. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.length);
    this.read(bytes, 0);
    return bytes;
  }
}
