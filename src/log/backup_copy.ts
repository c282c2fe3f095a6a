/**
 * One attempt at copying a log's files for {@linkcode backupLog}: the log
 * files are copied block by block up to the end of their data, the copies
 * are read back as a read-only open reads a log, and they are cut after the
 * last complete record, the rest of each file left a hole of zeros.
 *
 * @module
 */

import {
  type AdapterFile,
  type FileAdapter,
  readFully,
  writeFully,
} from "../storage/file_adapter.ts";
import { BLOCK_SIZE, HEADER_SIZE } from "../format/frame.ts";
import { openSegments, segmentName } from "../storage/segment_file.ts";
import { type ReadBack, readBack } from "./backup_read_back.ts";

/** One log file and its copy. */
export interface SegmentCopy {
  /** The file number. */
  number: number;
  /** The log file, open read-only. */
  source: AdapterFile;
  /** The copy, in the temporary folder. */
  copy: AdapterFile;
  /** The log file's length when the copy started: the copy gets it too. */
  length: number;
  /** Bytes copied: whole blocks from the start, up to the end of the data. */
  copied: number;
}

/** What one attempt copied. */
export interface CopiedLog {
  /** The files copied, oldest first, with where their data ends. */
  files: { number: number; length: number; dataBytes: number }[];
  /** Bytes copied, all files together. */
  bytesCopied: number;
  /** What reading the copies back found. */
  readBack: ReadBack;
}

/**
 * Raised when a damaged frame in the newest file reads differently a second
 * time: it was being written while it was copied. The attempt starts over.
 */
export class TornCopyError extends Error {
  /** Builds the error. */
  constructor(fileNumber: number, offset: number) {
    super(
      `${segmentName(fileNumber)} changed at offset ${offset} while copied`,
    );
    this.name = "TornCopyError";
  }
}

/** The bytes read and written at a time, in whole blocks: 4 MiB. */
const CHUNK_BYTES = 128 * BLOCK_SIZE;

/** Lets other work (a writer's appends, in the same process) run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Copies the log files `numbers` of `dir` into `tmp` (which holds no log
 * file yet) and cuts the copies after the last complete record; each copy
 * is synced and closed. Raises `ENOENT` when a log file vanished before it
 * was opened (removed by a writer's garbage collection), and
 * {@linkcode TornCopyError}: the caller starts over then.
 */
export async function copyLogOnce(
  adapter: FileAdapter,
  dir: string,
  tmp: string,
  numbers: readonly number[],
  onProgress: (bytesDone: number, bytesTotal: number) => void,
): Promise<CopiedLog> {
  const sources = openSegments(adapter, dir, numbers, true);
  const copies: SegmentCopy[] = [];
  try {
    const total = sources.reduce((n, { file }) => n + file.size(), 0);
    let done = 0;
    const progress = (bytes: number): void => {
      done += bytes;
      onProgress(Math.min(done, total), total);
    };
    progress(0);
    for (const { number, file } of sources) {
      const copy = adapter.open(`${tmp}/${segmentName(number)}`, {
        create: true,
      });
      const length = file.size();
      const entry = { number, source: file, copy, length, copied: 0 };
      copies.push(entry);
      const ended = await copyData(entry, progress);
      progress(length - entry.copied);
      if (ended) break;
    }
    onProgress(total, total); // the files after the end of the data are skipped
    const found = readBack(
      copies.map(({ number, copy, copied }) => ({
        number,
        file: copy,
        copied,
      })),
      sources.length - 1,
    );
    checkSteady(copies, found, sources.length - 1);
    return await cutCopies(adapter, tmp, copies, found);
  } finally {
    for (const { file } of sources) file.close();
    for (const { copy } of copies) copy.close();
  }
}

/**
 * Copies the whole blocks of `entry.source` into `entry.copy`, chunk by
 * chunk, yielding to the event loop between chunks, until a block that
 * starts with a zero header (the end of the log's data: it and what
 * follows are not copied). Returns true if the end of the data was found.
 */
async function copyData(
  entry: SegmentCopy,
  progress: (bytes: number) => void,
): Promise<boolean> {
  const whole = Math.floor(entry.length / BLOCK_SIZE) * BLOCK_SIZE;
  const buffer = new Uint8Array(Math.min(CHUNK_BYTES, whole));
  while (entry.copied < whole) {
    const view = buffer.subarray(
      0,
      Math.min(buffer.length, whole - entry.copied),
    );
    const got = readFully(entry.source, view, entry.copied);
    const blocks = Math.floor(got / BLOCK_SIZE);
    let keep = blocks;
    for (let b = 0; b < blocks; b++) {
      if (isZeroHeader(view, b * BLOCK_SIZE)) {
        keep = b;
        break;
      }
    }
    writeFully(entry.copy, view.subarray(0, keep * BLOCK_SIZE), entry.copied);
    entry.copied += keep * BLOCK_SIZE;
    progress(keep * BLOCK_SIZE);
    if (keep < blocks) return true;
    // A file cut short meanwhile ends here; reading goes on with the next.
    if (got < view.length) return false;
    await yieldToEventLoop();
  }
  return false;
}

function isZeroHeader(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + HEADER_SIZE; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Damage kept in the copy must be damage of the log, not a frame of the
 * newest file (`newest`, the one a writer may be writing) caught half
 * written while it was copied: the bytes from its block to the cut are read
 * again and must not have changed. Raises {@linkcode TornCopyError} if they
 * have. (The other files were complete before the copy started.)
 */
function checkSteady(
  copies: readonly SegmentCopy[],
  found: ReadBack,
  newest: number,
): void {
  const suspect = found.suspect;
  if (suspect === undefined || suspect.index !== newest) return;
  const { source, copy, number } = copies[suspect.index];
  const end = found.cut.index === suspect.index
    ? found.cut.offset
    : copies[suspect.index].copied;
  const from = Math.floor(suspect.offset / BLOCK_SIZE) * BLOCK_SIZE;
  const a = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(0, end - from)));
  const b = new Uint8Array(a.length);
  for (let offset = from; offset < end; offset += a.length) {
    const n = Math.min(a.length, end - offset);
    const got = readFully(source, a.subarray(0, n), offset);
    readFully(copy, b.subarray(0, n), offset);
    for (let i = 0; i < n; i++) {
      if (i >= got || a[i] !== b[i]) {
        throw new TornCopyError(number, offset + i);
      }
    }
  }
}

/**
 * Cuts the copies after the last complete record: files after the cut are
 * removed from `tmp`; the file of the cut keeps its bytes before it; each
 * kept copy then gets its log file's length back (zeros, a hole in a
 * sparse file), is synced, and `tmp` is synced.
 */
async function cutCopies(
  adapter: FileAdapter,
  tmp: string,
  copies: readonly SegmentCopy[],
  found: ReadBack,
): Promise<CopiedLog> {
  const files: CopiedLog["files"] = [];
  let bytesCopied = 0;
  for (let i = 0; i < copies.length; i++) {
    const { number, copy, length, copied } = copies[i];
    if (i > found.cut.index) {
      adapter.remove(`${tmp}/${segmentName(number)}`);
      continue;
    }
    const dataBytes = i === found.cut.index ? found.cut.offset : copied;
    copy.truncate(dataBytes);
    copy.truncate(length);
    await copy.syncData();
    files.push({ number, length, dataBytes });
    bytesCopied += dataBytes;
  }
  adapter.syncDir(tmp);
  return { files, bytesCopied, readBack: found };
}
