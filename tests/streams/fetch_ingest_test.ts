import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LengthPrefixDecoderStream } from "../../src/streams/length_prefix_decoder_stream.ts";
import { LengthPrefixEncoderStream } from "../../src/streams/length_prefix_encoder_stream.ts";
import { LineSplitStream } from "../../src/streams/line_split_stream.ts";
import { MemoryLimitError } from "../../src/errors.ts";
import type { LogRecord } from "../../src/log/mem_queue.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { RecordBatchStream } from "../../src/streams/record_batch_stream.ts";
import { listenOnNode } from "../../src/server/node_listen.ts";
import { hex, text, utf8 } from "../support/bytes.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { tick } from "../support/waiting.ts";
import { withTempDir } from "../support/temp_dir.ts";

/** Chunk sizes the server cycles through. */
const CHUNK_SIZES = [7, 1000, 65537];

/** An HTTP server on 127.0.0.1 serving `bytes` in odd-sized chunks. */
interface Server {
  url: string;
  close(): Promise<void>;
}

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunRuntime {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response;
  }): BunServer;
}

/** A body of `bytes`, cut in chunks of the sizes of {@linkcode CHUNK_SIZES}. */
function oddChunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (offset >= bytes.length) return controller.close();
      const size = CHUNK_SIZES[i++ % CHUNK_SIZES.length];
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  }, { highWaterMark: 0 });
}

/** Serves `bytes` (at any path) with `Deno.serve`, `Bun.serve` or (Node) srvx, on a free port. */
async function serve(bytes: Uint8Array): Promise<Server> {
  const handler = (): Response => new Response(oddChunks(bytes));
  if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
    const listener = await listenOnNode(
      "127.0.0.1",
      0,
      () => Promise.resolve(handler()),
      {
        headerTimeoutMs: 10_000,
        idleTimeoutMs: 60_000,
        maxConnections: 16,
        onClientFault: () => {},
      },
    );
    return { url: `http://127.0.0.1:${listener.port}/`, close: listener.stop };
  }
  if ("Deno" in globalThis) {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen(): void {} },
      handler,
    );
    return {
      url: `http://127.0.0.1:${server.addr.port}/`,
      close: () => server.shutdown(),
    };
  }
  const bun = (globalThis as unknown as { Bun: BunRuntime }).Bun;
  const server = bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
  return {
    url: `http://127.0.0.1:${server.port}/`,
    close: async () => {
      await server.stop(true);
    },
  };
}

/** Runs `fn` with a server serving `bytes` and a fresh temp dir; closes and removes both after. */
async function withServerAndDir(
  bytes: Uint8Array,
  fn: (url: string, dir: string) => Promise<void>,
): Promise<void> {
  const server = await serve(bytes);
  try {
    await withTempDir((dir) => fn(server.url, dir));
  } finally {
    await server.close();
  }
}

/** About `bytes` of NDJSON lines of varied lengths, and the lines. */
function ndjson(bytes: number): { body: Uint8Array; lines: string[] } {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const line = JSON.stringify({ i, pad: "x".repeat((i * 37) % 211) });
    lines.push(line);
    length += line.length + 1;
  }
  // CRLF on some lines: LineSplitStream removes it.
  const body = utf8(
    lines.map((line, i) => line + (i % 5 === 0 ? "\r\n" : "\n")).join(""),
  );
  return { body, lines };
}

/** Reads the whole queue through a readable stream and checks it is `lines`. */
async function assertLines(
  log: MultiRecordLog,
  queue: string,
  lines: string[],
): Promise<void> {
  let i = 0;
  for await (const record of log.readable(queue)) {
    assert.equal(record.position, i);
    assert.equal(text(record.payload), lines[i]);
    i++;
  }
  assert.equal(i, lines.length);
}

