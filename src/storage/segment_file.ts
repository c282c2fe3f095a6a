import type { AdapterFile, FileAdapter } from "./file_adapter.ts";
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
 * of zeros, as the Rust crate does), and makes it and its directory entry
 * durable.
 */
export function createSegment(
  adapter: FileAdapter,
  dir: string,
  number: number,
  segmentBytes: number,
): AdapterFile {
  const file = adapter.open(`${dir}/${segmentName(number)}`, { create: true });
  try {
    file.truncate(segmentBytes);
    file.syncDataSync();
    adapter.syncDir(dir);
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}
