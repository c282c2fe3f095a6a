import { LogFailedError } from "../errors.ts";
import { type AdapterFile, writeFully } from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { framedLength, FrameWriter } from "../format/frame_writer.ts";
import { writeAppendRecord, writeControlRecord } from "../format/record.ts";
import { type CommitGroup, newCommitGroup } from "./commit_group.ts";
import { onDiskBytes } from "./disk_usage.ts";
import { DurationHistogram } from "./log_metrics.ts";
import { SegmentCursor } from "./segment_cursor.ts";
import { SegmentFiles } from "./segment_files.ts";
import { unrefTimer } from "./unref_timer.ts";
import type { WriterStart } from "./writer_start.ts";

export type { WriterStart };

const EMPTY = new Uint8Array(0);

/** Where a record was laid out. */
export interface RecordPlacement {
  /** The log file the record starts in (its first frame). */
  fileNumber: number;
  /** The offset of its first frame in that file. */
  offset: number;
  /** The bytes it took in the log: frame headers, record and padding. */
  bytes: number;
}

/**
 * Writes the log: records are laid out as frames synchronously, in call
 * order, into one pending buffer; a commit (started on the next microtask)
 * writes the whole buffer with one `write` and, if any commit waiting asked
 * for it, one `fdatasync`; `writeNow` writes it at once when no commit is
 * pending or running (once per microtask turn). Everything that arrives
 * while an `fdatasync` runs shares the next one (group commit). The log
 * rolls to a new file, fsyncing the old one and the directory, when the
 * current one reaches `segmentBytes`. Where each record lands (which file)
 * is known when it is laid out: the same {@linkcode SegmentCursor} code
 * places the bytes laid out and rolls the files written.
 *
 * With `prewriteBytes`, the file written is kept written with zeros that
 * far ahead of the data (see {@linkcode SegmentFiles}): when a file is
 * created (or the log opened), and then between commits, when the data
 * comes within half of it of the end of the zeros (a write of zeros and an
 * fdatasync of its own, which commits arriving meanwhile wait for).
 *
 * After a failed write or fsync every pending and later commit rejects with
 * {@linkcode LogFailedError}: a failed fsync cannot be retried safely.
 */
