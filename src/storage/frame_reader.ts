import { crc32 } from "node:zlib";
import { type AdapterFile, readFully } from "./file_adapter.ts";
import { BLOCK_SIZE, FrameType, HEADER_SIZE } from "../format/frame.ts";

/** A log file to read, in the order of the log. */
export interface LogFileToRead {
  /** The file's number (from its name). */
  number: number;
  /** The open file. */
  file: AdapterFile;
}

/** What {@linkcode readFrames} calls back with. */
export interface FrameReaderHandlers {
  /**
   * A reassembled record, the number of the file its first frame is in and
   * that frame's offset.
   * `bytes` is only valid during the call: copy what must be kept.
   */
  record(bytes: Uint8Array, fileNumber: number, offset: number): void;
  /** Damage that was skipped, as the format says. May throw to stop reading. */
  corruption(fileNumber: number, offset: number, reason: string): void;
}

/** Where the valid data of the log ends: writing resumes here. */
export interface LogEnd {
  /** Index (in the files given) of the file where the data ends. */
  fileIndex: number;
  /** Offset in that file. */
  offset: number;
  /** True when a zero header marked the end (later files were not read). */
  zeroHeader: boolean;
}

const CHUNK_SIZE = 128 * BLOCK_SIZE; // 4 MiB, whole blocks

/**
 * Reads the frames of the log files in order, reassembles records and passes
 * them to `handlers`, skipping corruption the way mrecordlog does: an unknown
 * frame type or a length past the block drops the rest of the block; a
 * checksum mismatch drops that frame only; a record with a missing or damaged
 * frame is dropped whole. A header of seven zero bytes ends the whole log.
 *
 * @returns where writing resumes, or `undefined` when `files` is empty.
 */
export function readFrames(
  files: readonly LogFileToRead[],
  handlers: FrameReaderHandlers,
): LogEnd | undefined {
  let largest = 0;
  for (const { file } of files) largest = Math.max(largest, file.size());
  const buffer = new Uint8Array(
    Math.min(
      CHUNK_SIZE,
      Math.max(BLOCK_SIZE, Math.ceil(largest / BLOCK_SIZE) * BLOCK_SIZE),
    ),
  );
  const view = new DataView(buffer.buffer);
  let assembly = new Uint8Array(64 * 1024);
  let assembled = -1; // bytes in `assembly`, or -1 when no record is open
  let assemblyFile = 0;
  let assemblyOffset = 0;

  const append = (piece: Uint8Array): void => {
    if (assembled + piece.length > assembly.length) {
      let size = assembly.length * 2;
      while (size < assembled + piece.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(assembly.subarray(0, assembled));
      assembly = grown;
    }
    assembly.set(piece, assembled);
    assembled += piece.length;
  };

  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    const { number, file } = files[fileIndex];
    let fileOffset = 0;
    for (;;) {
      const got = readFully(file, buffer, fileOffset);
      const blocks = Math.floor(got / BLOCK_SIZE);
      for (let b = 0; b < blocks; b++) {
        const base = b * BLOCK_SIZE;
        let off = 0;
        while (BLOCK_SIZE - off >= HEADER_SIZE) {
          const h = base + off;
          const checksum = view.getUint32(h, true);
          const length = view.getUint16(h + 4, true);
          const type = buffer[h + 6];
          const at = fileOffset + h;
          if (checksum === 0 && length === 0 && type === 0) {
            return { fileIndex, offset: at, zeroHeader: true };
          }
          if (type < FrameType.Full || type > FrameType.Last) {
            assembled = -1;
            handlers.corruption(number, at, `unknown frame type ${type}`);
            break;
          }
          if (off + HEADER_SIZE + length > BLOCK_SIZE) {
            assembled = -1;
            handlers.corruption(number, at, "frame length runs past the block");
            break;
          }
          off += HEADER_SIZE + length;
          const end = h + HEADER_SIZE + length;
          if (crc32(buffer.subarray(h + 6, end)) !== checksum) {
            assembled = -1;
            handlers.corruption(number, at, "checksum mismatch");
            continue;
          }
          const payload = buffer.subarray(h + HEADER_SIZE, end);
          if (type === FrameType.Full) {
            assembled = -1;
            handlers.record(payload, number, at);
          } else if (type === FrameType.First) {
            assembled = 0;
            assemblyFile = number;
            assemblyOffset = at;
            append(payload);
          } else if (assembled >= 0) {
            append(payload);
            if (type === FrameType.Last) {
              const bytes = assembly.subarray(0, assembled);
              assembled = -1;
              handlers.record(bytes, assemblyFile, assemblyOffset);
            }
          }
        }
      }
      fileOffset += blocks * BLOCK_SIZE;
      if (got < buffer.length) break;
    }
    if (fileIndex === files.length - 1) {
      return { fileIndex, offset: fileOffset, zeroHeader: false };
    }
  }
  return undefined;
}
