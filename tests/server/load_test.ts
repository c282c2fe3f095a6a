/**
 * A bounded load test on loopback: 50 concurrent clients append to 10 queues
 * with random sizes, some disconnecting mid-body or abandoning a request,
 * and retry with `?position` after every error or disconnect. At the end
 * every queue holds each client's records exactly once, in order, and
 * nothing else.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import type { IngestServer } from "../../src/server/ingest_server.ts";
import { post, rawConnection, withServer } from "./server_helpers.ts";

const CLIENTS = 50;
const QUEUES = 10;
const REQUESTS_PER_CLIENT = 6;
const decoder = new TextDecoder();

/** One request of a client: its queue and its records (unique payloads). */
interface Batch {
  queue: string;
  records: string[];
}

/** The batches of client `client`: payloads `c<client>s<seq>r<i>:` + padding. */
function batchesOf(client: number, random: () => number): Batch[] {
  return Array.from({ length: REQUESTS_PER_CLIENT }, (_, seq) => {
    const count = 1 + Math.floor(random() * 20);
    return {
      queue: `q${Math.floor(random() * QUEUES)}`,
      records: Array.from({ length: count }, (_, i) => {
        const pad = "x".repeat(Math.floor(random() * 2000));
        return `c${client}s${seq}r${i}:${pad}`;
      }),
    };
  });
}

/** What the clients met, to check the test exercised each path. */
interface Tally {
  ok: number;
  conflicts: number;
  cut: number;
  abandoned: number;
  alreadyStored: number;
  errors: Record<string, number>;
}

/** The queue's next position, as the server reports it. */
async function nextPosition(url: string, queue: string): Promise<number> {
  const response = await fetch(`${url}/queues/${queue}`);
  return (await response.json()).nextPosition;
}

/**
 * Sends `body` to `url`, maybe cutting the connection mid-body or abandoning
 * the request (which may still be stored): the status, or "gone".
 */
async function attempt(
  server: IngestServer,
  path: string,
  body: string,
  random: () => number,
  tally: Tally,
): Promise<{ status: number; answer?: Record<string, unknown> } | "gone"> {
  const roll = random();
  if (roll < 0.15) {
    const connection = await rawConnection(server.port);
    await connection.write(
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    await connection.write(body.slice(0, Math.floor(body.length / 2)));
    connection.destroy();
    tally.cut++;
    return "gone";
  }
  const client = new AbortController();
  const sent = fetch(`${server.url}${path}`, {
    method: "POST",
    body,
    signal: client.signal,
  }).then(async (r) => ({ status: r.status, answer: await r.json() }))
    .catch(() => "gone" as const);
  if (roll < 0.3) {
    // Abandoned at some point: before, while or after it is stored.
    setTimeout(() => client.abort(), Math.floor(random() * 3));
  }
  const outcome = await sent;
  if (outcome === "gone") tally.abandoned++;
  return outcome;
}

/** One client: its batches, each retried until it is stored. */
async function runClient(
  server: IngestServer,
  client: number,
  tally: Tally,
): Promise<Batch[]> {
  const random = mulberry32(1000 + client);
  const batches = batchesOf(client, random);
  for (const { queue, records } of batches) {
    const body = records.join("\n") + "\n";
    let position = await nextPosition(server.url, queue);
    for (let tries = 0;; tries++) {
      assert.ok(tries < 200, `client ${client} gave up on ${queue}`);
      const path = `/queues/${queue}/records?position=${position}`;
      const outcome = await attempt(server, path, body, random, tally);
      if (outcome === "gone") continue; // retry at the same position
      const { status, answer } = outcome;
      if (status === 200) {
        assert.equal(answer!.firstPosition, position);
        assert.equal(answer!.count, records.length);
        tally.ok++;
        // A retry of a request that was stored after all writes nothing.
        if (answer!.written !== records.length) tally.alreadyStored++;
        break;
      }
      const name = String(answer?.error);
      tally.errors[name] = (tally.errors[name] ?? 0) + 1;
      if (status === 409) {
        tally.conflicts++;
        position = answer!.nextPosition as number;
      }
    }
  }
  return batches;
}

describe("load", () => {
  test("50 clients, 10 queues, random sizes, disconnects and retries: each record stored exactly once, in order", async () => {
    const logged: unknown[] = [];
    await withServer({
      openOptions: { persistPolicy: { kind: "always", action: "flush" } },
      onError: (error) => logged.push(error),
    }, async (server) => {
      for (let q = 0; q < QUEUES; q++) await post(`${server.url}/queues/q${q}`);
      const tally: Tally = {
        ok: 0,
        conflicts: 0,
        cut: 0,
        abandoned: 0,
        alreadyStored: 0,
        errors: {},
      };
      const sent = await Promise.all(
        Array.from(
          { length: CLIENTS },
          (_, client) => runClient(server, client, tally),
        ),
      );
      assert.equal(tally.ok, CLIENTS * REQUESTS_PER_CLIENT);
      assert.ok(tally.cut > 0 && tally.abandoned > 0, JSON.stringify(tally));
      assert.ok(tally.conflicts > 0, JSON.stringify(tally));
      // Conflicts are the only error answers; nothing unexpected was logged.
      assert.deepEqual(Object.keys(tally.errors), ["PositionInPastError"]);
      assert.deepEqual(logged, []);
      checkQueues(server, sent);
    });
  });
});

/** Every queue holds exactly the records sent to it, each client's in order. */
function checkQueues(server: IngestServer, sent: Batch[][]): void {
  for (let q = 0; q < QUEUES; q++) {
    const queue = `q${q}`;
    const held = [...server.log.range(queue)];
    held.forEach((r, i) => assert.equal(r.position, i, `${queue}: no gap`));
    const payloads = held.map((r) => decoder.decode(r.payload));
    assert.equal(new Set(payloads).size, payloads.length, `${queue}: no dup`);
    sent.forEach((batches, client) => {
      const expected = batches
        .filter((b) => b.queue === queue)
        .flatMap((b) => b.records);
      const mine = payloads.filter((p) => p.startsWith(`c${client}s`));
      assert.deepEqual(mine, expected, `${queue}, client ${client}`);
    });
    const total = sent.flat().filter((b) => b.queue === queue)
      .reduce((n, b) => n + b.records.length, 0);
    assert.equal(payloads.length, total, `${queue}: nothing else`);
  }
}
