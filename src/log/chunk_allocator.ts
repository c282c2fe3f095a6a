/**
 * Where a queue's payload chunks come from.
 *
 * @module
 */

/**
 * The largest regular chunk of a queue: 256 KiB. Allocators hand blocks this
 * small back again once freed (glibc below its mmap threshold), pages
 * already touched, while larger blocks come fresh from the OS, and the first
 * write to each of their pages costs more than the copy itself.
 */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/**
 * Gives `MemQueue` the memory its payloads are copied into. Queues grow their
 * chunks up to `chunkBytes` (larger ones only for large payloads), so an
 * allocator that makes memory ready ahead of need does it for that size.
 */
export interface ChunkAllocator {
  /** The size of a queue's largest regular chunk. */
  readonly chunkBytes: number;
  /** A zero-filled chunk of `bytes` bytes, a view of a whole `ArrayBuffer` of its own. */
  allocate(bytes: number): Uint8Array;
}

/** Plain allocation (`new Uint8Array`), chunks of {@linkcode DEFAULT_CHUNK_BYTES}. */
export const plainAllocator: ChunkAllocator = Object.freeze({
  chunkBytes: DEFAULT_CHUNK_BYTES,
  allocate: (bytes: number): Uint8Array => new Uint8Array(bytes),
});
