import { defaultFileAdapter } from "../storage/default_file_adapter.ts";
import type { FileAdapter } from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { type ChunkAllocator, plainAllocator } from "./chunk_allocator.ts";
import type { OpenOptions } from "./log_types.ts";
import {
  DEFAULT_PERSIST_POLICY,
  type PersistPolicy,
  prewriteBytes,
  SEGMENT_PREWRITE_BYTES,
  validatePersistPolicy,
} from "./persist_policy.ts";
import { sharedPrefaultingAllocator } from "./prefaulting_allocator.ts";

/** The default `segmentBytes`: 128 MiB. */
export const DEFAULT_SEGMENT_BYTES = 128 * 1024 * 1024;

/** {@linkcode OpenOptions} checked, with their defaults filled in. */
export interface ResolvedOpenOptions {
  /** How appends are persisted. */
  persistPolicy: PersistPolicy;
  /** File size at which the log rolls to a new file. */
  segmentBytes: number;
  /** Retained payload bytes past which appends reject (`Infinity` if none). */
  memoryLimitBytes: number;
  /** Disk bytes past which appends reject (`Infinity` if none). */
  diskLimitBytes: number;
  /** Payload bytes kept in memory (`Infinity`: all). */
  hotBytes: number;
  /** Throw on damage found on open. */
  strict: boolean;
  /** Where warnings go. */
  onWarning: (message: string) => void;
  /** The file system. */
  fileAdapter: FileAdapter;
  /** Open a snapshot for reading only. */
  readOnly: boolean;
  /** Where the queues' chunks come from (`prefaultChunks`). */
  allocator: ChunkAllocator;
  /** Zeros kept written ahead of the data (`prewriteSegments`), 0 for none. */
  prewriteBytes: number;
}

/**
 * Checks the arguments of `MultiRecordLog.open` and fills in the defaults;
 * throws `TypeError` or `RangeError`.
 */
export function resolveOpenOptions(
  dir: unknown,
  options: OpenOptions,
): ResolvedOpenOptions {
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError("dir must be a non-empty string");
  }
  const persistPolicy = options.persistPolicy === undefined
    ? DEFAULT_PERSIST_POLICY
    : validatePersistPolicy(options.persistPolicy);
  const segmentBytes = checkSegmentBytes(options.segmentBytes);
  const memoryLimitBytes = checkMemoryLimit(options.memoryLimitBytes);
  const diskLimitBytes = checkDiskLimit(options.diskLimitBytes, segmentBytes);
  const hotBytes = checkHotBytes(options.hotBytes, segmentBytes);
  const onWarning = options.onWarning ?? console.warn;
  if (typeof onWarning !== "function") {
    throw new TypeError("onWarning must be a function");
  }
  const fileAdapter = options.fileAdapter ?? defaultFileAdapter();
  const strict = options.strict ?? false;
  const readOnly = checkBoolean(options.readOnly, "readOnly", false);
  const prefault = checkBoolean(options.prefaultChunks, "prefaultChunks", true);
  const prewrite = checkBoolean(
    options.prewriteSegments,
    "prewriteSegments",
    prewriteBytes(persistPolicy) > 0,
  );
  return {
    persistPolicy,
    segmentBytes,
    memoryLimitBytes,
    diskLimitBytes,
    hotBytes,
    strict,
    onWarning,
    fileAdapter,
    readOnly,
    allocator: prefault ? sharedPrefaultingAllocator() : plainAllocator,
    prewriteBytes: prewrite ? SEGMENT_PREWRITE_BYTES : 0,
  };
}

/** `segmentBytes`: a positive multiple of `BLOCK_SIZE` (the default if none). */
function checkSegmentBytes(value: unknown): number {
  const segmentBytes = value ?? DEFAULT_SEGMENT_BYTES;
  if (
    typeof segmentBytes !== "number" || !Number.isSafeInteger(segmentBytes) ||
    segmentBytes <= 0 || segmentBytes % BLOCK_SIZE !== 0
  ) {
    throw new RangeError(
      `segmentBytes must be a positive multiple of ${BLOCK_SIZE}, got ${segmentBytes}`,
    );
  }
  return segmentBytes;
}

/** `memoryLimitBytes`: a positive number (`Infinity` if none). */
function checkMemoryLimit(value: unknown): number {
  const memoryLimitBytes = value ?? Infinity;
  if (typeof memoryLimitBytes !== "number" || !(memoryLimitBytes > 0)) {
    throw new RangeError(
      `memoryLimitBytes must be a positive number, got ${memoryLimitBytes}`,
    );
  }
  return memoryLimitBytes;
}

/**
 * `hotBytes`: a non-negative integer, only with files of at most 4 GiB
 * (`Infinity` if none).
 */
function checkHotBytes(value: unknown, segmentBytes: number): number {
  const hotBytes = value ?? Infinity;
  if (
    typeof hotBytes !== "number" || !(hotBytes >= 0) ||
    (hotBytes !== Infinity && !Number.isSafeInteger(hotBytes))
  ) {
    throw new RangeError(
      `hotBytes must be a non-negative integer, got ${hotBytes}`,
    );
  }
  if (hotBytes !== Infinity && segmentBytes > 2 ** 32) {
    throw new RangeError(
      `hotBytes needs segmentBytes of at most 4 GiB, got ${segmentBytes}`,
    );
  }
  return hotBytes;
}

/** `diskLimitBytes`: a number of at least two log files (`Infinity` if none). */
function checkDiskLimit(value: unknown, segmentBytes: number): number {
  const limit = value ?? Infinity;
  if (typeof limit !== "number" || !(limit > 0)) {
    throw new RangeError(
      `diskLimitBytes must be a positive number, got ${limit}`,
    );
  }
  if (limit < 2 * segmentBytes) {
    throw new RangeError(
      `diskLimitBytes must be at least 2 * segmentBytes (${
        2 * segmentBytes
      }): the newest file is never deleted, got ${limit}`,
    );
  }
  return limit;
}

/** A boolean option called `name` (`fallback` if none); throws `TypeError`. */
function checkBoolean(
  value: unknown,
  name: string,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean`);
  }
  return value;
}
