import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type ReadBodyOptions,
  readBodyRecords,
  type WholeBody,
} from "../../src/server/body_records.ts";
import { bodyMemory } from "../../src/server/body_memory.ts";
import { HttpError } from "../../src/server/http_error.ts";
import { lengthPrefixDecoder } from "../../src/streams/length_prefix_decoder_stream.ts";
import { lineSplitter } from "../../src/streams/line_split_stream.ts";
import {
  type RecordFraming,
  recordSplitStream,
} from "../../src/streams/record_framing.ts";

/** A small seeded PRNG (mulberry32): the same cases on every runtime. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `body` cut at random points (empty chunks included now and then). */
function chunked(body: Uint8Array, rand: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    const n = rand() < 0.05 ? 0 : 1 + Math.floor(rand() * rand() * 40);
    // Some chunks are views into larger buffers (as runtimes hand them).
    const end = Math.min(body.length, at + n);
    if (rand() < 0.3) {
      const buffer = new Uint8Array(end - at + 64);
      buffer.set(body.subarray(at, end), 7);
      chunks.push(buffer.subarray(7, 7 + end - at));
    } else {
      chunks.push(body.slice(at, end));
    }
    at = end;
  }
  return chunks;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

interface Outcome {
  records?: string[];
  error?: string;
  held: number;
}

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Reads `chunks` as a body framed as `framing`: `direct` with the framing's
 * transformer (driven without streams), else through the framing's stream
 * (`LineSplitStream` / `LengthPrefixDecoderStream`, the stream path).
 */
async function read(
  chunks: Uint8Array[] | ReadableStream<Uint8Array>,
  framing: RecordFraming,
  direct: boolean,
  options: Partial<ReadBodyOptions> & { maxRecordBytes?: number } = {},
): Promise<Outcome> {
  const maxRecordBytes = options.maxRecordBytes ?? 32;
  const memory = bodyMemory({
    retainedBytes: 0,
    memoryLimitBytes: Infinity,
  });
  try {
    const { records, heldBytes } = await readBodyRecords(
      Array.isArray(chunks) ? streamOf(chunks) : chunks,
      {
        maxBodyBytes: 1 << 20,
        idleTimeoutMs: 10_000,
        ...options,
        memory,
        framing: direct
          ? framing === "ndjson"
            ? lineSplitter(true, maxRecordBytes)
            : lengthPrefixDecoder(maxRecordBytes)
          : recordSplitStream(framing, { maxRecordBytes }),
      },
    );
    assert.equal(memory.heldBytes, heldBytes);
    return { records: records.map(hex), held: heldBytes };
  } catch (error) {
    const e = error as Error;
    const status = error instanceof HttpError ? ` ${error.status}` : "";
    return {
      error: `${e.name}${status}: ${e.message}`,
      held: memory.heldBytes,
    };
  }
}

const encoder = new TextEncoder();

/** `body` as a `WholeBody` that has arrived (its `read` resolves at once). */
function wholeOf(body: Uint8Array): WholeBody {
  return {
    read: () => Promise.resolve(body.slice().buffer),
  };
}

/** A random NDJSON body and the records it holds (undefined: too large). */
function ndjsonCase(rand: () => number, maxRecordBytes: number): {
  body: Uint8Array;
  expected: string[] | undefined;
} {
  const lines: string[] = [];
  let text = "";
  let tooLarge = false;
  const count = Math.floor(rand() * 12);
  for (let i = 0; i < count; i++) {
    const long = rand() < 0.04;
    const length = long
      ? maxRecordBytes + 1 + Math.floor(rand() * 20)
      : Math.floor(rand() * rand() * (maxRecordBytes + 1));
    let line = "";
    for (let j = 0; j < length; j++) {
      const r = rand();
      line += r < 0.03 ? "\r" : String.fromCharCode(0x61 + Math.floor(r * 26));
    }
    const last = i === count - 1 && rand() < 0.4; // no final newline
    const ending = last ? "" : rand() < 0.5 ? "\r\n" : "\n";
    text += line + ending;
    // One `\r` right before the `\n` is part of the line ending; a last
    // line without `\n` keeps its `\r`.
    const record = ending === "\n" && line.endsWith("\r")
      ? line.slice(0, -1)
      : line;
    if (record.length > maxRecordBytes) tooLarge = true;
    if (record.length > 0) lines.push(record);
  }
  return {
    body: encoder.encode(text),
    expected: tooLarge ? undefined : lines.map((l) => hex(encoder.encode(l))),
  };
}

