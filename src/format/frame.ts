/**
 * The frame layout of the log (LevelDB's): 32 KiB blocks holding frames of
 * `crc32 u32 | length u16 | type u8 | payload`. A frame never crosses a block.
 *
 * @module
 */

/** Bytes in a block. */
export const BLOCK_SIZE = 32_768;
/** Bytes in a frame header: checksum (4), length (2), type (1). */
export const HEADER_SIZE = 7;

/** A frame's type byte. */
export const FrameType = {
  /** A whole record. */
  Full: 1,
  /** The first piece of a record cut across frames. */
  First: 2,
  /** A middle piece. */
  Middle: 3,
  /** The last piece. */
  Last: 4,
} as const;
