import { type DecodedRecord, decodeRecord } from "../format/record.ts";
import {
  type LogEnd,
  type LogFileToRead,
  readFrames,
} from "../storage/frame_reader.ts";
import { collectYoungGarbage, YOUNG_GARBAGE_BYTES } from "./young_garbage.ts";

/** What {@linkcode readRecords} calls back with. */
export interface RecordReaderHandlers {
  /**
   * A record reassembled from intact frames whose header decodes: the
   * header, the record's bytes (valid during the call only), the file its
   * first frame is in and that frame's offset. Returns what is wrong with the
   * record's body, if anything: it is then reported to `damage`.
   */
  record(
    record: DecodedRecord,
    bytes: Uint8Array,
    fileNumber: number,
    offset: number,
  ): string | undefined;
  /**
   * Damage skipped at `offset` in file `fileNumber`: damaged frames
   * (`malformed` false), or a record reassembled from intact frames that
   * does not decode (`malformed` true). May throw to stop reading.
   */
  damage(
    fileNumber: number,
    offset: number,
    reason: string,
    malformed: boolean,
  ): void;
}

/**
 * Walks the records of the log files in order, as `MultiRecordLog.open` and
 * `verifyLog` both do: frames are read and reassembled by `readFrames`
 * (which skips damaged ones as the format says), each record's header is
 * decoded, and every piece of damage, in frames or in records, goes to
 * `handlers.damage`.
 *
 * @returns where the valid data ends, or `undefined` when `files` is empty.
 */
export function readRecords(
  files: readonly LogFileToRead[],
  handlers: RecordReaderHandlers,
): LogEnd | undefined {
  let sinceCollection = 0;
  return readFrames(files, {
    corruption(fileNumber, offset, reason) {
      handlers.damage(fileNumber, offset, reason, false);
    },
    record(bytes, fileNumber, offset) {
      sinceCollection += bytes.length;
      if (sinceCollection >= YOUNG_GARBAGE_BYTES) {
        sinceCollection = 0;
        collectYoungGarbage();
      }
      const record = decodeRecord(bytes);
      const problem = typeof record === "string"
        ? record
        : handlers.record(record, bytes, fileNumber, offset);
      if (problem !== undefined) {
        handlers.damage(fileNumber, offset, problem, true);
      }
    },
  });
}
