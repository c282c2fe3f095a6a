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

const CHUNK_SIZE = 8 * BLOCK_SIZE; // 256 KiB, whole blocks

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
  const blocks = new BlockReader(buffer, handlers);
  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    const { number, file } = files[fileIndex];
    let fileOffset = 0;
    for (;;) {
      const got = readFully(file, buffer, fileOffset);
      const whole = Math.floor(got / BLOCK_SIZE);
      for (let b = 0; b < whole; b++) {
        const end = blocks.read(b * BLOCK_SIZE, number, fileOffset);
        if (end >= 0) return { fileIndex, offset: end, zeroHeader: true };
      }
      fileOffset += whole * BLOCK_SIZE;
      if (got < buffer.length) break;
    }
    if (fileIndex === files.length - 1) {
      return { fileIndex, offset: fileOffset, zeroHeader: false };
    }
  }
  return undefined;
}

/**
 * Reads the frames of blocks of `buffer`, carrying a record cut across
 * frames from one block (and file) to the next.
 */
class BlockReader {
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  readonly #handlers: FrameReaderHandlers;
  #assembly = new Uint8Array(64 * 1024);
  #assembled = -1; // bytes in #assembly, or -1 when no record is open
  #assemblyFile = 0;
  #assemblyOffset = 0;

  constructor(buffer: Uint8Array, handlers: FrameReaderHandlers) {
    this.#buffer = buffer;
    this.#view = new DataView(buffer.buffer);
    this.#handlers = handlers;
  }

  /**
   * Reads the block at `base` in the buffer, at `fileOffset + base` in file
   * `number`. Returns the offset in the file of a zero header (the end of
   * the log), or -1.
   */
  read(base: number, number: number, fileOffset: number): number {
    const buffer = this.#buffer;
    const view = this.#view;
    let off = 0;
    while (BLOCK_SIZE - off >= HEADER_SIZE) {
      const h = base + off;
      const checksum = view.getUint32(h, true);
      const length = view.getUint16(h + 4, true);
      const type = buffer[h + 6];
      const at = fileOffset + h;
      if (checksum === 0 && length === 0 && type === 0) return at;
      if (type < FrameType.Full || type > FrameType.Last) {
        this.#damage(number, at, `unknown frame type ${type}`);
        break;
      }
      if (off + HEADER_SIZE + length > BLOCK_SIZE) {
        this.#damage(number, at, "frame length runs past the block");
        break;
      }
      off += HEADER_SIZE + length;
      const end = h + HEADER_SIZE + length;
      if (crc32(buffer.subarray(h + 6, end)) !== checksum) {
        this.#damage(number, at, "checksum mismatch");
        continue;
      }
      this.#frame(type, buffer.subarray(h + HEADER_SIZE, end), number, at);
    }
    return -1;
  }

  /** An intact frame of `type` at `at` in file `number`. */
  #frame(type: number, payload: Uint8Array, number: number, at: number): void {
    if (type === FrameType.Full) {
      this.#assembled = -1;
      this.#handlers.record(payload, number, at);
    } else if (type === FrameType.First) {
      this.#assembled = 0;
      this.#assemblyFile = number;
      this.#assemblyOffset = at;
      this.#append(payload);
    } else if (this.#assembled >= 0) {
      this.#append(payload);
      if (type === FrameType.Last) {
        const bytes = this.#assembly.subarray(0, this.#assembled);
        this.#assembled = -1;
        this.#handlers.record(bytes, this.#assemblyFile, this.#assemblyOffset);
      }
    }
  }

  /** Drops the record being reassembled and reports the damage. */
  #damage(number: number, at: number, reason: string): void {
    this.#assembled = -1;
    this.#handlers.corruption(number, at, reason);
  }

  #append(piece: Uint8Array): void {
    const assembled = this.#assembled;
    if (assembled + piece.length > this.#assembly.length) {
      let size = this.#assembly.length * 2;
      while (size < assembled + piece.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#assembly.subarray(0, assembled));
      this.#assembly = grown;
    }
    this.#assembly.set(piece, assembled);
    this.#assembled = assembled + piece.length;
  }
}
