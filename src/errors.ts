/**
 * The typed errors of `@x/mrecordlog`. Each is a class with its own `name`,
 * so callers can branch with `instanceof` or on `error.name`. Wrong arguments
 * are plain `TypeError` or `RangeError`.
 *
 * @module
 */

/**
 * Raised by `createQueue` when a queue of that name already exists. Nothing
 * is written.
 *
 * @example
 * ```ts ignore
 * try {
 *   await log.createQueue("q");
 * } catch (error) {
 *   if (!(error instanceof QueueAlreadyExistsError)) throw error;
 * }
 * ```
 */
export class QueueAlreadyExistsError extends Error {
  /** The queue that already exists. */
  readonly queue: string;
  /** Builds the error for `queue`. */
  constructor(queue: string) {
    super(`Queue already exists: ${JSON.stringify(queue)}`);
    this.name = "QueueAlreadyExistsError";
    this.queue = queue;
  }
}

/** Raised when an operation names a queue that does not exist. Nothing is written. */
export class MissingQueueError extends Error {
  /** The queue that was asked for. */
  readonly queue: string;
  /** Builds the error for `queue`. */
  constructor(queue: string) {
    super(`No such queue: ${JSON.stringify(queue)}`);
    this.name = "MissingQueueError";
    this.queue = queue;
  }
}

/**
 * Raised by `appendRecord(s)` when an explicit position is below the queue's
 * next position (and is not an idempotent retry of the last record). Nothing
 * is written.
 */
export class PositionInPastError extends Error {
  /** The queue appended to. */
  readonly queue: string;
  /** The position that was asked for. */
  readonly position: number;
  /** The queue's next position when the call was made. */
  readonly nextPosition: number;
  /** Builds the error. */
  constructor(queue: string, position: number, nextPosition: number) {
    super(
      `Position ${position} of queue ${
        JSON.stringify(queue)
      } is in the past: the next position is ${nextPosition}`,
    );
    this.name = "PositionInPastError";
    this.queue = queue;
    this.position = position;
    this.nextPosition = nextPosition;
  }
}

/**
 * Raised by `createConsumer` when the queue already has a consumer of that
 * name. Nothing is written.
 */
export class ConsumerAlreadyExistsError extends Error {
  /** The queue. */
  readonly queue: string;
  /** The consumer that already exists. */
  readonly consumer: string;
  /** Builds the error for consumer `consumer` of `queue`. */
  constructor(queue: string, consumer: string) {
    super(
      `Consumer ${JSON.stringify(consumer)} of queue ${
        JSON.stringify(queue)
      } already exists`,
    );
    this.name = "ConsumerAlreadyExistsError";
    this.queue = queue;
    this.consumer = consumer;
  }
}

/**
 * Raised when an operation names a consumer the queue does not have
 * (`deleteConsumer`, `ack`, `readable` with `consumer`). Nothing is written.
 */
export class MissingConsumerError extends Error {
  /** The queue. */
  readonly queue: string;
  /** The consumer that was asked for. */
  readonly consumer: string;
  /** Builds the error for consumer `consumer` of `queue`. */
  constructor(queue: string, consumer: string) {
    super(
      `No consumer ${JSON.stringify(consumer)} in queue ${
        JSON.stringify(queue)
      }`,
    );
    this.name = "MissingConsumerError";
    this.queue = queue;
    this.consumer = consumer;
  }
}

/**
 * Raised by `appendRecord(s)` when the append would make the queue pass a
 * limit set with `setRetention` and the queue discards new records
 * (`discard: "new"`), or when the append alone is over a limit (whatever
 * `discard` says). Nothing is written.
 *
 * @example
 * ```ts ignore
 * try {
 *   await log.appendRecord("q", undefined, payload);
 * } catch (error) {
 *   if (!(error instanceof RetentionLimitError)) throw error;
 *   console.error(`queue full: at most ${error.maxRecords} records`);
 * }
 * ```
 */
