/**
 * The log shippers people use, against the server, as their users configure
 * them (README, "Shipping logs"): pino with pino-http-send (NDJSON and its
 * default JSON bodies), winston's Http transport (batched and not), and
 * fetch with a compressed body. Each sends 10,000 lines; what the server
 * stores is read back over HTTP and compared, byte for byte and in order,
 * with what the client put on the wire (recorded by a proxy in between).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http from "node:http";
import pino from "pino";
import { createWriteStream } from "pino-http-send";
import winston from "winston";
import { waitFor } from "../support/waiting.ts";
import type { IngestServer } from "../../src/server/ingest_server.ts";
import {
  type CapturedRequest,
  type CaptureProxy,
  captureProxy,
  expectedRecords,
} from "./capture_proxy.ts";
import { post, withServer } from "./server_helpers.ts";

const LINES = 10_000;
const TEXT = 'caf\u00e9 \u{1f600} "quoted" \\ \t <tab>';

/** The payloads of `queue`, read back over HTTP, as bytes. */
async function readBack(
  server: IngestServer,
  queue: string,
): Promise<Buffer[]> {
  const response = await fetch(`${server.url}/queues/${queue}/records`);
  assert.equal(response.status, 200);
  const text = await response.text();
  return text.split("\n").filter((l) => l !== "").map((l) =>
    Buffer.from(JSON.parse(l).payload, "base64")
  );
}

/**
 * Runs `send` with a server, queue `queue` and a recording proxy before it;
 * waits until the requests answered hold all LINES log lines (`linesOf` a
 * request: by default its records); checks each request was answered 200
 * and that the records read back are, in order and byte for byte, those of
 * the requests as the client sent them. Returns the records as text.
 */
async function shipped(
  queue: string,
  send: (proxy: CaptureProxy, path: string) => void | Promise<void>,
  linesOf: (request: CapturedRequest) => number = (request) =>
    expectedRecords(request).length,
): Promise<{ stored: string[]; proxy: CaptureProxy }> {
  let result: { stored: string[]; proxy: CaptureProxy } | undefined;
  await withServer({}, async (server) => {
    assert.equal((await post(`${server.url}/queues/${queue}`)).status, 201);
    const proxy = await captureProxy(server.url);
    try {
      await send(proxy, `/queues/${queue}/records`);
      // The proxy answers in order: count the lines of each request answered.
      let answered = 0;
      let lines = 0;
      const done = await waitFor(() => {
        const { requests } = proxy;
        while (answered < requests.length && requests[answered].status) {
          lines += linesOf(requests[answered++]);
        }
        return lines >= LINES && answered === requests.length;
      }, 240_000);
      assert.ok(done, `${lines} of ${LINES} lines arrived`);
      assert.equal(lines, LINES);
      for (const request of proxy.requests) {
        assert.equal(request.status, 200, request.answer);
      }
      const expected = proxy.requests.flatMap(expectedRecords);
      const stored = await readBack(server, queue);
      assert.equal(stored.length, expected.length);
      for (let i = 0; i < stored.length; i++) {
        assert.ok(
          stored[i].equals(Buffer.from(expected[i])),
          `record ${i}: ${stored[i]} != ${expected[i]}`,
        );
      }
      result = { stored: stored.map((r) => r.toString()), proxy };
    } finally {
      await proxy.close();
    }
  });
  return result!;
}

/** Asserts that `indexes` is 0, 1, …, LINES - 1. */
function inOrder(indexes: number[]): void {
  assert.equal(indexes.length, LINES);
  indexes.forEach((value, i) => {
    if (value !== i) assert.fail(`line ${i} is line ${value}`);
  });
}

/**
 * Runs `fn` with Node's global HTTP agent sending one request at a time,
 * as the README advises for pino-http-send (got sends each batch at once,
 * without waiting for the previous one: over parallel connections they
 * could arrive out of order).
 */
async function oneConnection(fn: () => Promise<void>): Promise<void> {
  const { maxSockets } = http.globalAgent;
  http.globalAgent.maxSockets = 1;
  try {
    await fn();
  } finally {
    http.globalAgent.maxSockets = maxSockets;
  }
}

/**
 * Asserts that the requests were batches of at most `size` lines, nearly
 * all full (a client also sends a batch that is not full after a while).
 */
function assertBatches(proxy: CaptureProxy, size: number): void {
  const sizes = proxy.requests.map((r) => expectedRecords(r).length);
  assert.ok(sizes.every((n) => n >= 1 && n <= size), `${sizes}`);
  assert.ok(sizes.length < (LINES / size) * 1.1, `${sizes.length} requests`);
}

