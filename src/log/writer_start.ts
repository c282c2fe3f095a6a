import type { AdapterFile, FileAdapter } from "../storage/file_adapter.ts";

/** Where the writer starts: the newest log file and the offset to write at. */
export interface WriterStart {
  /** The file system. */
  adapter: FileAdapter;
  /** The log directory. */
  dir: string;
  /** Every log file of the log and its length, oldest first; the last one is written to. */
  files: Map<number, number>;
  /** The open newest file. */
  file: AdapterFile;
  /** Where in it to write. */
  offset: number;
  /**
   * Where the newest file ends: `segmentBytes`, or more for a file written
   * with a larger `segmentBytes` that still has room. Default `segmentBytes`.
   */
  fileLimit?: number;
  /** The size at which the log rolls to a new file. */
  segmentBytes: number;
  /**
   * Bytes of zeros kept written ahead of the data in the file written (see
   * `writeZeros`), so that an fdatasync finds its blocks allocated; 0 (the
   * default) keeps the files sparse. See `prewriteBytes` in
   * `persist_policy.ts`.
   */
  prewriteBytes?: number;
}
