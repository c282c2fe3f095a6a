/**
 * Standard input and output as web streams, and messages on stderr, the
 * same under Deno and Bun (the progress line is in `progress.ts`).
 *
 * @module
 */

import { fstatSync, writeSync } from "node:fs";
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
 * The size of standard input when it is a regular file (`< file`), where
 * reading it to the end reads that much; `undefined` for a pipe or a
 * terminal.
 */
export function stdinFileSize(): number | undefined {
  try {
    const stat = fstatSync(0);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

let stdoutErrorsIgnored = false;

/**
 * Standard output as a byte stream: each write resolves once the bytes are
 * handed over. A closed pipe (`EPIPE`) rejects the write with an error whose
 * `code` is `"EPIPE"`; see {@linkcode isBrokenPipe}.
 */
export function stdoutStream(): WritableStream<Uint8Array> {
  // Without a listener, an EPIPE would also be thrown as an uncaught error.
  // Not counted with listenerCount: on Node, a worker thread's output is
  // piped into stdout, and that pipe's listener is gone after the first error.
  if (!stdoutErrorsIgnored) {
    process.stdout.on("error", () => {});
    stdoutErrorsIgnored = true;
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
