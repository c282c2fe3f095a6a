import {
  type AdapterFile,
  type FileAdapter,
  writeFully,
} from "./file_adapter.ts";
import type { LogFileToRead } from "./frame_reader.ts";

/** The prefix of log file names. */
const PREFIX = "wal-";

/** The name of log file `number`: `wal-` and 20 zero-padded digits. */
export function segmentName(number: number): string {
  return PREFIX + String(number).padStart(20, "0");
}

/**
 * The number of a log file from its name, or `undefined` if the name is not
 * exactly `wal-` followed by 20 ASCII digits (or the number is above 2^53 - 1).
 */
export function parseSegmentName(name: string): number | undefined {
  if (name.length !== 24 || !name.startsWith(PREFIX)) return undefined;
  const digits = name.slice(4);
  if (!/^[0-9]{20}$/.test(digits)) return undefined;
  const number = Number(digits);
  return Number.isSafeInteger(number) ? number : undefined;
}

/**
 * The numbers of the log files in `dir` (names `wal-` and 20 digits), oldest
 * first. The one place that lists a log's segment files: recovery, `verify`
 * and the CLI all use it.
 */
export function listSegmentNumbers(
  adapter: FileAdapter,
  dir: string,
): number[] {
  return adapter.listFiles(dir)
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

/**
 * Opens the existing log files `numbers` of `dir`, in that order, read-only
 * with `readOnly`. If one cannot be opened, closes the others and throws.
 */
export function openSegments(
  adapter: FileAdapter,
  dir: string,
  numbers: readonly number[],
  readOnly: boolean,
): LogFileToRead[] {
  const opened: LogFileToRead[] = [];
  try {
    for (const number of numbers) {
      const path = `${dir}/${segmentName(number)}`;
      opened.push({
        number,
        file: adapter.open(path, { create: false, readOnly }),
      });
    }
  } catch (error) {
    for (const { file } of opened) file.close();
    throw error;
  }
  return opened;
}

/**
 * Creates log file `number` in `dir`, sized to `segmentBytes` (a sparse file
 * of zeros, as the Rust crate does), with its first `prewriteBytes` bytes
 * (default none) written as zeros (see {@linkcode writeZeros}), and makes it
 * and its directory entry durable.
 */
export function createSegment(
  adapter: FileAdapter,
  dir: string,
  number: number,
  segmentBytes: number,
  prewriteBytes = 0,
): AdapterFile {
  const file = adapter.open(`${dir}/${segmentName(number)}`, { create: true });
  try {
    file.truncate(segmentBytes);
    writeZeros(file, 0, Math.min(prewriteBytes, segmentBytes));
    file.syncDataSync();
    adapter.syncDir(dir);
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}

/** Zeros written at a time by {@linkcode writeZeros}: 256 KiB. */
const ZERO_PIECE_BYTES = 256 * 1024;
let zeros: Uint8Array | undefined;

/**
 * Writes zeros over `[from, to)` of `file`: the bytes a log file reads as
 * past its data, made real blocks on disk. A file written this way reads the
 * same as a sparse one (the Rust crate and recovery stop at the first zero
 * header), but a later `fdatasync` of data written there has no block to
 * allocate. Never call it over bytes already written with data.
 */
export function writeZeros(file: AdapterFile, from: number, to: number): void {
  zeros ??= new Uint8Array(ZERO_PIECE_BYTES);
  for (let at = from; at < to; at += ZERO_PIECE_BYTES) {
    const n = Math.min(ZERO_PIECE_BYTES, to - at);
    writeFully(file, n === zeros.length ? zeros : zeros.subarray(0, n), at);
  }
}