export class RetentionLimitError extends Error {
  /** The queue appended to. */
  readonly queue: string;
  /** The queue's `maxRecords`, if it has one. */
  readonly maxRecords: number | undefined;
  /** The queue's `maxBytes` (payload bytes), if it has one. */
  readonly maxBytes: number | undefined;
  /** The records the queue would hold with the append. */
  readonly records: number;
  /** The payload bytes the queue would hold with the append. */
  readonly bytes: number;
  /** Builds the error for an append that would make `queue` hold `records` records of `bytes` bytes. */
  constructor(
    queue: string,
    limits: { maxRecords?: number; maxBytes?: number },
    records: number,
    bytes: number,
  ) {
    const max = [
      limits.maxRecords === undefined ? "" : `maxRecords ${limits.maxRecords}`,
      limits.maxBytes === undefined ? "" : `maxBytes ${limits.maxBytes}`,
    ].filter((part) => part !== "").join(", ");
    super(
      `Retention limit of queue ${
        JSON.stringify(queue)
      } reached (${max}): it would hold ${records} records of ${bytes} bytes`,
    );
    this.name = "RetentionLimitError";
    this.queue = queue;
    this.maxRecords = limits.maxRecords;
    this.maxBytes = limits.maxBytes;
    this.records = records;
    this.bytes = bytes;
  }
}

/**
 * Raised by `MultiRecordLog.open` with `{ strict: true }` when a log file holds
 * corrupted data. Without `strict`, corruption is skipped as the format
 * specifies and reported in `summary().recovery`.
 */
export class CorruptionError extends Error {
  /** The number of the log file where corruption was found. */
  readonly fileNumber: number;
  /** The byte offset of the damaged frame or block in that file. */
  readonly offset: number;
  /** Builds the error. */
  constructor(fileNumber: number, offset: number, reason: string) {
    super(
      `Corrupted log file ${fileNumber} at offset ${offset}: ${reason}`,
    );
    this.name = "CorruptionError";
    this.fileNumber = fileNumber;
    this.offset = offset;
  }
}

/** Raised by any operation on a log after `close()` was called. */
export class LogClosedError extends Error {
  /** Builds the error. */
  constructor() {
    super("The log is closed");
    this.name = "LogClosedError";
  }
}

/**
 * Raised by every method that writes (`createQueue`, `deleteQueue`,
 * `appendRecord(s)`, `truncate`, `persist`, `writable`) on a log opened with
 * `readOnly: true`.
 */
export class LogReadOnlyError extends Error {
  /** Builds the error. */
  constructor() {
    super("The log was opened read-only");
    this.name = "LogReadOnlyError";
  }
}

/**
 * Raised by `MultiRecordLog.open` when the directory is already open, in this
 * process or in another live one. A lock left by a process that died does not
 * raise it.
 */
export class LogLockedError extends Error {
  /** The directory that is locked. */
  readonly directory: string;
  /** Builds the error. */
  constructor(directory: string, holder: string) {
    super(`The log directory ${directory} is open elsewhere (${holder})`);
    this.name = "LogLockedError";
    this.directory = directory;
  }
}

/**
 * Raised when a write or fsync failed. The failing operation, every operation
 * pending behind it, and every later write reject with it, until the log is
 * closed and reopened: a failed fsync cannot be retried safely. Reads still
 * work. `cause` holds the original error.
 */
