/**
 * The answers of the ingest server: JSON bodies, and records as NDJSON
 * lines.
 *
 * @module
 */

import type { LogRecord } from "../log/mem_queue.ts";
import { encodeRecordLine } from "../wire/record_line.ts";

const encoder = new TextEncoder();

const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON answer (one line), with `headers` besides its content type. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    // No spread without extra headers: it doubled the cost of the answer.
    headers: headers === undefined
      ? { "content-type": JSON_TYPE }
      : { "content-type": JSON_TYPE, ...headers },
  });
}

/** An error's name and message. */
function describeError(
  error: unknown,
): { name: string; message: string } {
  if (error instanceof Error) {
    return { name: error.name, message: error.message };
  }
  return { name: "Error", message: String(error) };
}

/** Options of {@linkcode ndjsonRecords}. */
export interface NdjsonRecordsOptions {
  /** Ends the stream when aborted. */
  signal?: AbortSignal;
  /**
   * Sends an empty line at once if no record is ready, and then after every
   * `keepAliveMs` without a record (0: never): so that the answer starts
   * (some servers send no headers before the first bytes) and idle
   * connections stay open.
   */
  keepAliveMs?: number;
  /** Called once, when the stream ends (or is cancelled). */
  onEnd?: () => void;
  /** Ends the stream after this many records (and cancels `records`). Default: no limit. */
  limit?: number;
}

const NEWLINE = new Uint8Array([0x0a]);

/**
 * `records` as NDJSON lines `{"position":N,"payload":"<base64>"}`, and empty
 * keep-alive lines as `options.keepAliveMs` says. Ends when `records` ends,
 * after `options.limit` records, when `options.signal` aborts, or when the
 * client goes away (the body is
 * cancelled, which cancels `records`); a read error ends it with a last line
 * `{"error": name, "message": …}`.
 */
export function ndjsonRecords(
  records: ReadableStream<LogRecord>,
  options: NdjsonRecordsOptions = {},
): ReadableStream<Uint8Array> {
  const { signal, keepAliveMs = 0, limit = Infinity } = options;
  const reader = records.getReader();
  let sent = 0;
  let ended = false;
  let started = false;
  let pending: Promise<ReadableStreamReadResult<LogRecord>> | undefined;
  const stop = (): void => {
    reader.cancel().catch(() => {});
  };
  const end = (): void => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", stop);
    options.onEnd?.();
  };
  if (signal?.aborted) stop();
  else signal?.addEventListener("abort", stop);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        pending ??= reader.read();
        if (keepAliveMs > 0) {
          const waitMs = started ? keepAliveMs : 0;
          started = true;
          if (await orTick(pending, waitMs) === "tick") {
            controller.enqueue(NEWLINE);
            return;
          }
        }
        const { done, value } = await pending;
        pending = undefined;
        if (done) {
          end();
          controller.close();
          return;
        }
        controller.enqueue(encodeRecordLine(value));
        if (++sent >= limit) {
          end();
          controller.close();
          stop();
        }
      } catch (error) {
        end();
        const { name, message } = describeError(error);
        controller.enqueue(
          encoder.encode(JSON.stringify({ error: name, message }) + "\n"),
        );
        controller.close();
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 16 });
}

/** What `pending` settles to, or `"tick"` if that takes more than `ms`. */
async function orTick<T>(pending: Promise<T>, ms: number): Promise<T | "tick"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<"tick">((resolve) => {
    timer = setTimeout(() => resolve("tick"), ms);
  });
  try {
    return await Promise.race([pending, tick]);
  } finally {
    clearTimeout(timer);
  }
}
