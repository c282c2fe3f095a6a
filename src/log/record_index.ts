/**
 * The index of a queue's records in memory: per record, its position (none
 * kept while positions follow each other), a 32-bit offset, and (for a queue
 * whose records may leave memory) the offset in its log file of the record
 * that holds it.
 *
 * @module
 */

/** Bytes of index kept per record: position (8) and payload offset (4). */
export const RECORD_INDEX_BYTES = 12;
/** Bytes per record with the file offsets too (the `hotBytes` open option). */
export const COLD_RECORD_INDEX_BYTES = 16;

/** Records per index page (a power of two); a page is dropped whole. */
const PAGE_RECORDS = 4096;
const PAGE_SHIFT = 12;
const FIRST_PAGE_CAPACITY = 64;

/**
 * Index entries of up to `PAGE_RECORDS` consecutive records. Positions that
 * follow each other (`first`, `first + 1`, …: every queue appended to
 * without explicit positions) take no memory: `positions` is made only when a
 * record's position is not the one after the previous record's.
 */
interface IndexPage {
  first: number;
  positions: Float64Array | undefined;
  offsets: Uint32Array;
  frames: Uint32Array | undefined;
}

/**
 * The entries of records numbered by an absolute index that only grows, in
 * pages of `PAGE_RECORDS` records dropped whole once every record in them is
 * dropped (only the last page grows, by doubling up to a full page).
 */
export class RecordIndex {
  #pages: IndexPage[] = [];
  #base = 0; // absolute index of the first entry of #pages[0]
  readonly #withFrames: boolean;

  /** An empty index; with `withFrames`, it keeps file offsets too. */
  constructor(withFrames: boolean) {
    this.#withFrames = withFrames;
  }

  /**
   * Bytes of index per record at most (the memory a queue counts for it);
   * consecutive positions take less.
   */
  get bytesPerRecord(): number {
    return this.#withFrames ? COLD_RECORD_INDEX_BYTES : RECORD_INDEX_BYTES;
  }

  /** Sets the entry of record `absolute`, the one after the last set. */
  add(absolute: number, position: number, offset: number, frame: number): void {
    const rel = absolute - this.#base;
    const slot = rel & (PAGE_RECORDS - 1);
    let page = this.#pages[rel >>> PAGE_SHIFT];
    if (page === undefined || slot === page.offsets.length) {
      page = this.#grow(page, position - slot);
    }
    if (page.positions !== undefined) {
      page.positions[slot] = position;
    } else if (position !== page.first + slot) {
      page.positions = spelledOut(page, slot);
      page.positions[slot] = position;
    }
    page.offsets[slot] = offset;
    if (page.frames) page.frames[slot] = frame;
  }

  /** The position of record `absolute`. */
  position(absolute: number): number {
    const rel = absolute - this.#base;
    const page = this.#pages[rel >>> PAGE_SHIFT];
    const slot = rel & (PAGE_RECORDS - 1);
    return page.positions === undefined
      ? page.first + slot
      : page.positions[slot];
  }

  /** The offset of record `absolute`. */
  offset(absolute: number): number {
    const rel = absolute - this.#base;
    return this.#pages[rel >>> PAGE_SHIFT].offsets[rel & (PAGE_RECORDS - 1)];
  }

  /**
   * The first of the records `lo` to `hi - 1` (absolute) at or above
   * `position`, or `hi`: positions only grow with the records.
   */
  firstAtOrAbove(lo: number, hi: number, position: number): number {
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.position(mid) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Replaces the offset of record `absolute`. */
  setOffset(absolute: number, offset: number): void {
    const rel = absolute - this.#base;
    this.#pages[rel >>> PAGE_SHIFT].offsets[rel & (PAGE_RECORDS - 1)] = offset;
  }

  /** The file offset of record `absolute` (0 without `withFrames`). */
  frame(absolute: number): number {
    const rel = absolute - this.#base;
    const frames = this.#pages[rel >>> PAGE_SHIFT].frames;
    return frames ? frames[rel & (PAGE_RECORDS - 1)] : 0;
  }

  /** Drops the pages whose records are all before `head`. */
  dropBefore(head: number): void {
    const pages = Math.floor((head - this.#base) / PAGE_RECORDS);
    if (pages > 0) {
      this.#pages.splice(0, pages);
      this.#base += pages * PAGE_RECORDS;
    }
  }

  /** Drops every entry; the next one added is record `head`. */
  clear(head: number): void {
    this.#pages.length = 0;
    this.#base = head;
  }

  /** Bytes allocated. */
  allocatedBytes(): number {
    let total = 0;
    for (const page of this.#pages) {
      total += page.offsets.byteLength + (page.positions?.byteLength ?? 0) +
        (page.frames?.byteLength ?? 0);
    }
    return total;
  }

  /**
   * Makes room for the next entry: grows the last page, or adds one whose
   * first record would be at `first` if its positions follow each other.
   */
  #grow(last: IndexPage | undefined, first: number): IndexPage {
    const full = last === undefined || last.offsets.length === PAGE_RECORDS;
    const capacity = full ? FIRST_PAGE_CAPACITY : last.offsets.length * 2;
    const page: IndexPage = {
      first: full ? first : last.first,
      positions: undefined,
      offsets: new Uint32Array(capacity),
      frames: this.#withFrames ? new Uint32Array(capacity) : undefined,
    };
    if (full) {
      this.#pages.push(page);
    } else {
      if (last.positions) {
        page.positions = new Float64Array(capacity);
        page.positions.set(last.positions);
      }
      page.offsets.set(last.offsets);
      if (last.frames) page.frames!.set(last.frames);
      this.#pages[this.#pages.length - 1] = page;
    }
    return page;
  }
}

/** The positions of `page`'s first `count` records, consecutive so far. */
function spelledOut(page: IndexPage, count: number): Float64Array {
  const positions = new Float64Array(page.offsets.length);
  for (let i = 0; i < count; i++) positions[i] = page.first + i;
  return positions;
}