export class LogFailedError extends Error {
  /** Builds the error from the I/O error that caused it. */
  constructor(cause: unknown) {
    super(
      `The log failed and refuses writes until it is reopened: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "LogFailedError";
  }
}

/**
 * Raised by `appendRecord(s)` when the retained payload bytes would pass the
 * `memoryLimitBytes` given to `open`. Nothing is written; truncating frees
 * room.
 */
export class MemoryLimitError extends Error {
  /** The configured limit, in bytes. */
  readonly limitBytes: number;
  /** Builds the error. */
  constructor(limitBytes: number, neededBytes: number) {
    super(
      `Memory limit of ${limitBytes} bytes reached (${neededBytes} bytes would be retained)`,
    );
    this.name = "MemoryLimitError";
    this.limitBytes = limitBytes;
  }
}

/**
 * Raised by `appendRecord(s)` when the log files would occupy more than the
 * `diskLimitBytes` given to `open` (bytes on disk, see
 * `ResourceUsage.diskUsedBytes`). Nothing is written; truncation that lets
 * whole log files be deleted frees room.
 *
 * @example
 * ```ts ignore
 * try {
 *   await log.appendRecord("q", undefined, payload);
 * } catch (error) {
 *   if (!(error instanceof DiskLimitError)) throw error;
 *   console.error(`${error.diskBytes} bytes would pass ${error.limitBytes}`);
 * }
 * ```
 */
export class DiskLimitError extends Error {
  /** The configured limit, in bytes. */
  readonly limitBytes: number;
  /** The bytes the log files would occupy on disk with the append. */
  readonly diskBytes: number;
  /** Builds the error for an append that would make the files `diskBytes`. */
  constructor(limitBytes: number, diskBytes: number) {
    super(
      `Disk limit of ${limitBytes} bytes reached (the log files would occupy ${diskBytes} bytes)`,
    );
    this.name = "DiskLimitError";
    this.limitBytes = limitBytes;
    this.diskBytes = diskBytes;
  }
}

/**
 * Raised (as the stream's error) by `LineSplitStream` and
 * `LengthPrefixDecoderStream` when a record exceeds `maxRecordBytes`. The
 * stream fails as soon as the excess is known, without buffering more input.
 *
 * @example
 * ```ts ignore
 * try {
 *   for await (const line of body.pipeThrough(new LineSplitStream())) use(line);
 * } catch (error) {
 *   if (!(error instanceof RecordTooLargeError)) throw error;
 *   console.error(`a line is over ${error.limitBytes} bytes`);
 * }
 * ```
 */
export class RecordTooLargeError extends Error {
  /** The limit that was exceeded, in bytes. */
  readonly limitBytes: number;
  /**
   * The record's size in bytes when it is known (the length read from a
   * length prefix), `undefined` when it is only known to exceed the limit.
   */
  readonly recordBytes: number | undefined;
  /** Builds the error for a record over `limitBytes`, of `recordBytes` if known. */
  constructor(limitBytes: number, recordBytes?: number) {
    super(
      recordBytes === undefined
        ? `Record exceeds the limit of ${limitBytes} bytes`
        : `Record of ${recordBytes} bytes exceeds the limit of ${limitBytes} bytes`,
    );
    this.name = "RecordTooLargeError";
    this.limitBytes = limitBytes;
    this.recordBytes = recordBytes;
  }
}

/**
 * Raised (as the stream's error) by `LengthPrefixDecoderStream` when its input
 * ends inside a length prefix or inside a record: incomplete data is never
 * dropped silently.
 *
 * @example
 * ```ts ignore
 * try {
 *   for await (const record of body.pipeThrough(new LengthPrefixDecoderStream())) use(record);
 * } catch (error) {
 *   if (!(error instanceof TruncatedInputError)) throw error;
 *   console.error(`${error.receivedBytes} of ${error.expectedBytes} bytes`);
 * }
 * ```
 */
export class TruncatedInputError extends Error {
  /** The part that was cut short, e.g. `"length prefix"` or `"record"`. */
  readonly part: string;
  /** How many bytes that part should have had. */
  readonly expectedBytes: number;
  /** How many bytes of it were received before the input ended. */
  readonly receivedBytes: number;
  /** Builds the error for `part`, cut at `receivedBytes` of `expectedBytes`. */
  constructor(part: string, expectedBytes: number, receivedBytes: number) {
    super(
      `Input ended inside a ${part}: expected ${expectedBytes} bytes, got ${receivedBytes}`,
    );
    this.name = "TruncatedInputError";
    this.part = part;
    this.expectedBytes = expectedBytes;
    this.receivedBytes = receivedBytes;
  }
}
