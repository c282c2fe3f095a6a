import type { AdapterFile, FileAdapter } from "../storage/file_adapter.ts";
import {
  createSegment,
  segmentName,
  writeZeros,
} from "../storage/segment_file.ts";
import { onDiskBytes } from "./disk_usage.ts";
import type { SegmentCursor } from "./segment_cursor.ts";
import type { WriterStart } from "./writer_start.ts";

/**
 * The log files a `LogWriter` writes, by number: creating the next one,
 * removing old ones, and keeping zeros written ahead of the data in the one
 * written (`prewriteBytes`, see `prewriteBytes` in `persist_policy.ts`), so
 * that an fdatasync finds its blocks allocated. Where the data written ends
 * is the writer's (a {@linkcode SegmentCursor}); the writer keeps the open
 * file.
 */
export class SegmentFiles {
  /** Every log file and its length, oldest first; the last one is written to. */
  readonly lengths: Map<number, number>;
  readonly #adapter: FileAdapter;
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #prewriteBytes: number;
  #prewrittenTo: number;

  /**
   * The log files of `start` (its `files` map, kept up to date), those of
   * the file written zeroed up to `prewrittenTo`.
   */
  constructor(start: WriterStart, prewrittenTo: number) {
    this.#adapter = start.adapter;
    this.#dir = start.dir;
    this.lengths = start.files;
    this.#segmentBytes = start.segmentBytes;
    this.#prewriteBytes = start.prewriteBytes ?? 0;
    this.#prewrittenTo = prewrittenTo;
  }

  /** Where the zeros written ahead end in the file written. */
  get prewrittenTo(): number {
    return this.#prewrittenTo;
  }

  /**
   * Creates log file `number` (see `createSegment`, its first
   * `prewriteBytes` zeroed) and closes `full`, the file written until now;
   * returns the new one, from now on the one written.
   */
  next(number: number, full: AdapterFile): AdapterFile {
    const file = createSegment(
      this.#adapter,
      this.#dir,
      number,
      this.#segmentBytes,
      this.#prewriteBytes,
    );
    full.close();
    this.lengths.set(number, this.#segmentBytes);
    this.#prewrittenTo = Math.min(this.#prewriteBytes, this.#segmentBytes);
    return file;
  }

  /**
   * Whether zeros are due in the file written: the data written (up to
   * `written`) came within half of `prewriteBytes` of where the zeros end,
   * and the file goes on past them.
   */
  prewriteDue(written: SegmentCursor): boolean {
    return this.#prewriteBytes > 0 && this.#prewrittenTo < written.limit &&
      this.#prewrittenTo - written.offset < this.#prewriteBytes / 2;
  }

  /**
   * Writes zeros to `file`, the file written, from the end of the data
   * written (`written`, rounded up to a 4 KiB block: never over data), or
   * from where the zeros end if further, to `prewriteBytes` past the data,
   * or the file's end. Returns whether it wrote any.
   */
  prewrite(file: AdapterFile, written: SegmentCursor): boolean {
    const from = Math.max(this.#prewrittenTo, onDiskBytes(written.offset));
    const to = Math.min(
      written.limit,
      onDiskBytes(written.offset) + this.#prewriteBytes,
    );
    if (from >= to) return false;
    writeZeros(file, from, to);
    this.#prewrittenTo = to;
    return true;
  }

  /**
   * Removes the log files below `below`, oldest first: from the disk and
   * from `lengths`, calling `removed` with each one's length once it is
   * gone; then, if any was removed, syncs the directory.
   */
  removeBelow(below: number, removed: (length: number) => void): void {
    const files = this.lengths;
    const doomed = [...files.keys()].filter((n) => n < below)
      .sort((a, b) => a - b);
    if (doomed.length === 0) return;
    for (const number of doomed) {
      this.#adapter.remove(`${this.#dir}/${segmentName(number)}`);
      removed(files.get(number)!);
      files.delete(number);
    }
    this.#adapter.syncDir(this.#dir);
  }
}