/** Logs LINES lines through pino to a pino-http-send stream. */
function logWithPino(
  url: string,
  options: { bodyType?: "json" | "ndjson"; batchSize: number },
): void {
  const logger = pino(
    createWriteStream({ url, ...options, retries: 0 }),
  );
  for (let i = 0; i < LINES; i++) logger.info({ i, text: TEXT }, `line ${i}`);
}

describe("log shippers: 10,000 lines each, read back in order, byte for byte as sent", () => {
  for (const batchSize of [100, 10]) {
    test(`pino + pino-http-send, bodyType "ndjson", batches of ${batchSize}`, async () => {
      await oneConnection(async () => {
        const { stored, proxy } = await shipped(
          "pino",
          (proxy, path) =>
            logWithPino(proxy.url + path, { bodyType: "ndjson", batchSize }),
        );
        assertBatches(proxy, batchSize);
        inOrder(stored.map((r) => JSON.parse(r).i));
        const first = JSON.parse(stored[0]);
        assert.equal(first.msg, "line 0");
        assert.equal(first.text, TEXT);
      });
    });
  }

  test('pino + pino-http-send, its default bodyType "json": one record per batch, {"logs":[…]}', async () => {
    await oneConnection(async () => {
      const { stored, proxy } = await shipped(
        "pino-json",
        (proxy, path) => logWithPino(proxy.url + path, { batchSize: 10 }),
        (request) =>
          JSON.parse(Buffer.from(request.body).toString()).logs.length,
      );
      assert.ok(
        proxy.requests.every((r) => r.contentType === "application/json"),
      );
      // got sends JSON.stringify({logs}): the record is the body as sent.
      proxy.requests.forEach((request, k) =>
        assert.equal(stored[k], Buffer.from(request.body).toString())
      );
      inOrder(
        stored.flatMap((r) =>
          JSON.parse(r).logs.map((l: { i: number }) => l.i)
        ),
      );
    });
  });

  for (const batch of [true, false]) {
    test(`winston Http transport, ${batch ? "batched (100)" : "not batched"}`, async () => {
      const { stored, proxy } = await shipped(
        "winston",
        (proxy, path) => {
          const logger = winston.createLogger({
            transports: [
              new winston.transports.Http({
                host: "127.0.0.1",
                port: proxy.port,
                path,
                // One request at a time, in order (see the README).
                agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
                ...(batch ? { batch, batchCount: 100 } : {}),
              }),
            ],
          });
          for (let i = 0; i < LINES; i++) {
            logger.info(`line ${i}`, { i, text: TEXT });
          }
        },
      );
      assertBatches(proxy, batch ? 100 : 1);
      assert.ok(
        proxy.requests.every((r) => r.contentType === "application/json"),
      );
      inOrder(stored.map((r) => JSON.parse(r).i));
      assert.deepEqual(JSON.parse(stored[7]), {
        i: 7,
        level: "info",
        message: "line 7",
        text: TEXT,
      });
    });
  }

  test("fetch with a CompressionStream body: gzip NDJSON and deflate JSON arrays", async () => {
    const lines = Array.from(
      { length: LINES },
      (_, i) => JSON.stringify({ i, text: TEXT, at: 1_700_000_000_000 + i }),
    );
    await withServer({}, async (server) => {
      await post(`${server.url}/queues/fetch`);
      for (let k = 0; k < 10; k++) {
        const batch = lines.slice(k * 1000, (k + 1) * 1000);
        const gzip = k % 2 === 0;
        const text = gzip
          ? batch.join("\n") + "\n"
          : JSON.stringify(batch.map((l) => JSON.parse(l)));
        const body = new Blob([text]).stream().pipeThrough(
          new CompressionStream(
            gzip ? "gzip" : "deflate",
          ) as unknown as TransformStream<
            Uint8Array,
            Uint8Array
          >,
        );
        const response = await fetch(`${server.url}/queues/fetch/records`, {
          method: "POST",
          headers: {
            "content-type": gzip ? "application/x-ndjson" : "application/json",
            "content-encoding": gzip ? "gzip" : "deflate",
          },
          body,
          duplex: "half",
        } as RequestInit);
        assert.equal(response.status, 200, await response.clone().text());
        assert.deepEqual(await response.json(), {
          firstPosition: k * 1000,
          lastPosition: k * 1000 + 999,
          count: 1000,
          written: 1000,
        });
      }
      const stored = await readBack(server, "fetch");
      assert.equal(stored.length, LINES);
      stored.forEach((record, i) =>
        assert.ok(record.equals(Buffer.from(lines[i])), `record ${i}`)
      );
    });
  });
});
