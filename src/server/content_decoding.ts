/**
 * A request body's `Content-Encoding`, undone as the body arrives: `gzip`
 * (or `x-gzip`) and `deflate` on every runtime, `br` on Node and Bun (not on
 * Deno, whose `node:zlib` Brotli decoder takes a truncated stream as
 * complete), `identity` (or none) as is. Decompression is pulled: the next
 * compressed chunk is given to the decompressor only once its output so far
 * has been read, so that a small body that inflates a lot (a "zip bomb") is
 * stopped by the reader's limit within about 16 KiB of output past it,
 * never inflated whole.
 *
 * This uses `node:zlib` rather than `DecompressionStream`: Node 20's
 * `DecompressionStream` reads all its input ahead (its output queue holds
 * 16,384 chunks), and Deno's inflates each written chunk whole (a 16 KiB
 * chunk of a bomb is 16 MiB at once); `node:zlib` waits for its output to be
 * read, on Deno, Bun and Node alike.
 *
 * @module
 */

import type { Transform } from "node:stream";
import zlib, { type Zlib } from "node:zlib";
import { HttpError } from "./http_error.ts";

/** Undoes a body's content coding: the compressed stream in, the bytes out. */
export type BodyDecoder = (
  raw: ReadableStream<Uint8Array>,
) => ReadableStream<Uint8Array>;

/** A `node:zlib` decompression stream. */
type Decompressor = Transform & Zlib;

/** The decompressors of the codings taken, by name. */
const DECOMPRESSORS = new Map<string, () => Decompressor>([
  ["gzip", () => zlib.createGunzip()],
  ["x-gzip", () => zlib.createGunzip()],
  ["deflate", () => zlib.createInflate()],
  // Deno's node:zlib takes a truncated Brotli stream without an error.
  ...("Deno" in globalThis ? [] : [
    ["br", () => zlib.createBrotliDecompress()] as [string, () => Decompressor],
  ]),
]);

/**
 * The content codings a request body may have on this runtime, for
 * `Accept-Encoding`: `gzip`, `deflate`, `br` (not on Deno) and `identity`.
 */
export const BODY_ENCODINGS: readonly string[] = [
  "gzip",
  "deflate",
  ...(DECOMPRESSORS.has("br") ? ["br"] : []),
  "identity",
];

/**
 * The decoder of the request's body by its `Content-Encoding`, or
 * `undefined` if it is not encoded (no header, empty or `identity`). Raises
 * a 415 `UnsupportedEncoding` (with `Accept-Encoding` listing
 * {@linkcode BODY_ENCODINGS}) for an unknown coding or more than one. The
 * decoder's stream errors with a 400 `BadEncoding` if the bytes are not
 * valid for the coding (corrupt or cut short); an error of the body itself
 * passes through as it is.
 */
export function bodyDecoder(request: Request): BodyDecoder | undefined {
  const header = request.headers.get("content-encoding");
  if (header === null) return undefined;
  const codings = header.split(",").map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return undefined;
  const create = codings.length === 1
    ? DECOMPRESSORS.get(codings[0])
    : undefined;
  if (create === undefined) {
    throw new HttpError(
      415,
      "UnsupportedEncoding",
      `Content-Encoding ${JSON.stringify(header)} is not supported: use ${
        BODY_ENCODINGS.join(", ")
      } (one coding)`,
      { headers: { "accept-encoding": BODY_ENCODINGS.join(", ") } },
    );
  }
  const coding = codings[0];
  return (raw) => decompressed(raw, create(), coding);
}

/**
 * `raw` decompressed by `decompressor`, pulled: one input chunk at a time is
 * written to it, and only when its output so far has been read (zlib pauses
 * while its output buffer is full), so that the reader's limits stop it.
 */
function decompressed(
  raw: ReadableStream<Uint8Array>,
  decompressor: Decompressor,
  coding: string,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    new DecompressingSource(raw.getReader(), decompressor, coding),
    { highWaterMark: 0 },
  );
}

/**
 * The underlying source of {@linkcode decompressed}'s stream: the
 * compressed body's reader, the decompressor, and where the two are.
 */
class DecompressingSource {
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decompressor: Decompressor;
  readonly #coding: string;
  #failure: { error: unknown; ofSource: boolean } | undefined;
  #ended = false; // the decompressor's output ended
  #writing = false; // a chunk is written, not processed yet
  #inputDone = false;
  #fed = 0; // compressed bytes written to the decompressor
  #waiting: (() => void) | undefined;

  constructor(
    source: ReadableStreamDefaultReader<Uint8Array>,
    decompressor: Decompressor,
    coding: string,
  ) {
    this.#source = source;
    this.#decompressor = decompressor;
    this.#coding = coding;
    decompressor.on("error", (error: unknown) => {
      this.#failure ??= { error, ofSource: false };
      this.#wake();
    });
    decompressor.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    decompressor.on("readable", () => this.#wake());
  }

  /** Enqueues the next decompressed bytes, feeding input as needed. */
  async pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    const decompressor = this.#decompressor;
    for (;;) {
      const failure = this.#failure;
      if (failure !== undefined) {
        if (failure.ofSource) throw failure.error;
        throw badEncoding(this.#coding, failure.error);
      }
      const out: Uint8Array | null = decompressor.read();
      if (out !== null) {
        return controller.enqueue(
          new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
        );
      }
      if (this.#ended) {
        // zlib stops at the end of the compressed data and drops the rest.
        const extra = this.#fed - decompressor.bytesWritten;
        if (extra > 0) {
          throw badEncoding(
            this.#coding,
            `${extra} bytes after the end of the compressed data`,
          );
        }
        return controller.close();
      }
      if (!this.#writing && !this.#inputDone) await this.#feed();
      else await new Promise<void>((resolve) => this.#waiting = resolve);
    }
  }

  /** Stops decompressing, and cancels the compressed body. */
  cancel(reason: unknown): Promise<void> {
    this.#decompressor.destroy();
    return this.#source.cancel(reason);
  }

  /** Ends the wait for the decompressor, if `pull` waits. */
  #wake(): void {
    const resume = this.#waiting;
    this.#waiting = undefined;
    resume?.();
  }

  /** Writes the body's next chunk to the decompressor, or ends its input. */
  async #feed(): Promise<void> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.#source.read();
    } catch (error) {
      this.#failure ??= { error, ofSource: true };
      return;
    }
    if (result.done) {
      this.#inputDone = true;
      this.#decompressor.end();
    } else {
      this.#writing = true;
      this.#fed += result.value.byteLength;
      this.#decompressor.write(result.value, () => {
        this.#writing = false;
        this.#wake();
      });
    }
  }
}

/** The 400 of a body that is not valid `coding` data, for `error`. */
function badEncoding(coding: string, error: unknown): HttpError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpError(
    400,
    "BadEncoding",
    `The body is not valid ${coding} data: ${reason}`,
  );
}