/** A random length-prefixed body: its records, or undefined if it must fail. */
function lengthPrefixedCase(rand: () => number, maxRecordBytes: number): {
  body: Uint8Array;
  expected: string[] | undefined;
} {
  const parts: number[] = [];
  const records: string[] = [];
  const ends = [0]; // the body's length after each record
  let tooLarge = false;
  const count = Math.floor(rand() * 10);
  for (let i = 0; i < count && !tooLarge; i++) {
    tooLarge = rand() < 0.04;
    const length = tooLarge
      ? maxRecordBytes + 1 + Math.floor(rand() * 1000)
      : Math.floor(rand() * (maxRecordBytes + 1));
    parts.push(length & 0xff, (length >> 8) & 0xff, 0, 0);
    const record = Array.from(
      { length: tooLarge ? 3 : length },
      () => Math.floor(rand() * 256),
    );
    parts.push(...record);
    records.push(hex(new Uint8Array(record)));
    ends.push(parts.length);
  }
  const body = new Uint8Array(parts);
  if (tooLarge) return { body, expected: undefined };
  if (body.length === 0 || rand() >= 0.2) return { body, expected: records };
  // Truncated: inside a prefix or a record, or (rarely) right after one.
  const cut = Math.floor(rand() * body.length);
  const whole = ends.indexOf(cut);
  return {
    body: body.subarray(0, cut),
    expected: whole < 0 ? undefined : records.slice(0, whole),
  };
}

