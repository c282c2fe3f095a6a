import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { BODY_ENCODINGS } from "../../src/server/content_decoding.ts";
import { concat, lengthPrefixed } from "../support/bytes.ts";
import {
  expectError,
  fedBody,
  line,
  request,
  stored,
  withHandler,
} from "./server_helpers.ts";

const encoder = new TextEncoder();

/** `bytes` compressed with `CompressionStream(format)`. */
async function compress(
  bytes: Uint8Array,
  format: CompressionFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream(format) as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A stream of `bytes` in `size`-byte chunks, counting what was pulled. */
function chunked(
  bytes: Uint8Array,
  size: number,
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => Math.min(at, bytes.length) };
}

/** A POST to queue q's records with `headers`. */
function append(
  body: BodyInit,
  headers: Record<string, string>,
  query = "",
): Request {
  return request(`/queues/q/records${query}`, body, { headers });
}

const JSON_TYPE = { "content-type": "application/json" };

describe("JSON bodies", () => {
  test("an array is one record per element, an object one record, each its compact JSON", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const array = await handler(append(
        '[ {"msg": "a", "n": 1.50},\n {"msg":"caf\u00e9 \\u00e9"}, [1, 2], "s", 3 ]',
        { "content-type": "application/json; charset=utf-8" },
      ));
      assert.deepEqual(await array.json(), {
        firstPosition: 0,
        lastPosition: 4,
        count: 5,
        written: 5,
      });
      const object = await handler(append('{ "level" : 30 }', JSON_TYPE));
      assert.equal((await object.json()).count, 1);
      const empty = await handler(append("[ ]", JSON_TYPE));
      assert.equal((await empty.json()).count, 0);
      // ?format=json whatever the content type.
      const forced = await handler(
        append('[{"x":1}]', { "content-type": "text/plain" }, "?format=json"),
      );
      assert.equal((await forced.json()).count, 1);
      assert.deepEqual(stored(log, "q"), [
        '{"msg":"a","n":1.5}',
        '{"msg":"caf\u00e9 \u00e9"}',
        "[1,2]",
        '"s"',
        "3",
        '{"level":30}',
        '{"x":1}',
      ]);
    });
  });

  test("each record equals the line an NDJSON shipper sends for the element", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const logs = Array.from({ length: 1000 }, (_, i) => ({
        level: 30,
        time: 1_700_000_000_000 + i,
        msg: `line ${i} \u00e9\u{1f600} "quoted" \n tab\t`,
        nested: { i, f: i / 7, ok: i % 2 === 0, none: null },
      }));
      const sent = await handler(
        append(JSON.stringify(logs, null, 2), JSON_TYPE),
      );
      assert.equal((await sent.json()).count, 1000);
      const ndjson = logs.map((entry) => JSON.stringify(entry));
      assert.deepEqual(stored(log, "q"), ndjson);
    });
  });

  test("malformed JSON: 400 BadJson with the byte offset, nothing stored", async () => {
    await withHandler({}, {}, async (handler, log) => {
      await handler(append("[1]", JSON_TYPE));
      const body = `[${line(0)}, ${line(1)},, ${line(2)}]`;
      const error = await expectError(
        handler(append(body, JSON_TYPE)),
        400,
        "BadJson",
      );
      assert.equal(error.offset, body.indexOf(",,") + 1);
      assert.match(String(error.message), /Expected a value at byte \d+/);
      for (const bad of ['[{"a":1}', '{"a":1} x', "", '["\\q"]']) {
        const answer = await expectError(
          handler(append(bad, JSON_TYPE)),
          400,
          "BadJson",
        );
        assert.equal(typeof answer.offset, "number");
      }
      assert.deepEqual(stored(log, "q"), ["1"]);
    });
  });

  test("other shapes (a number, a string, null, a boolean): 400 BadJson, nothing stored", async () => {
    await withHandler({}, {}, async (handler, log) => {
      for (const body of ["42", ' "text"', "null", "true", "-1.5"]) {
        const error = await expectError(
          handler(append(body, JSON_TYPE)),
          400,
          "BadJson",
        );
        assert.match(String(error.message), /must be an array or an object/);
        assert.equal(error.offset, body.length - body.trimStart().length);
      }
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("--max-record-bytes applies to each element's compact text: 413, nothing stored", async () => {
    await withHandler({}, { maxRecordBytes: 20 }, async (handler, log) => {
      const fits = JSON.stringify({ s: "x".repeat(12) }); // 20 bytes
      const pretty = `[ { "s" :  ${JSON.stringify("x".repeat(12))} } ]`;
      assert.equal(
        (await (await handler(append(pretty, JSON_TYPE))).json())
          .count,
        1,
      );
      await expectError(
        handler(append(`[${fits}, {"s":"${"y".repeat(13)}"}]`, JSON_TYPE)),
        413,
        "RecordTooLargeError",
      );
      assert.deepEqual(stored(log, "q"), [fits]);
    });
  });

  test("--max-body-bytes applies to the JSON body: 413, nothing stored", async () => {
    await withHandler({}, { maxBodyBytes: 1000 }, async (handler, log) => {
      const body = JSON.stringify(
        Array.from({ length: 20 }, (_, i) => line(i)),
      );
      await expectError(
        handler(append(chunked(encoder.encode(body), 100).stream, JSON_TYPE)),
        413,
        "BodyTooLarge",
      );
      assert.deepEqual(stored(log, "q"), []);
    });
  });
});

describe("compressed bodies", () => {
  const ndjson = Array.from({ length: 500 }, (_, i) => line(i));
  const ndjsonBytes = encoder.encode(ndjson.join("\n") + "\n");
  const jsonBytes = encoder.encode(
    JSON.stringify(ndjson.map((l) => JSON.parse(l))),
  );
  const binary = Array.from(
    { length: 200 },
    (_, i) => new Uint8Array(i % 50).fill(i),
  );
  const lengthPrefixedBytes = lengthPrefixed(binary);

  for (const coding of ["gzip", "x-gzip", "deflate"] as const) {
    test(`Content-Encoding: ${coding} for NDJSON, JSON and length-prefixed bodies`, async () => {
      const format = coding === "x-gzip" ? "gzip" : coding;
      await withHandler({}, {}, async (handler, log) => {
        const cases: [Uint8Array, string][] = [
          [ndjsonBytes, "application/x-ndjson"],
          [jsonBytes, "application/json"],
          [lengthPrefixedBytes, "application/octet-stream"],
        ];
        for (const [bytes, type] of cases) {
          const body = chunked(await compress(bytes, format), 700).stream;
          const answer = await handler(append(body, {
            "content-type": type,
            "content-encoding": coding,
          }));
          assert.equal(answer.status, 200, await answer.clone().text());
        }
        const records = [...log.range("q")].map((r) => r.payload);
        const texts = records.slice(0, 1000).map((r) =>
          Buffer.from(r).toString()
        );
        assert.deepEqual(texts, [...ndjson, ...ndjson]);
        assert.deepEqual(
          records.slice(1000).map((r) => Buffer.from(r).toString("hex")),
          binary.map((r) => Buffer.from(r).toString("hex")),
        );
      });
    });
  }

  test("identity (or an empty header) is taken as is; gzip with identity too", async () => {
    await withHandler({}, {}, async (handler, log) => {
      for (const coding of ["identity", "", "Identity"]) {
        const answer = await handler(append("a\n", {
          "content-encoding": coding,
          "content-type": "application/x-ndjson",
        }));
        assert.equal((await answer.json()).count, 1);
      }
      const answer = await handler(append(
        await compress(encoder.encode("b\n"), "gzip"),
        { "content-encoding": "gzip, identity" },
      ));
      assert.equal((await answer.json()).count, 1);
      assert.deepEqual(stored(log, "q"), ["a", "a", "a", "b"]);
    });
  });

  test("br: decompressed on Node and Bun; 415 UnsupportedEncoding on Deno", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const body = new Uint8Array(zlib.brotliCompressSync(ndjsonBytes));
      const answer = await handler(append(body, {
        "content-encoding": "br",
        "content-type": "application/x-ndjson",
      }));
      if (BODY_ENCODINGS.includes("br")) {
        assert.equal((await answer.json()).count, 500);
        assert.deepEqual(stored(log, "q"), ndjson);
      } else {
        await expectError(answer, 415, "UnsupportedEncoding");
        assert.deepEqual(stored(log, "q"), []);
      }
      assert.equal(BODY_ENCODINGS.includes("br"), !("Deno" in globalThis));
      if (BODY_ENCODINGS.includes("br")) {
        for (const cut of [1, 2]) {
          await expectError(
            handler(append(body.subarray(0, body.length - cut), {
              "content-encoding": "br",
              "content-type": "application/x-ndjson",
            })),
            400,
            "BadEncoding",
          );
        }
        assert.equal(stored(log, "q").length, 500);
      }
    });
  });

  test("an unknown or stacked coding: 415 UnsupportedEncoding with Accept-Encoding, before the body is read", async () => {
    await withHandler({}, {}, async (handler, log) => {
      for (
        const coding of ["compress", "zstd", "gzip, gzip", "deflate, gzip"]
      ) {
        const body = fedBody(); // sends nothing until ended
        const answer = await handler(append(body.stream, {
          "content-encoding": coding,
          "content-type": "application/x-ndjson",
        }));
        assert.equal(
          answer.headers.get("accept-encoding"),
          BODY_ENCODINGS.join(", "),
        );
        await expectError(answer, 415, "UnsupportedEncoding");
        body.push("a\n");
        body.end();
      }
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("corrupt or truncated compressed data: 400 BadEncoding, nothing stored", async () => {
    await withHandler({}, {}, async (handler, log) => {
      const gzip = await compress(ndjsonBytes, "gzip");
      const deflate = await compress(ndjsonBytes, "deflate");
      const corrupt = gzip.slice();
      corrupt[corrupt.length - 6] ^= 0xff; // the CRC-32
      const bodies: [Uint8Array, string][] = [
        [corrupt, "gzip"],
        [gzip.subarray(0, gzip.length >> 1), "gzip"],
        [ndjsonBytes, "gzip"], // not compressed at all
        [ndjsonBytes, "deflate"],
        [new Uint8Array(0), "gzip"],
        // Bytes after the end of the compressed data, in its last chunk or
        // in a chunk of their own.
        [concat(gzip, encoder.encode("junk")), "gzip"],
        [concat(deflate, encoder.encode("junk")), "deflate"],
        [concat(deflate, new Uint8Array(5000)), "deflate"],
      ];
      for (const [bytes, coding] of bodies) {
        await expectError(
          handler(append(chunked(bytes, 4096).stream, {
            "content-encoding": coding,
            "content-type": "application/x-ndjson",
          })),
          400,
          "BadEncoding",
        );
      }
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("a zip bomb: 413 BodyTooLarge on the decompressed bytes, stopped early, nothing stored", async () => {
    const limit = 64 * 1024;
    await withHandler({}, { maxBodyBytes: limit }, async (handler, log) => {
      // 64 MiB of newlines (empty lines) compress to about 64 KiB.
      const mib = new Uint8Array(1 << 20).fill(0x0a);
      for (const format of ["gzip", "deflate"] as const) {
        let n = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(c) {
            if (n++ === 64) c.close();
            else c.enqueue(mib);
          },
        });
        const bomb = new Uint8Array(
          await new Response(
            source.pipeThrough(
              new CompressionStream(format) as unknown as TransformStream<
                Uint8Array,
                Uint8Array
              >,
            ),
          ).arrayBuffer(),
        );
        assert.ok(bomb.length < 128 * 1024, `${bomb.length}`);
        const body = chunked(bomb, 1024);
        await expectError(
          handler(append(body.stream, {
            "content-encoding": format,
            "content-type": "application/x-ndjson",
          })),
          413,
          "BodyTooLarge",
        );
        assert.ok(
          body.pulled() <= 8 * 1024,
          `${body.pulled()} of ${bomb.length} compressed bytes read`,
        );
      }
      // The same for JSON: one huge string element.
      const json = encoder.encode(`["${"x".repeat(4 << 20)}"]`);
      const body = chunked(await compress(json, "gzip"), 1024);
      await expectError(
        handler(append(body.stream, {
          "content-encoding": "gzip",
          "content-type": "application/json",
        })),
        413,
        "BodyTooLarge",
      );
      assert.deepEqual(stored(log, "q"), []);
    });
  });

  test("the compressed bytes are bounded too (deflate's empty blocks decompress to nothing)", async () => {
    /** A zlib stream of `blocks` empty stored blocks: no output at all. */
    const emptyBlocks = (blocks: number): Uint8Array<ArrayBuffer> =>
      new Uint8Array([
        0x78,
        0x01,
        ...Array.from({ length: blocks }, () => [0, 0, 0, 0xff, 0xff]).flat(),
        ...[1, 0, 0, 0xff, 0xff], // the final block, empty too
        ...[0, 0, 0, 1], // Adler-32 of nothing
      ]);
    await withHandler({}, { maxBodyBytes: 1000 }, async (handler, log) => {
      const deflate = { "content-encoding": "deflate" };
      const few = await handler(append(emptyBlocks(100), deflate));
      assert.equal((await few.json()).count, 0);
      await expectError(
        handler(append(chunked(emptyBlocks(300), 100).stream, deflate)),
        413,
        "BodyTooLarge",
      );
      assert.deepEqual(stored(log, "q"), []);
    });
  });
});
