/**
 * `@x/mrecordlog`: many named queues multiplexed into one durable record log,
 * for Deno, Bun and Node.js, byte-compatible with Quickwit's Rust
 * `mrecordlog` 0.5.
 *
 * ```ts
 * import { MultiRecordLog } from "@x/mrecordlog";
 *
 * const dir = await Deno.makeTempDir();
 * await using log = await MultiRecordLog.open(dir);
 * await log.createQueue("q");
 * await log.appendRecord("q", undefined, new TextEncoder().encode("hello"));
 * console.log(log.lastPosition("q")); // 0
 * ```
 *
 * @module
 */

export { MultiRecordLog } from "./src/log/multi_record_log.ts";
export type {
  AppendOutcome,
  CreateConsumerOptions,
  InternalQueuesOptions,
  LogReadableOptions,
  LogSummary,
  OpenOptions,
  QueueSummary,
  RangeOptions,
  ResourceUsage,
  TruncateOutcome,
  WriteOutcome,
} from "./src/log/log_types.ts";
export type { LogRecord } from "./src/log/mem_queue.ts";
export { batchRecords, type LogRecordBatch } from "./src/log_record_batch.ts";
export type {
  AppendLimit,
  ConsumerMetrics,
  HistogramSnapshot,
  LogMetrics,
  QueueMetrics,
  WalOperation,
} from "./src/log/log_metrics.ts";
export type { ConsumerSummary } from "./src/log/consumers.ts";
export type { BackupFile, BackupOutcome } from "./src/log/backup.ts";
export type { RetentionLimits } from "./src/log/queue_state.ts";
export type { PersistAction, PersistPolicy } from "./src/log/persist_policy.ts";
export type {
  CorruptionReport,
  RecoveryReport,
} from "./src/log/recovery_report.ts";
export {
  ConsumerAlreadyExistsError,
  CorruptionError,
  DiskLimitError,
  LogClosedError,
  LogFailedError,
  LogLockedError,
  LogReadOnlyError,
  MemoryLimitError,
  MissingConsumerError,
  MissingQueueError,
  PositionInPastError,
  QueueAlreadyExistsError,
  RecordTooLargeError,
  RetentionLimitError,
  TruncatedInputError,
} from "./src/errors.ts";
export type { AdapterFile, FileAdapter } from "./src/storage/file_adapter.ts";
export {
  MemoryFileAdapter,
  type MemoryFileAdapterCrashOptions,
  type MemoryFileAdapterStats,
  type MemoryFileFault,
} from "./src/testing/memory_file_adapter.ts";
export {
  LineSplitStream,
  type LineSplitStreamOptions,
} from "./src/streams/line_split_stream.ts";
export { LengthPrefixEncoderStream } from "./src/streams/length_prefix_encoder_stream.ts";
export {
  LengthPrefixDecoderStream,
  type LengthPrefixDecoderStreamOptions,
} from "./src/streams/length_prefix_decoder_stream.ts";
export type { QueueWritableOptions } from "./src/streams/queue_writable_stream.ts";
export type { QueueReadableOptions } from "./src/streams/queue_readable_stream.ts";
export {
  RecordBatchStream,
  type RecordBatchStreamOptions,
} from "./src/streams/record_batch_stream.ts";
export {
  JsonSplitStream,
  type JsonSplitStreamOptions,
  MalformedJsonError,
} from "./src/streams/json_split_stream.ts";
