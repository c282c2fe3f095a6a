/** A record read from a queue. */
export interface LogRecord {
  /** The record's position in its queue. */
  position: number;
  /**
   * The payload: a view of the log's memory. It stays unchanged after any
   * later append or truncate; do not write to it.
   */
  payload: Uint8Array;
}
