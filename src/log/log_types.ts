/**
 * The option, outcome and summary types of `MultiRecordLog`.
 *
 * @module
 */

import type { FileAdapter } from "../storage/file_adapter.ts";
import type { QueueReadableOptions } from "../streams/queue_readable_stream.ts";
import type { PersistPolicy } from "./persist_policy.ts";
import type { RecoveryReport } from "./recovery_report.ts";

/** Options of {@linkcode MultiRecordLog.open}. */
export interface OpenOptions {
  /** How appends are persisted. Default `{ kind: "always", action: "flush" }`. */
  persistPolicy?: PersistPolicy;
  /** File size at which the log rolls to a new file: a multiple of 32 KiB. Default 128 MiB. */
  segmentBytes?: number;
  /**
   * Retained payload bytes past which `appendRecord(s)` rejects with
   * `MemoryLimitError` (and stream sinks wait): bytes held in memory, so
   * with `hotBytes` only the records not yet written count. Default: no
   * limit.
   */
  memoryLimitBytes?: number;
  /**
   * Payload bytes kept in memory, all queues together. Past it, the oldest
   * records (of the queue holding the most) leave memory once written, and
   * are read back from the log files, checksums verified, when `range`,
   * `rangeAsync`, `readable` or a consumer reaches them; per record that
   * left memory, 16 bytes of index stay. Opening reads the files once and
   * keeps only the newest records in memory. For backlogs larger than
   * memory (store and forward); reading old records then costs disk reads.
   * `0` keeps only what is not yet written. Default: everything stays in
   * memory, as in the Rust crate.
   */
  hotBytes?: number;
  /**
   * Bytes the log files may occupy on disk (see
   * `ResourceUsage.diskUsedBytes`) past which `appendRecord(s)` rejects with
   * `DiskLimitError`, nothing written. Truncation that lets whole files be
   * deleted lifts it; the newest file is never deleted, so the limit must be
   * at least two files, `2 * segmentBytes`. Other writes (create, delete,
   * truncate) are not limited. Default: no limit.
   */
  diskLimitBytes?: number;
  /** Throw `CorruptionError` on any damage found on open, instead of skipping it. */
  strict?: boolean;
  /** Where warnings go (damage skipped on open, an `onChange` listener that threw). Default `console.warn`. */
  onWarning?: (message: string) => void;
  /** The file system. Default: Deno's or `node:fs`, chosen at runtime. */
  fileAdapter?: FileAdapter;
  /**
   * Open a snapshot for reading only: takes no lock (a process writing the
   * log may hold it), changes nothing on disk (no repair of a damaged tail,
   * no file set aside, no garbage collection), and every method that writes
   * raises `LogReadOnlyError`. The snapshot does not see later writes; a log
   * being written may end in a record still half written: it is skipped, with
   * a warning, and not counted as damage. Files after the end of the data
   * are listed in `recovery.detachedFiles`, unread. Default `false`.
   */
  readOnly?: boolean;
  /**
   * Make the memory that records are copied into ready on a helper thread
   * (`node:worker_threads`), one for the whole process, ahead of need: the
   * first write to each page of new memory costs a page fault, more than
   * copying the page. `false` allocates it on the calling thread only (no
   * helper thread is started). Default `true`.
   */
  prefaultChunks?: boolean;
  /**
   * Keep the log file being written written with zeros 1 MiB ahead of the
   * data (when a file is created, then between commits), so that each
   * `fdatasync` flushes data and has no disk block to allocate. The files
   * read the same as sparse ones (the Rust crate reads them). Default `true`
   * when the persist policy fsyncs appends (`always` or `onDelay` with
   * `"fsync"`), `false` otherwise (small flushed writes are faster on sparse
   * files).
   */
  prewriteSegments?: boolean;
}

/** What an append did. */
export interface AppendOutcome {
  /** Position of the last record appended; `undefined` if nothing was appended. */
  lastPosition: number | undefined;
  /** Bytes added to the log: frame headers, payloads and padding. */
  walBytesWritten: number;
}

/** What a truncate did. */
export interface TruncateOutcome {
  /** Records dropped from memory. */
  evictedRecords: number;
  /** Bytes added to the log (the Truncate record, and Touch records of garbage collection). */
  walBytesWritten: number;
}

/** What a queue creation or deletion did. */
export interface WriteOutcome {
  /** Bytes added to the log. */
  walBytesWritten: number;
}

/** Positions to read, both inclusive, both optional. */
export interface RangeOptions {
  /** The first position to read. */
  from?: number;
  /** The last position to read. */
  to?: number;
}

/** One queue in {@linkcode LogSummary}. */
export interface QueueSummary {
  /** The first position held, or the next position if the queue is empty. */
  start: number;
  /** The last position, or `undefined` if the queue never advanced. */
  end: number | undefined;
  /** The log file the first record held is in, or `undefined` if empty. */
  firstFileNumber: number | undefined;
  /** Records visible (held, and persisted as the policy says). */
  recordCount: number;
  /** Payload bytes held. */
  payloadBytes: number;
  /** Records dropped on open because they were inconsistent (see `recovery`). */
  droppedOnOpen: number;
}

/** The state of the log, from {@linkcode MultiRecordLog.summary}. */
export interface LogSummary {
  /** The queues, by name, in name order. */
  queues: Record<string, QueueSummary>;
  /**
   * The log files, oldest first: number, and apparent length in bytes (a new
   * file is sized to `segmentBytes` at once, sparse: see
   * `resourceUsage().diskUsedBytes` for the bytes the files occupy).
   */
  files: { number: number; bytes: number }[];
  /** What opening the log found and skipped. */
  recovery: RecoveryReport;
}

/** Memory and disk used, from {@linkcode MultiRecordLog.resourceUsage}. */
export interface ResourceUsage {
  /** Payload bytes held plus the per-record index. */
  memoryUsedBytes: number;
  /** Bytes allocated for payloads and index. */
  memoryAllocatedBytes: number;
  /**
   * Bytes the log files occupy on disk, not their apparent length: each
   * file's written extent in 4 KiB blocks (a new, sparse 128 MiB file
   * holding 35 bytes uses 4 KiB). Files found on open count at their length,
   * except the newest, counted up to the end of its data. Compared with
   * `diskLimitBytes`.
   */
  diskUsedBytes: number;
}

/** Options of {@linkcode MultiRecordLog.createConsumer}. */
export interface CreateConsumerOptions {
  /**
   * The first position the consumer reads. Default: the queue's first
   * record held, or its next position if it is empty.
   */
  from?: number;
}

/** Options of {@linkcode MultiRecordLog.readable}. */
export interface LogReadableOptions extends QueueReadableOptions {
  /**
   * Read through this consumer of the queue: from the position after its
   * last ack (or its `from`, if it acknowledged nothing). Not with `from`.
   * The stream closes when the consumer is deleted.
   */
  consumer?: string;
}

/** Options of {@linkcode MultiRecordLog.listQueues} and {@linkcode MultiRecordLog.summary}. */
export interface InternalQueuesOptions {
  /**
   * Include the log's own queues (names starting with U+0000, holding
   * consumers and retention limits). Default `false`.
   */
  internal?: boolean;
}
