/**
 * A place in the log's files: a file number, an offset in that file, and
 * where the file ends. {@linkcode SegmentCursor.advance} moves it over bytes
 * the way the log places them: the current file is filled to its end, then
 * the log rolls to the next file number, of `segmentBytes`. A file is never
 * left with room: the roll happens only when a byte does not fit.
 *
 * The writer keeps two cursors moved by this one method: one where records
 * are laid out (which predicts the file each record lands in) and one where
 * they are written (which makes the roll happen), so the two cannot
 * disagree.
 */
export class SegmentCursor {
  /** The current file. */
  fileNumber: number;
  /** The offset in it. */
  offset: number;
  /** Where the current file ends. */
  limit: number;
  readonly #segmentBytes: number;

  /** A cursor at `offset` in file `fileNumber`, which ends at `limit`. */
  constructor(
    fileNumber: number,
    offset: number,
    limit: number,
    segmentBytes: number,
  ) {
    this.fileNumber = fileNumber;
    this.offset = offset;
    this.limit = limit;
    this.#segmentBytes = segmentBytes;
  }

  /** The file the next byte goes to: the current one, or the next if it is full. */
  get nextByteFile(): number {
    return this.offset < this.limit ? this.fileNumber : this.fileNumber + 1;
  }

  /**
   * Moves over `bytes` bytes, in pieces that each fit in one file. Before a
   * piece that starts a new file, calls `roll(number)` (if it throws, the
   * cursor stays where it was); for each piece, calls `piece(offset, done, n)`
   * with where in its file the piece goes, the bytes moved over before it and
   * its length, then moves past it.
   */
  advance(
    bytes: number,
    roll?: (fileNumber: number) => void,
    piece?: (offset: number, done: number, n: number) => void,
  ): void {
    // The common case, once per record laid out: it fits in the current file.
    if (this.offset < this.limit && this.offset + bytes <= this.limit) {
      if (bytes > 0) piece?.(this.offset, 0, bytes);
      this.offset += bytes;
      return;
    }
    let done = 0;
    while (done < bytes) {
      if (this.offset >= this.limit) {
        roll?.(this.fileNumber + 1);
        this.fileNumber++;
        this.offset = 0;
        this.limit = this.#segmentBytes;
      }
      const n = Math.min(bytes - done, this.limit - this.offset);
      piece?.(this.offset, done, n);
      this.offset += n;
      done += n;
    }
  }
}
