/**
 * Standard input and output as web streams, and a progress line on stderr,
 * the same under Deno and Bun.
 *
 * @module
 */

import { writeSync } from "node:fs";
import process from "node:process";
import { Readable } from "node:stream";

interface BunStdin {
  Bun: { stdin: { stream(): ReadableStream<Uint8Array> } };
}

/** Standard input as a byte stream. */
export function stdinStream(): ReadableStream<Uint8Array> {
  if ("Deno" in globalThis) return Deno.stdin.readable;
  if ("Bun" in globalThis) {
    return (globalThis as unknown as BunStdin).Bun.stdin.stream();
  }
  return Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>;
}

/**
 * Standard output as a byte stream: each write resolves once the bytes are
 * handed over. A closed pipe (`EPIPE`) rejects the write with an error whose
 * `code` is `"EPIPE"`; see {@linkcode isBrokenPipe}.
 */
export function stdoutStream(): WritableStream<Uint8Array> {
  // Without a listener, an EPIPE would also be thrown as an uncaught error.
  if (process.stdout.listenerCount("error") === 0) {
    process.stdout.on("error", () => {});
  }
  return new WritableStream<Uint8Array>({
    write(chunk): Promise<void> {
      return new Promise((resolve, reject) => {
        process.stdout.write(
          chunk,
          (error) => error ? reject(error) : resolve(),
        );
      });
    },
  });
}

/** True for the error of writing to a closed pipe (`… | head`). */
export function isBrokenPipe(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    ((error as { code?: unknown }).code === "EPIPE" ||
      (error as { name?: unknown }).name === "BrokenPipe");
}

/** Writes one line to stderr, synchronously. */
export function printError(line: string): void {
  writeSync(2, line + "\n");
}

/** Writes `warning: <message>` to stderr: the log's `onWarning`. */
export function printWarning(message: string): void {
  printError(`warning: ${message}`);
}

/** Writes `text` to stdout; resolves once it is handed over. */
export async function print(text: string): Promise<void> {
  const writer = stdoutStream().getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
  } finally {
    writer.releaseLock();
  }
}

/**
 * A progress line on stderr, redrawn in place at most every 100 ms. It is
 * shown only when stderr is a terminal, or when the environment variable
 * `MRECORDLOG_PROGRESS=1` forces it.
 */
export class ProgressLine {
  readonly #enabled: boolean;
  #last = 0;
  #shown = false;

  /** Builds a progress line; `enabled` defaults to the rule above. */
  constructor(enabled?: boolean) {
    this.#enabled = enabled ??
      (process.stderr.isTTY === true ||
        process.env.MRECORDLOG_PROGRESS === "1");
  }

  /** Shows `text` (built lazily), unless shown less than 100 ms ago. */
  update(text: () => string): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (this.#shown && now - this.#last < 100) return;
    this.#last = now;
    this.#shown = true;
    writeSync(2, `\r\x1b[K${text()}`);
  }

  /** Erases the line, if shown. */
  done(): void {
    if (!this.#shown) return;
    this.#shown = false;
    writeSync(2, "\r\x1b[K");
  }
}

/** `bytes` in a short human form: `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