describe("fetch ingest", () => {
  test("4 MiB of NDJSON: fetch -> LineSplitStream -> RecordBatchStream -> writable -> readable", async () => {
    const { body, lines } = ndjson(4 * 1024 * 1024);
    await withServerAndDir(body, async (url, dir) => {
      {
        await using log = await MultiRecordLog.open(dir);
        await log.createQueue("events");
        // A follower started before the ingest sees every record, in order.
        const following = Array.fromAsync(
          log.readable("events", {
            follow: true,
            to: lines.length - 1,
          }),
        );
        const response = await fetch(url);
        assert.equal(response.status, 200);
        await response.body!
          .pipeThrough(new LineSplitStream())
          .pipeThrough(new RecordBatchStream())
          .pipeTo(log.writable("events"));
        assert.equal(log.lastPosition("events"), lines.length - 1);
        await assertLines(log, "events", lines);
        const followed: LogRecord[] = await following;
        assert.equal(followed.length, lines.length);
        followed.forEach((record, i) => {
          assert.equal(record.position, i);
          assert.equal(text(record.payload), lines[i]);
        });
      }
      await using again = await MultiRecordLog.open(dir);
      await assertLines(again, "events", lines);
    });
  });

  test("an ingest larger than the memory limit flows through a consumer that truncates", async () => {
    const { body, lines } = ndjson(2 * 1024 * 1024);
    const limit = 128 * 1024;
    await withServerAndDir(body, async (url, dir) => {
      await using log = await MultiRecordLog.open(dir, {
        memoryLimitBytes: limit,
      });
      await log.createQueue("events");
      // Counts the appends refused at the memory limit.
      let refused = 0;
      const appendRecords = log.appendRecords.bind(log);
      log.appendRecords = async (...args) => {
        try {
          return await appendRecords(...args);
        } catch (error) {
          if (error instanceof MemoryLimitError) refused++;
          throw error;
        }
      };
      const consuming = (async () => {
        let i = 0;
        const records = log.readable("events", {
          follow: true,
          to: lines.length - 1,
        });
        for await (const record of records) {
          assert.equal(record.position, i);
          assert.equal(text(record.payload), lines[i]);
          assert.ok(log.retainedBytes <= limit);
          // A slowish consumer, truncating what it read once half full.
          if (i % 500 === 0) await tick();
          if (log.retainedBytes > limit / 2) {
            await log.truncate("events", i);
          }
          i++;
        }
        return i;
      })();
      const response = await fetch(url);
      await response.body!
        .pipeThrough(new LineSplitStream())
        .pipeThrough(new RecordBatchStream({ maxBytes: 16 * 1024 }))
        .pipeTo(log.writable("events"));
      assert.equal(await consuming, lines.length);
      // The log did fill up, so the writer had to wait for the consumer.
      assert.ok(refused > 0);
    });
  });

  test("NDJSON one record per write, without batching", async () => {
    const { body, lines } = ndjson(256 * 1024);
    await withServerAndDir(body, async (url, dir) => {
      {
        await using log = await MultiRecordLog.open(dir);
        await log.createQueue("events");
        const response = await fetch(url);
        await response.body!
          .pipeThrough(new LineSplitStream())
          .pipeTo(log.writable("events"));
        await assertLines(log, "events", lines);
      }
      await using again = await MultiRecordLog.open(dir);
      await assertLines(again, "events", lines);
    });
  });

  test("length-prefixed binary records round-trip through encoder, HTTP, decoder and the log", async () => {
    const records: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; total < 1024 * 1024; i++) {
      const length = i % 17 === 0 ? 0 : (i * 7919) % 9000;
      records.push(randomBytes(length, i));
      total += length;
    }
    const encoded = new Uint8Array(
      await new Response(
        ReadableStream.from(records).pipeThrough(
          new LengthPrefixEncoderStream(),
        ),
      ).arrayBuffer(),
    );
    await withServerAndDir(encoded, async (url, dir) => {
      {
        await using log = await MultiRecordLog.open(dir);
        await log.createQueue("bin");
        const response = await fetch(url);
        await response.body!
          .pipeThrough(new LengthPrefixDecoderStream())
          .pipeThrough(new RecordBatchStream({ maxRecords: 50 }))
          .pipeTo(log.writable("bin"));
        assert.equal(log.lastPosition("bin"), records.length - 1);
      }
      await using again = await MultiRecordLog.open(dir);
      let i = 0;
      for await (const record of again.readable("bin")) {
        assert.equal(record.position, i);
        assert.equal(hex(record.payload), hex(records[i]));
        i++;
      }
      assert.equal(i, records.length);
      // And back out as the very same bytes.
      const out = new Uint8Array(
        await new Response(
          again.readable("bin")
            .pipeThrough(
              new TransformStream<LogRecord, Uint8Array>({
                transform(record, controller): void {
                  controller.enqueue(record.payload);
                },
              }),
            )
            .pipeThrough(new LengthPrefixEncoderStream()),
        ).arrayBuffer(),
      );
      assert.equal(out.length, encoded.length);
      assert.ok(out.every((byte, j) => byte === encoded[j]));
    });
  });
});