describe("readBodyRecords: a framing transformer driven directly and through streams", () => {
  for (const framing of ["ndjson", "length-prefixed"] as const) {
    test(`${framing}: identical records and errors for random bodies in random chunks`, async () => {
      const rand = random(framing === "ndjson" ? 18 : 81);
      const errors = new Set<string>();
      let valid = 0;
      for (let i = 0; i < 300; i++) {
        const { body, expected } = framing === "ndjson"
          ? ndjsonCase(rand, 32)
          : lengthPrefixedCase(rand, 32);
        const chunks = chunked(body, rand);
        const direct = await read(chunks, framing, true);
        const piped = await read(chunks, framing, false);
        assert.deepEqual(direct, piped, `case ${i}`);
        assert.deepEqual(
          await read(chunks, framing, true, { whole: wholeOf(body) }),
          direct,
          `case ${i}, read whole`,
        );
        if (expected === undefined) {
          assert.ok(direct.error !== undefined, `case ${i} should fail`);
          assert.equal(direct.held, 0, "nothing held after an error");
          errors.add(direct.error.split(":")[0]);
        } else {
          assert.deepEqual(direct.records, expected, `case ${i}`);
          assert.equal(direct.held, body.length);
          valid++;
        }
      }
      assert.ok(valid > 100, `${valid} valid bodies`);
      assert.ok(errors.has("RecordTooLargeError"), [...errors].join());
      if (framing === "length-prefixed") {
        assert.ok(errors.has("TruncatedInputError"), [...errors].join());
      }
    });
  }

  test("CRLF, a last line without newline, empty lines, a line split at its \\r", async () => {
    const body = encoder.encode("a\r\n\r\n\nbb\r");
    const pieces = [
      [body],
      [body.subarray(0, 1), body.subarray(1, 2), body.subarray(2)],
      [body.subarray(0, body.length - 1), body.subarray(body.length - 1)],
      Array.from(body, (b) => new Uint8Array([b])),
    ];
    for (const chunks of pieces) {
      const direct = await read(chunks, "ndjson", true);
      assert.deepEqual(direct, await read(chunks, "ndjson", false));
      // The last line keeps its `\r`: it has no `\n` after it.
      assert.deepEqual(direct.records, [hex(encoder.encode("a")), "62620d"]);
    }
  });

  test("over-limit records and truncated prefixes: the same errors, nothing held", async () => {
    const cases: [RecordFraming, Uint8Array][] = [
      ["ndjson", encoder.encode("ok\n" + "x".repeat(33) + "\nok\n")],
      ["ndjson", encoder.encode("x".repeat(40))],
      ["length-prefixed", new Uint8Array([33, 0, 0, 0, 1, 2])],
      ["length-prefixed", new Uint8Array([1, 0, 0, 0, 9, 2, 0])],
      ["length-prefixed", new Uint8Array([5, 0, 0, 0, 1, 2])],
    ];
    const want = [
      "RecordTooLargeError",
      "RecordTooLargeError",
      "RecordTooLargeError",
      "TruncatedInputError",
      "TruncatedInputError",
    ];
    for (const [i, [framing, body]] of cases.entries()) {
      for (
        const chunks of [
          [body],
          Array.from(body, (b) => Uint8Array.of(b)),
        ]
      ) {
        const direct = await read(chunks, framing, true);
        assert.deepEqual(direct, await read(chunks, framing, false));
        assert.ok(direct.error?.startsWith(want[i]), direct.error);
        assert.equal(direct.held, 0);
      }
    }
  });

  test("the body limit, an idle body, the server closing, a body that errors: the same answers", async () => {
    for (const framing of ["ndjson", "length-prefixed"] as const) {
      const body = framing === "ndjson"
        ? encoder.encode("aaaa\nbbbb\ncccc\n")
        : new Uint8Array([4, 0, 0, 0, 1, 2, 3, 4, 4, 0, 0, 0, 5, 6, 7, 8]);
      const over = await read(
        [body.subarray(0, 8), body.subarray(8)],
        framing,
        true,
        {
          maxBodyBytes: 10,
        },
      );
      assert.equal(
        over.error,
        "BodyTooLarge 413: The request body exceeds 10 bytes",
      );
      assert.deepEqual(
        over,
        await read([body.subarray(0, 8), body.subarray(8)], framing, false, {
          maxBodyBytes: 10,
        }),
      );
      const stalls = (): ReadableStream<Uint8Array> =>
        new ReadableStream({
          start(controller) {
            controller.enqueue(body.subarray(0, 3));
          },
        });
      for (const direct of [true, false]) {
        const idle = await read(stalls(), framing, direct, {
          idleTimeoutMs: 30,
        });
        assert.equal(
          idle.error,
          "RequestTimeout 408: The body sent nothing for 30 ms",
        );
        assert.equal(idle.held, 0);
        const closing = new AbortController();
        const closed = read(stalls(), framing, direct, {
          signal: closing.signal,
        });
        setTimeout(() => closing.abort(), 10);
        const answer = await closed;
        assert.match(answer.error ?? "", /^ServerClosing 503/);
        assert.equal(answer.held, 0);
        const gone = await read(
          new ReadableStream({
            start(controller) {
              controller.enqueue(body.subarray(0, 3));
            },
            pull(controller) {
              controller.error(new Error("client gone"));
            },
          }),
          framing,
          direct,
        );
        assert.equal(
          gone.error,
          "BadBody 400: The request body could not be read: client gone",
        );
        assert.equal(gone.held, 0);
      }
    }
  });

  test("one-byte views of 64 KiB buffers: the records hold about the body's bytes", async () => {
    const text = "x".repeat(20_000) + "\n" + "y\n".repeat(2_000);
    const chunks = Array.from(encoder.encode(text), (byte) => {
      const buffer = new Uint8Array(64 * 1024);
      buffer[9] = byte;
      return buffer.subarray(9, 10);
    });
    const memory = bodyMemory({ retainedBytes: 0, memoryLimitBytes: Infinity });
    const { records } = await readBodyRecords(streamOf(chunks), {
      framing: lineSplitter(true, 1 << 20),
      maxBodyBytes: 1 << 20,
      idleTimeoutMs: 10_000,
      memory,
    });
    assert.equal(records.length, 2_001);
    const buffers = new Set(records.map((r) => r.buffer));
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.byteLength;
    assert.ok(bytes <= text.length + 100 * 1024, `${bytes} bytes held`);
  });
});

