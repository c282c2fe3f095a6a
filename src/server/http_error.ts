/**
 * The errors of the ingest server and how each is answered: an
 * {@linkcode HttpError} carries its own status; the library's errors are
 * mapped by `name` (so that an error class added to the library later, such
 * as `DiskLimitError`, is answered right without an import).
 *
 * @module
 */

import { jsonResponse } from "./http_response.ts";

/** An error answered with its HTTP status, headers and a JSON body. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** Headers of the answer. */
  readonly headers: Record<string, string>;
  /** Fields added to the JSON body, next to `error` and `message`. */
  readonly fields: Record<string, unknown>;
  /** Builds the error: `name` is the `error` field of the JSON body. */
  constructor(
    status: number,
    name: string,
    message: string,
    options: {
      headers?: Record<string, string>;
      fields?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = name;
    this.status = status;
    this.headers = options.headers ?? {};
    this.fields = options.fields ?? {};
  }
}

/** The 503 answered to every request once the server is closing. */
export function serverClosing(): HttpError {
  return new HttpError(503, "ServerClosing", "The server is shutting down", {
    headers: { connection: "close" },
  });
}

/** How a library error is answered. */
interface LibraryErrorAnswer {
  /** The HTTP status. */
  status: number;
  /** For a 429, the limit it reports (`limit` in the body). */
  limit?: string;
  /** The error's properties copied into the body (`undefined` as `null`). */
  fields?: string[];
}

/** The library's errors a request can meet, by name. */
const LIBRARY_ERRORS: Record<string, LibraryErrorAnswer> = {
  MissingQueueError: { status: 404 },
  MissingConsumerError: { status: 404 },
  QueueAlreadyExistsError: { status: 409 },
  ConsumerAlreadyExistsError: { status: 409 },
  PositionInPastError: { status: 409, fields: ["nextPosition"] },
  RecordTooLargeError: { status: 413 },
  TruncatedInputError: { status: 400 },
  MemoryLimitError: { status: 429, limit: "memory" },
  DiskLimitError: { status: 429, limit: "disk" },
  RetentionLimitError: {
    status: 429,
    limit: "retention",
    fields: ["maxRecords", "maxBytes", "records", "bytes"],
  },
  LogClosedError: { status: 503 },
  LogFailedError: { status: 503 },
};

/** Options of {@linkcode errorResponse}. */
export interface ErrorResponseOptions {
  /** The `Retry-After` (seconds) of a 429 that does not carry its own. */
  retryAfter: string;
  /** Called with an unexpected error (answered 500 `InternalError`). */
  onError: (error: unknown) => void;
}

/**
 * The answer to `error`: a JSON body `{"error": name, "message": …}` with the
 * status of an {@linkcode HttpError} (and its headers and fields) or of the
 * library's error of that name (409 `PositionInPastError` adds
 * `nextPosition`; the 429s `MemoryLimitError`, `DiskLimitError` and
 * `RetentionLimitError` add `limit` and `Retry-After`, the last one its
 * limits and what the queue would hold). Anything else is a 500 `InternalError`, passed to
 * `onError`: the only answer that logs.
 */
export function errorResponse(
  error: unknown,
  options: ErrorResponseOptions,
): Response {
  if (error instanceof HttpError) {
    const headers = { ...error.headers };
    if (error.status === 429) headers["retry-after"] ??= options.retryAfter;
    return jsonResponse(error.status, {
      error: error.name,
      message: error.message,
      ...error.fields,
    }, headers);
  }
  const name = error instanceof Error ? error.name : "";
  const known = LIBRARY_ERRORS[name];
  if (known === undefined) {
    options.onError(error);
    return jsonResponse(500, {
      error: "InternalError",
      message: error instanceof Error ? error.message : String(error),
    });
  }
  const body: Record<string, unknown> = {
    error: name,
    message: (error as Error).message,
  };
  const headers: Record<string, string> = {};
  for (const field of known.fields ?? []) {
    body[field] = (error as unknown as Record<string, unknown>)[field] ?? null;
  }
  if (known.limit !== undefined) {
    body.limit = known.limit;
    headers["retry-after"] = options.retryAfter;
  }
  return jsonResponse(known.status, body, headers);
}

/**
 * Runs `task`, answering the `RangeError` (a library argument refused) it
 * raises as a 400 named `name` with the library's message.
 */
export async function rangeErrorAs<T>(
  name: string,
  task: () => Promise<T>,
): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof RangeError) {
      throw new HttpError(400, name, error.message);
    }
    throw error;
  }
}

/**
 * The limit a 429 answer to `error` reports (`memory`, `disk`, `retention`,
 * `rate`), or `undefined` if `error` is not answered 429.
 */
export function limitOf(error: unknown): string | undefined {
  if (error instanceof HttpError) {
    const limit = error.fields.limit;
    return error.status === 429 && typeof limit === "string"
      ? limit
      : undefined;
  }
  return LIBRARY_ERRORS[(error as Error | undefined)?.name ?? ""]?.limit;
}
