/**
 * Disk use as the bytes the log files occupy, not their apparent length: a
 * new log file is sized to `segmentBytes` but sparse, so only what was
 * written to it takes room. Each file's written extent (from its start to the
 * end of the bytes written) is counted in whole file-system blocks.
 *
 * @module
 */

/** The file-system block the extents are rounded up to: 4 KiB. */
export const DISK_BLOCK_BYTES = 4096;

/** The bytes a file whose written extent is `extent` bytes occupies on disk. */
export function onDiskBytes(extent: number): number {
  return Math.ceil(extent / DISK_BLOCK_BYTES) * DISK_BLOCK_BYTES;
}