describe("readBodyRecords: a small body of declared length read whole", () => {
  const body = encoder.encode("aaaa\nbbbb\ncccc\n");
  const never: WholeBody = {
    read: () => new Promise(() => {}),
  };

  test("its records, its bytes held; a stream given beside it is not read", async () => {
    const stream = new ReadableStream<Uint8Array>();
    const outcome = await read(stream, "ndjson", true, {
      whole: wholeOf(body),
    });
    assert.deepEqual(outcome.records, ["61616161", "62626262", "63636363"]);
    assert.equal(outcome.held, body.length);
    assert.equal(stream.locked, false);
  });

  test("with a decoder or a streaming framing, the stream is read instead", async () => {
    const other = encoder.encode("zz\n");
    const outcome = await read([other], "ndjson", false, {
      whole: wholeOf(body),
    });
    assert.deepEqual(outcome.records, ["7a7a"]);
  });

  test("a body that never arrives: 408 after the idle timeout, nothing held", async () => {
    const idle = await read([], "ndjson", true, {
      whole: never,
      idleTimeoutMs: 30,
    });
    assert.equal(
      idle.error,
      "RequestTimeout 408: The body sent nothing for 30 ms",
    );
    assert.equal(idle.held, 0);
    // The rest of the body may still come: the connection is not reused.
    await assert.rejects(
      readBodyRecords(null, {
        framing: lineSplitter(true, 32),
        maxBodyBytes: 1 << 20,
        idleTimeoutMs: 1,
        memory: bodyMemory({ retainedBytes: 0, memoryLimitBytes: Infinity }),
        whole: never,
      }),
      (error: HttpError) => error.headers.connection === "close",
    );
  });

  test("bytes are counted once they arrive: a declared length alone holds no memory", async () => {
    const memory = bodyMemory({ retainedBytes: 0, memoryLimitBytes: 100 });
    let arrive: (bytes: ArrayBuffer) => void = () => {};
    const pending = readBodyRecords(null, {
      framing: lineSplitter(true, 32),
      maxBodyBytes: 1 << 20,
      idleTimeoutMs: 10_000,
      memory,
      whole: {
        read: () => new Promise((resolve) => arrive = resolve),
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(memory.heldBytes, 0);
    memory.reserve(90); // another body meanwhile: under the limit
    arrive(body.slice().buffer);
    await assert.rejects(pending, { name: "MemoryLimitError" });
    assert.equal(memory.heldBytes, 90);
  });

  test("the server closing: 503, nothing held", async () => {
    const closing = new AbortController();
    const closed = read([], "ndjson", true, {
      whole: never,
      signal: closing.signal,
    });
    setTimeout(() => closing.abort(), 10);
    const answer = await closed;
    assert.match(answer.error ?? "", /^ServerClosing 503/);
    assert.equal(answer.held, 0);
  });

  test("a body that cannot be read: 400 BadBody; over the limits: 413 or the memory limit; nothing held", async () => {
    const gone = await read([], "ndjson", true, {
      whole: { read: () => Promise.reject(new Error("client gone")) },
    });
    assert.equal(
      gone.error,
      "BadBody 400: The request body could not be read: client gone",
    );
    assert.equal(gone.held, 0);
    const over = await read([], "ndjson", true, {
      whole: wholeOf(body),
      maxBodyBytes: 10,
    });
    assert.equal(
      over.error,
      "BodyTooLarge 413: The request body exceeds 10 bytes",
    );
    const memory = bodyMemory({ retainedBytes: 100, memoryLimitBytes: 110 });
    await assert.rejects(
      readBodyRecords(null, {
        framing: lineSplitter(true, 32),
        maxBodyBytes: 1 << 20,
        idleTimeoutMs: 10_000,
        memory,
        whole: wholeOf(body),
      }),
      { name: "MemoryLimitError" },
    );
    assert.equal(memory.heldBytes, 0);
  });

  test("a record over the limit in a body read whole: the framing's error, nothing held", async () => {
    const long = encoder.encode("x".repeat(40) + "\n");
    const outcome = await read([], "ndjson", true, { whole: wholeOf(long) });
    assert.match(outcome.error ?? "", /^RecordTooLargeError/);
    assert.equal(outcome.held, 0);
  });
});