export class LogWriter {
  /** The log files; the one written is `#file`. */
  readonly #segments: SegmentFiles;
  readonly #frames: FrameWriter;
  #file: AdapterFile;
  /** Where the next write goes: the end of the bytes written. */
  readonly #written: SegmentCursor;
  /** The end of the bytes laid out (ahead of what is written). */
  readonly #laidOut: SegmentCursor;
  #next: CommitGroup | undefined;
  #running = false;
  // A write was made by `writeNow` since the last microtask checkpoint.
  #wroteNow = false;
  readonly #endWriteNow = (): void => {
    this.#wroteNow = false;
  };
  #failed: LogFailedError | undefined;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes on disk of the files before the one records are laid out in. */
  #diskBefore = 0;
  /** Bytes of that file already on disk whatever is laid out (zeroed on open). */
  #diskFloor: number;
  /** The durations of the fsyncs of the log files. */
  readonly fsyncSeconds: DurationHistogram = new DurationHistogram();

  /** Starts writing where `start` says. */
  constructor(start: WriterStart) {
    this.#file = start.file;
    const fileNumber = Math.max(...start.files.keys());
    const limit = start.fileLimit ?? start.segmentBytes;
    const { offset, segmentBytes } = start;
    this.#written = new SegmentCursor(fileNumber, offset, limit, segmentBytes);
    this.#laidOut = new SegmentCursor(fileNumber, offset, limit, segmentBytes);
    this.#frames = new FrameWriter(start.offset);
    for (const [number, size] of start.files) {
      if (number < fileNumber) this.#diskBefore += onDiskBytes(size);
    }
    // Recovery zeroed the rest of the block the data ends in.
    this.#diskFloor = Math.ceil(offset / BLOCK_SIZE) * BLOCK_SIZE;
    this.#segments = new SegmentFiles(start, this.#diskFloor);
    if (this.#prewriteDue()) {
      try {
        this.#prewrite();
        this.#file.syncDataSync();
      } catch (error) {
        this.#file.close();
        throw error;
      }
    }
  }

  /**
   * The bytes the log files occupy on disk once everything laid out is
   * written: each file's written extent in 4 KiB blocks (see
   * `disk_usage.ts`; files that were there on open count at their length).
   * No system call: it follows the bytes laid out.
   */
  get diskUsedBytes(): number {
    const end = Math.max(this.#diskFloor, this.#laidOut.offset);
    return this.#diskBefore + onDiskBytes(end);
  }

  /**
   * The bytes the log files would occupy on disk (see `diskUsedBytes`) once
   * records of `recordLengths` bytes (before framing) are laid out next.
   */
  diskUsedBytesWith(recordLengths: readonly number[]): number {
    let end = this.#laidOut.offset;
    for (const length of recordLengths) end += framedLength(end, length);
    // File limits are whole blocks: the files a record spills into add up.
    return this.#diskBefore + onDiskBytes(Math.max(this.#diskFloor, end));
  }

  /** The error that failed the log, if a write or fsync failed. */
  get failed(): LogFailedError | undefined {
    return this.#failed;
  }

  /** The log files and their lengths in bytes. */
  get files(): ReadonlyMap<number, number> {
    return this.#segments.lengths;
  }

  /** The file number the next record laid out goes to. */
  get currentFileNumber(): number {
    return this.#laidOut.nextByteFile;
  }

  /**
   * Lays out an AppendRecords record of `payloads` at consecutive positions
   * from `position`; returns the file it starts in and the bytes it took.
   * Nothing is written until {@linkcode LogWriter.commit} or
   * {@linkcode LogWriter.writeNow}.
   */
  addAppend(
    queue: Uint8Array,
    position: number,
    payloads: readonly Uint8Array[],
  ): RecordPlacement {
    const bytes = this.layOutAppend(queue, position, payloads);
    return { fileNumber: this.placedFile, offset: this.placedOffset, bytes };
  }

  /**
   * {@linkcode LogWriter.addAppend} without the placement object (the
   * append path makes no object it does not return): returns the bytes the
   * record took; where it starts is then `placedFile` and `placedOffset`.
   */
  layOutAppend(
    queue: Uint8Array,
    position: number,
    payloads: readonly Uint8Array[],
  ): number {
    const before = this.#frames.length;
    const bytes = writeAppendRecord(this.#frames, queue, position, payloads);
    this.#place(before, bytes);
    return bytes;
  }

  /** The log file the record laid out last starts in (its first frame). */
  placedFile = 0;
  /** The offset of its first frame in that file. */
  placedOffset = 0;

  /** Lays out a Truncate, Touch or DeleteQueue record; see `addAppend`. */
  addControl(
    kind: number,
    queue: Uint8Array,
    position: number,
  ): RecordPlacement {
    const before = this.#frames.length;
    const bytes = writeControlRecord(this.#frames, kind, queue, position);
    this.#place(before, bytes);
    return { fileNumber: this.placedFile, offset: this.placedOffset, bytes };
  }

  /**
   * Moves the laid-out cursor over a record of `bytes` laid out from
   * `before`; sets `placedFile` and `placedOffset`.
   */
  #place(before: number, bytes: number): void {
    const laidOut = this.#laidOut;
    const padding = this.#frames.recordStart - before;
    if (padding > 0) laidOut.advance(padding, this.#laidOutRoll);
    const fileNumber = laidOut.nextByteFile;
    this.placedFile = fileNumber;
    this.placedOffset = fileNumber === laidOut.fileNumber ? laidOut.offset : 0;
    laidOut.advance(bytes - padding, this.#laidOutRoll);
  }

  /** Records are laid out past the end of a file: it is full on disk. */
  readonly #laidOutRoll = (): void => {
    this.#diskBefore += onDiskBytes(this.#laidOut.limit);
    this.#diskFloor = 0;
  };

  /**
   * Runs a commit that fsyncs, `delayMs` from now, unless one is already
   * planned. Used by the `onDelay` policy.
   */
  syncLater(delayMs: number): void {
    if (this.#syncTimer !== undefined || this.#failed) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.commit(true).catch(() => {});
    }, delayMs);
    unrefTimer(this.#syncTimer);
  }

  /**
   * Waits until everything laid out so far is written (and fsynced with
   * `sync`), then removes the log files below `removeFilesBelow` that are not
   * the current one. All the commits asked for before the next write share
   * one promise.
   */
  commit(sync: boolean, removeFilesBelow = 0): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    let group = this.#next;
    if (!group) {
      group = this.#next = newCommitGroup(sync, removeFilesBelow);
      if (!this.#running) {
        this.#running = true;
        queueMicrotask(() => this.#run());
      }
    } else {
      group.sync ||= sync;
      if (removeFilesBelow > group.removeFilesBelow) {
        group.removeFilesBelow = removeFilesBelow;
      }
    }
    return group.promise;
  }

  /**
   * Writes everything laid out so far at once, without fsync, if that joins
   * no commit group: none is pending or running, and no other `writeNow`
   * wrote since the last microtask checkpoint (later appends of the same
   * turn then share one commit, as with `commit`). Returns whether it wrote.
   * Throws {@linkcode LogFailedError} if the write fails. An append awaited
   * one by one is written this way, without the commit's microtask.
   */
  writeNow(): boolean {
    if (this.#running || this.#next || this.#wroteNow || this.#failed) {
      return false;
    }
    this.#wroteNow = true;
    queueMicrotask(this.#endWriteNow);
    try {
      this.#writePending();
    } catch (error) {
      this.#fail(error, undefined);
      throw this.#failed;
    }
    return true;
  }

  /** Closes the current file. Pending commits must have settled. */
  close(): void {
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#file.close();
  }

  async #run(): Promise<void> {
    for (;;) {
      for (let group = this.#next; group; group = this.#next) {
        this.#next = undefined;
        try {
          this.#writePending();
          if (group.sync) {
            const started = performance.now();
            await this.#file.syncData();
            this.fsyncSeconds.observe((performance.now() - started) / 1000);
          }
          if (group.removeFilesBelow > 0) {
            this.#removeFilesBelow(group.removeFilesBelow);
          }
        } catch (error) {
          this.#fail(error, group);
          return;
        }
        group.resolve();
      }
      if (!this.#prewriteDue()) break;
      // Between commits: what arrives meanwhile waits for this fdatasync,
      // so that a failure of it fails them (it may hide a lost data page).
      try {
        this.#prewrite();
        await this.#file.syncData();
      } catch (error) {
        this.#fail(error, undefined);
        return;
      }
    }
    this.#running = false;
  }

  /** The data came within half of `prewriteBytes` of the zeros' end. */
  #prewriteDue(): boolean {
    return this.#failed === undefined &&
      this.#segments.prewriteDue(this.#written);
  }

  /** Writes the zeros due (see `SegmentFiles.prewrite`). */
  #prewrite(): void {
    const w = this.#written;
    if (!this.#segments.prewrite(this.#file, w)) return;
    const to = this.#segments.prewrittenTo;
    if (this.#laidOut.fileNumber === w.fileNumber && to > this.#diskFloor) {
      this.#diskFloor = to;
    }
  }

  #writePending(): void {
    const bytes = this.#frames.take();
    this.#writing = bytes;
    this.#written.advance(bytes.length, this.#roll, this.#writePiece);
    this.#writing = EMPTY;
  }

  /** The bytes `#writePending` writes (no closure per write). */
  #writing: Uint8Array = EMPTY;
  readonly #writePiece = (offset: number, done: number, n: number): void => {
    const bytes = this.#writing;
    const piece = n === bytes.length ? bytes : bytes.subarray(done, done + n);
    writeFully(this.#file, piece, offset);
  };

  /** Makes file `number` the one written: fsyncs the full one, creates it. */
  readonly #roll = (number: number): void => {
    const started = performance.now();
    this.#file.syncDataSync();
    this.fsyncSeconds.observe((performance.now() - started) / 1000);
    this.#file = this.#segments.next(number, this.#file);
    if (this.#laidOut.fileNumber === number) {
      const to = this.#segments.prewrittenTo;
      this.#diskFloor = Math.max(this.#diskFloor, to);
    }
  };

  /** Removes the log files below `below` that are not the one written. */
  #removeFilesBelow(below: number): void {
    const under = Math.min(below, this.#written.fileNumber);
    this.#segments.removeBelow(under, (length) => {
      this.#diskBefore -= onDiskBytes(length);
    });
  }

  /** Fails the writer: rejects `group` (the running one), then the next. */
  #fail(error: unknown, group: CommitGroup | undefined): void {
    this.#failed = error instanceof LogFailedError
      ? error
      : new LogFailedError(error);
    this.#frames.take();
    group?.reject(this.#failed);
    this.#next?.reject(this.#failed);
    this.#next = undefined;
    this.#running = false;
  }
}
