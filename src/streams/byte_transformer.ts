/**
 * The synchronous transformer of bytes behind the framing streams.
 *
 * @module
 */

/**
 * A `Transformer<Uint8Array, Uint8Array>` whose `transform` and `flush` are
 * synchronous, so that a caller may drive it without a stream (the ingest
 * server cuts a body this way) or give it to `new TransformStream()`.
 * Declared here rather than as the DOM's `Transformer`, which Node.js's own
 * types do not declare globally.
 */
export interface ByteTransformer {
  /** Takes one chunk, enqueueing the records it completes. */
  transform(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void;
  /** At the end of the input: enqueues the last record, or throws. */
  flush(controller: TransformStreamDefaultController<Uint8Array>): void;
}
