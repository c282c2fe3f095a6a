/**
 * An append answered before its body was read (413, 404, 400, 429) on a
 * kept-alive connection: the client gets the answer, and then its next
 * request on the same connection is answered, or the connection is closed
 * (never left hanging, never a crash of the server).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { withServer } from "./server_helpers.ts";
import type { ServeIngestOptions } from "../../src/server/ingest_server.ts";
import {
  DISCARD_BYTES,
  DISCARD_MS,
} from "../../src/server/node_request_body.ts";

const KiB = 1024;

/** How long any one step may take before the test fails (a hang). */
const STEP_MS = 15_000;

/** `promise`, or a failure naming `what` after {@linkcode STEP_MS}. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: nothing after ${STEP_MS} ms`)),
      STEP_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The answers in `received` (raw HTTP/1.1, JSON bodies with Content-Length). */
function answers(received: string): Answer[] {
  const found: Answer[] = [];
  let rest = received;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) return found;
    const head = rest.slice(0, end);
    const length = /content-length: *(\d+)/i.exec(head);
    const chunked = /transfer-encoding: *chunked/i.test(head);
    let bodyEnd: number;
    if (length) bodyEnd = end + 4 + Number(length[1]);
    else if (chunked) {
      const last = rest.indexOf("\r\n0\r\n\r\n", end);
      if (last < 0) return found;
      bodyEnd = last + 7;
    } else bodyEnd = end + 4;
    if (rest.length < bodyEnd) return found;
    found.push({
      status: Number(head.split(" ")[1]),
      close: /\r\nconnection: *close/i.test(head),
    });
    rest = rest.slice(bodyEnd);
  }
}

/** A raw TCP connection to the server. */
interface Connection {
  /** Writes `text` (latin1); resolves once written, or at once if closed. */
  write(text: string): Promise<void>;
  /** What was received so far. */
  received(): string;
  /** Whether the server has not closed it. */
  open(): boolean;
  /** Resolves with everything received, once it closed. */
  closed: Promise<string>;
  /** Resolves once `count` answers came, or it closed (bounded). */
  answered(count: number, what: string): Promise<Answer[]>;
  /** Cuts it. */
  destroy(): void;
}

/** An answer: its status, and whether it said `Connection: close`. */
interface Answer {
  status: number;
  close: boolean;
}

/** Opens a {@linkcode Connection} to 127.0.0.1:`port`. */
async function connect(port: number): Promise<Connection> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  let isOpen = true;
  const wake: (() => void)[] = [];
  const woken = (): void => {
    for (const w of wake.splice(0)) w();
  };
  socket.on("error", () => {}); // a reset: seen as the close
  socket.on("data", (data: Buffer) => {
    text += data.toString("latin1");
    woken();
  });
  const closed = new Promise<string>((resolve) =>
    socket.on("close", () => {
      isOpen = false;
      woken();
      resolve(text);
    })
  );
  return {
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (!isOpen) return resolve();
        socket.write(Buffer.from(chunk, "latin1"), () => resolve());
      }),
    received: () => text,
    open: () => isOpen,
    closed,
    answered: (count, what) =>
      within(
        (async () => {
          while (answers(text).length < count && isOpen) {
            await new Promise<void>((resolve) => wake.push(resolve));
          }
          return answers(text);
        })(),
        what,
      ),
    destroy: () => socket.destroy(),
  };
}

/** An append's request line and headers. */
function head(path: string, headers: string): string {
  return `POST ${path} HTTP/1.1\r\nhost: x\r\n${headers}\r\n`;
}

/** `bytes` bytes of NDJSON lines of 100 bytes (the last one shorter). */
function ndjson(bytes: number): string {
  const lines = ("x".repeat(99) + "\n").repeat(Math.ceil(bytes / 100));
  return lines.slice(0, bytes - 1) + "\n";
}

