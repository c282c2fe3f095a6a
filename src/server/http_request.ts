/**
 * Reading the parts of an HTTP request the ingest server takes: the bearer
 * token, the queue name in the path, query parameters, the body's framing
 * (NDJSON, length-prefixed or JSON; its content coding is read by
 * `bodyDecoder` in `content_decoding.ts`). Each raises {@linkcode HttpError}
 * on bad input.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { queueNameBytes } from "../arguments.ts";
import { JsonSplitStream } from "../streams/json_split_stream.ts";
import { lengthPrefixDecoder } from "../streams/length_prefix_decoder_stream.ts";
import { lineSplitter } from "../streams/line_split_stream.ts";
import {
  framingOfContentType,
  isRecordFraming,
  mediaType,
} from "../streams/record_framing.ts";
import { parsePositionText } from "../wire/position_text.ts";
import { HttpError } from "./http_error.ts";
import type { ByteTransformer } from "../streams/byte_transformer.ts";

/**
 * A check of `Authorization: Bearer <token>` against `token`: it compares
 * SHA-256 digests (of equal length) in constant time, and throws a 401
 * {@linkcode HttpError} on a missing or wrong token.
 */
export function bearerTokenCheck(token: string): (request: Request) => void {
  const expected = sha256(token);
  return (request) => {
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !timingSafeEqual(sha256(match[1]), expected)) {
      throw new HttpError(
        401,
        "Unauthorized",
        "A valid bearer token is required (Authorization: Bearer <token>)",
        { headers: { "www-authenticate": 'Bearer realm="mrecordlog"' } },
      );
    }
  };
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/**
 * The segments of the request's path, split on `/` before any
 * percent-decoding (so that `%2F` stays inside its segment), without the
 * leading empty one: `/queues/a%2Fb/records` is `["queues", "a%2Fb",
 * "records"]`. Read from `request.url` as received, not re-parsed (a URL
 * parser would resolve `%2E%2E` as `..`).
 */
export function pathSegments(request: Request): string[] {
  const url = request.url;
  const authority = url.indexOf("://");
  const start = url.indexOf("/", authority < 0 ? 0 : authority + 3);
  if (start < 0) return [""];
  let end = url.indexOf("?", start);
  if (end < 0) end = url.length;
  const hash = url.indexOf("#", start);
  if (hash >= 0 && hash < end) end = hash;
  return url.slice(start + 1, end).split("/");
}

/**
 * The queue name of a path segment, percent-decoded and checked by the
 * library's own rule (`queueNameBytes`: non-empty, well-formed, at most
 * 65,535 UTF-8 bytes), so that the server refuses exactly the names the
 * library refuses, with the library's message (400 `BadQueueName`).
 */
export function parseQueueName(segment: string): string {
  const known = checkedNames.get(segment);
  if (known !== undefined) return known;
  const name = checkQueueName(segment);
  if (segment.length <= MAX_CACHED_SEGMENT) {
    if (checkedNames.size >= MAX_CACHED_NAMES) checkedNames.clear();
    checkedNames.set(segment, name);
  }
  return name;
}

/**
 * Segments already checked, and their names (a name's rule never changes):
 * most requests name a few queues again and again. Short segments only, and
 * at most 1,024 of them (all dropped when full).
 */
const checkedNames = new Map<string, string>();
const MAX_CACHED_NAMES = 1024;
const MAX_CACHED_SEGMENT = 256;

function checkQueueName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw badName("The queue name is not valid percent-encoded UTF-8");
  }
  try {
    queueNameBytes(name);
  } catch (error) {
    throw badName((error as Error).message);
  }
  return name;
}

function badName(message: string): HttpError {
  return new HttpError(400, "BadQueueName", message);
}

/** The request's method if it is one of `methods`, else a 405. */
export function allowMethods(request: Request, ...methods: string[]): string {
  if (methods.includes(request.method)) return request.method;
  throw new HttpError(
    405,
    "MethodNotAllowed",
    `${request.method} is not allowed here; use ${methods.join(" or ")}`,
    { headers: { allow: methods.join(", ") } },
  );
}

/** The query parameters, refusing (400) unknown or repeated ones. */
export function parseQuery(url: URL, known: string[]): Map<string, string> {
  const query = new Map<string, string>();
  if (url.search === "") return query; // iterating no parameters costs
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) {
      throw badQuery(`Unknown query parameter ${JSON.stringify(key)}`);
    }
    if (query.has(key)) throw badQuery(`Query parameter ${key} is given twice`);
    query.set(key, value);
  }
  return query;
}

function badQuery(message: string): HttpError {
  return new HttpError(400, "BadQuery", message);
}

/**
 * An optional position parameter: digits, below 2^53, as the command line
 * takes them ({@linkcode parsePositionText}); a 400 otherwise.
 */
export function parsePositionParam(
  value: string | undefined,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parsePositionText(value, name);
  } catch (error) {
    throw new HttpError(400, "BadPosition", (error as Error).message);
  }
}

/** A boolean parameter: `true`, `1` or empty; `false` or `0`; absent is false. */
export function parseBooleanParam(
  value: string | undefined,
  name: string,
): boolean {
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "" || value === "true" || value === "1") return true;
  throw badQuery(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * The framing of a request body: `format` (`ndjson`, `length-prefixed` or
 * `json`) if given, else by content type: NDJSON, JSON Lines, `text/plain`
 * (or none) split lines, `application/octet-stream` reads u32 little-endian
 * length prefixes ({@linkcode framingOfContentType}), `application/json` is
 * a `JsonSplitStream` (an array is one record per element, an object one
 * record, each stored as its compact JSON text); any other type is a 415
 * `UnsupportedMediaType`, a bad `format` a 400 `BadQuery`. `maxRecordBytes`
 * bounds each record (for JSON, its compact text).
 *
 * Lines and length prefixes are given as a synchronous `Transformer` (the
 * one of `LineSplitStream` or `LengthPrefixDecoderStream`), which
 * `readBodyRecords` drives directly, without a stream (after the content
 * coding's, if any); JSON as a `TransformStream`.
 */
export function bodyFraming(
  request: Request,
  format: string | undefined,
  maxRecordBytes: number,
):
  | TransformStream<Uint8Array, Uint8Array>
  | ByteTransformer {
  if (format !== undefined && format !== "json" && !isRecordFraming(format)) {
    throw badQuery(
      `format must be ndjson, length-prefixed or json, got ${
        JSON.stringify(format)
      }`,
    );
  }
  const contentType = request.headers.get("content-type");
  if (
    format === "json" ||
    (format === undefined && mediaType(contentType) === "application/json")
  ) {
    return new JsonSplitStream({ maxRecordBytes });
  }
  const framing = format ?? framingOfContentType(contentType);
  if (framing === undefined) {
    throw new HttpError(
      415,
      "UnsupportedMediaType",
      `Content-Type ${
        mediaType(contentType)
      } is not supported: use application/x-ndjson, application/json (an array: one record per element), or application/octet-stream for u32 little-endian length-prefixed records`,
    );
  }
  return framing === "ndjson"
    ? lineSplitter(true, maxRecordBytes)
    : lengthPrefixDecoder(maxRecordBytes);
}
