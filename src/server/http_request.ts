/**
 * Reading the parts of an HTTP request the ingest server takes: the bearer
 * token, the queue name in the path, query parameters, the body's framing.
 * Each raises {@linkcode HttpError} on bad input.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { queueNameBytes } from "../log/arguments.ts";
import {
  framingOfContentType,
  isRecordFraming,
  mediaType,
  recordSplitStream,
} from "../streams/record_framing.ts";
import { parsePositionText } from "../wire/position_text.ts";

/** An error answered with its HTTP status, headers and a JSON body. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** Headers of the answer. */
  readonly headers: Record<string, string>;
  /** Builds the error: `name` is the `error` field of the JSON body. */
  constructor(
    status: number,
    name: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = name;
    this.status = status;
    this.headers = headers;
  }
}

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
        { "www-authenticate": 'Bearer realm="mrecordlog"' },
      );
    }
  };
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

const CONTROL = /\p{Cc}/u;

/**
 * The queue name of a path segment, percent-decoded: the library's rules
 * (non-empty well-formed UTF-8 of at most 65,535 bytes), and no `/`, `\`,
 * `..` or control characters.
 */
export function parseQueueName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw badName("The queue name is not valid percent-encoded UTF-8");
  }
  if (name === "") throw badName("The queue name is empty");
  if (/[/\\]|\.\./.test(name) || CONTROL.test(name)) {
    throw badName(
      "A queue name must not hold '/', '\\', '..' or control characters",
    );
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
    { allow: methods.join(", ") },
  );
}

/** The query parameters, refusing (400) unknown or repeated ones. */
export function parseQuery(url: URL, known: string[]): Map<string, string> {
  const query = new Map<string, string>();
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
 * The framing transform of a request body: `format` (`ndjson` or
 * `length-prefixed`) if given, else by content type
 * ({@linkcode framingOfContentType}): NDJSON (or none) splits lines,
 * `application/octet-stream` reads u32 little-endian length prefixes; any
 * other type is a 415.
 */
export function bodyFraming(
  request: Request,
  format: string | undefined,
  maxRecordBytes: number,
): TransformStream<Uint8Array, Uint8Array> {
  if (format !== undefined && !isRecordFraming(format)) {
    throw badQuery(
      `format must be ndjson or length-prefixed, got ${JSON.stringify(format)}`,
    );
  }
  const contentType = request.headers.get("content-type");
  const framing = format ?? framingOfContentType(contentType);
  if (framing === undefined) {
    throw new HttpError(
      415,
      "UnsupportedMediaType",
      `Content-Type ${
        mediaType(contentType)
      } is not supported: use application/x-ndjson, or application/octet-stream for u32 little-endian length-prefixed records`,
    );
  }
  return recordSplitStream(framing, { maxRecordBytes });
}

/** The 413 of a body over `maxBodyBytes`. */
export function bodyTooLarge(maxBodyBytes: number): HttpError {
  return new HttpError(
    413,
    "BodyTooLarge",
    `The request body exceeds ${maxBodyBytes} bytes`,
  );
}

/** Passes bytes through, erroring with a 413 once more than `max` went by. */
export function byteLimit(
  max: number,
): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > max) throw bodyTooLarge(max);
      controller.enqueue(chunk);
    },
  });
}

/**
 * Errors the body with a 408 when no bytes arrive for `ms` milliseconds, so
 * that a stalled upload cannot hold its queue's appends forever.
 */
export function idleLimit(ms: number): TransformStream<Uint8Array, Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (controller: TransformStreamDefaultController<Uint8Array>) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        controller.error(
          new HttpError(408, "RequestTimeout", `No body bytes for ${ms} ms`),
        );
      } catch {
        // The stream already ended.
      }
    }, ms);
  };
  return new TransformStream({
    start: arm,
    transform(chunk, controller) {
      arm(controller);
      controller.enqueue(chunk);
    },
    flush() {
      clearTimeout(timer);
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}