/** `body` in chunks of 16 KiB, chunked-encoded. */
function chunked(body: string): string {
  let out = "";
  for (let i = 0; i < body.length; i += 16 * KiB) {
    const part = body.slice(i, i + 16 * KiB);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return out + "0\r\n\r\n";
}

const NDJSON = "content-type: application/x-ndjson\r\n";

/** Requests answered before their body was read, and the status each gets. */
const EARLY: [string, string, number][] = [
  [
    "a declared length over the body limit (413 before reading)",
    head("/queues/q/records", `${NDJSON}content-length: ${512 * KiB}\r\n`) +
    ndjson(512 * KiB),
    413,
  ],
  [
    "a record over the record limit, mid-body (413)",
    head("/queues/q/records", `${NDJSON}content-length: ${200 * KiB}\r\n`) +
    "y".repeat(200 * KiB),
    413,
  ],
  [
    "an unknown queue (404 before reading)",
    head("/queues/nope/records", `${NDJSON}content-length: ${200 * KiB}\r\n`) +
    ndjson(200 * KiB),
    404,
  ],
  [
    "a small body to an unknown queue (404 before reading)",
    head("/queues/nope/records", `${NDJSON}content-length: 300\r\n`) +
    ndjson(300),
    404,
  ],
  [
    "malformed JSON at its first byte (400)",
    head(
      "/queues/q/records",
      `content-type: application/json\r\ncontent-length: ${200 * KiB}\r\n`,
    ) + "x".repeat(200 * KiB),
    400,
  ],
  [
    "a chunked body over the body limit (413 mid-body)",
    head("/queues/q/records", `${NDJSON}transfer-encoding: chunked\r\n`) +
    chunked(ndjson(512 * KiB)),
    413,
  ],
  [
    "a chunked record over the record limit (413 mid-body)",
    head("/queues/q/records", `${NDJSON}transfer-encoding: chunked\r\n`) +
    chunked("y".repeat(200 * KiB)),
    413,
  ],
];

/** The limits of the server of {@linkcode EARLY}. */
const LIMITS: ServeIngestOptions = {
  maxBodyBytes: 256 * KiB,
  maxRecordBytes: 1 * KiB,
};

/** A request answered before its body was read, on a server of its own. */
const MEMORY: [string, string, number, ServeIngestOptions] = [
  "a body past the memory limit (429 mid-body)",
  head("/queues/q/records", `${NDJSON}content-length: ${512 * KiB}\r\n`) +
  ndjson(512 * KiB),
  429,
  { openOptions: { memoryLimitBytes: 64 * KiB } },
];

/** Creates the queue `q`, on a connection of its own. */
async function createQueue(port: number): Promise<void> {
  const c = await connect(port);
  await c.write(
    "POST /queues/q HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
  );
  assert.match(await within(c.closed, "create"), /^HTTP\/1\.1 201 /);
}

/**
 * Sends `request`, then (once its answer came) `GET /queues` on the same
 * connection; returns the answers and whether the connection closed.
 */
async function earlyThenNext(
  port: number,
  request: string,
): Promise<{ first: Answer; second?: number }> {
  const c = await connect(port);
  try {
    // Not awaited: a server that reads nothing more never takes it all.
    const sent = c.write(request);
    const [first] = await c.answered(1, "the early answer");
    assert.ok(first, `no answer; received: ${c.received().slice(0, 200)}`);
    if (first.close) return { first };
    await within(sent, "sending the rest of the body");
    await c.write("GET /queues HTTP/1.1\r\nhost: x\r\n\r\n");
    const all = await c.answered(2, "the next request's answer");
    return { first, second: all[1]?.status };
  } finally {
    c.destroy();
  }
}

/** The servers of this runtime: `node:http`, and the native one (not on Node.js). */
const SERVERS: ("node" | "native")[] = "Deno" in globalThis ||
    "Bun" in globalThis
  ? ["node", "native"]
  : ["node"];

/**
 * Each of `cases` on a server with `options`, in turn, each on a
 * connection of its own: the early answer comes with its status; on
 * `node:http` the next request on the connection is answered; on the
 * native servers, it is unless the answer said `Connection: close`
 * (`Deno.serve` does for a body left unread).
 */
async function checkEarly(
  server: "node" | "native",
  options: ServeIngestOptions,
  cases: [string, string, number][],
): Promise<void> {
  await withServer({ ...options, server }, async ({ port }) => {
    await createQueue(port);
    for (const [what, request, status] of cases) {
      const { first, second } = await earlyThenNext(port, request);
      assert.equal(first.status, status, what);
      if (server === "node") assert.equal(first.close, false, what);
      if (!first.close) assert.equal(second, 200, `${what}: the next request`);
    }
  });
}

describe("an append answered before its body was read, on a kept-alive connection", () => {
  for (const server of SERVERS) {
    test(`--server ${server}: the answer comes, then the next request on the connection is answered`, async () => {
      await checkEarly(server, LIMITS, EARLY);
      const [what, request, status, options] = MEMORY;
      await checkEarly(server, options, [[what, request, status]]);
    });
  }

  test("--server node: a body still coming past the discard bound is cut off after the answer", async () => {
    await withServer({ ...LIMITS, server: "node" }, async (server) => {
      await createQueue(server.port);
      const c = await connect(server.port);
      try {
        const total = 4 * DISCARD_BYTES;
        await c.write(
          head("/queues/q/records", `${NDJSON}content-length: ${total}\r\n`),
        );
        const [first] = await c.answered(1, "the 413");
        assert.equal(first.status, 413);
        // Sends past the bound (the server may close before it is all sent).
        const part = ndjson(256 * KiB);
        for (let sent = 0; sent < total && c.open(); sent += part.length) {
          await within(c.write(part), "sending");
        }
        const all = await within(c.closed, "the connection closing");
        assert.equal(answers(all).length, 1);
      } finally {
        c.destroy();
      }
    });
  });

  test(`--server node: a body that keeps trickling after the answer is cut off (${DISCARD_MS} ms)`, async () => {
    await withServer({ ...LIMITS, server: "node" }, async (server) => {
      await createQueue(server.port);
      const c = await connect(server.port);
      try {
        await c.write(
          head("/queues/nope/records", `${NDJSON}content-length: 1000000\r\n`),
        );
        const [first] = await c.answered(1, "the 404");
        assert.equal(first.status, 404);
        const closed = within(c.closed, "the connection closing");
        while (c.open()) {
          await c.write("x");
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(answers(await closed).length, 1);
      } finally {
        c.destroy();
      }
    });
  });
});
