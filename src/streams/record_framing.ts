/**
 * How a byte stream is cut into records: one record per line (`ndjson`) or
 * each record after its u32 little-endian length (`length-prefixed`); the
 * choice from a content type, and the transform that does the cutting. The
 * HTTP server (a body's `Content-Type` or `format`) and the command line
 * (`append --ndjson | --length-prefixed`) both choose here.
 *
 * @module
 */

import { LengthPrefixDecoderStream } from "./length_prefix_decoder_stream.ts";
import { LineSplitStream } from "./line_split_stream.ts";

/** How records are framed in a byte stream. */
export type RecordFraming = "ndjson" | "length-prefixed";

/** The framings of {@linkcode RecordFraming}, for checking input. */
export const RECORD_FRAMINGS: readonly RecordFraming[] = [
  "ndjson",
  "length-prefixed",
];

/** True if `value` names a {@linkcode RecordFraming}. */
export function isRecordFraming(value: string): value is RecordFraming {
  return (RECORD_FRAMINGS as readonly string[]).includes(value);
}

const NDJSON_TYPES = [
  "",
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "text/plain",
];

/**
 * The framing of a body of MIME type `contentType` (parameters and case
 * ignored): `application/octet-stream` is length-prefixed; no type, NDJSON,
 * JSON Lines and `text/plain` are lines; any other type is `undefined`.
 */
export function framingOfContentType(
  contentType: string | null,
): RecordFraming | undefined {
  const type = mediaType(contentType);
  if (type === "application/octet-stream") return "length-prefixed";
  return NDJSON_TYPES.includes(type) ? "ndjson" : undefined;
}

/** The media type of a `Content-Type` value: lower case, no parameters. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/**
 * The transform cutting a byte stream framed as `framing` into records: a
 * `LineSplitStream` or a `LengthPrefixDecoderStream`.
 */
export function recordSplitStream(
  framing: RecordFraming,
  options: { maxRecordBytes?: number } = {},
): TransformStream<Uint8Array, Uint8Array> {
  const { maxRecordBytes } = options;
  return framing === "ndjson"
    ? new LineSplitStream({ maxRecordBytes })
    : new LengthPrefixDecoderStream({ maxRecordBytes });
}
