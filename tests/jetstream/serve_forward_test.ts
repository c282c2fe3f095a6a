/**
 * `serve --forward QUEUE=nats://host:port/STREAM/SUBJECT`: forwarders
 * running beside the HTTP server, against a real `nats-server`; their
 * status in `GET /queues`.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";
import { assertFails, cli, startServe } from "../cli/cli_helpers.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/waiting.ts";
import { natsServer } from "./nats_server.ts";
import { createStream, readStream } from "./stream_contents.ts";

const encoder = new TextEncoder();

interface QueuesAnswer {
  queues: Record<string, unknown>;
  forwarders?: Record<string, unknown>[];
}

describe("serve --forward", () => {
  test(
    "forwards what is appended over HTTP; GET /queues shows each forwarder",
    () =>
      withTempDir(async (dir) => {
        await using nats = await natsServer();
        await createStream(nats.url, "EVENTS", ["events.>"]);
        const served = await startServe([
          dir,
          "--port",
          "0",
          "--forward",
          `q=${nats.url}/EVENTS/events.q`,
          "--forward",
          `other=${nats.url}/OTHER/other.in?consumer=out&create-stream`,
        ]);
        const exited = new Promise<number | null>((resolve) =>
          served.child.on("close", (code) => resolve(code))
        );
        try {
          for (let batch = 0; batch < 3; batch++) {
            const lines = Array.from(
              { length: 1000 },
              (_, i) => `{"n":${batch * 1000 + i}}\n`,
            );
            const answer = await fetch(`${served.url}/queues/q/records`, {
              method: "POST",
              headers: { "Content-Type": "application/x-ndjson" },
              body: lines.join(""),
            });
            assert.equal(answer.status, 200, await answer.text());
          }
          let last: QueuesAnswer | undefined;
          const done = await waitFor(() => {
            fetch(`${served.url}/queues`).then((r) => r.json()).then((a) =>
              last = a
            ).catch(() => {});
            return last?.forwarders?.[0]?.acked === 2999;
          }, 30_000);
          assert.ok(done, JSON.stringify(last) + served.stderr());
          assert.deepEqual(last!.forwarders, [{
            queue: "q",
            server: nats.url,
            stream: "EVENTS",
            subject: "events.q",
            consumer: "jetstream",
            acked: 2999,
            lag: 0,
            connected: true,
            lastError: null,
            inFlight: 0,
            forwarded: 3000,
            duplicates: 0,
            running: true,
          }, {
            queue: "other",
            server: nats.url,
            stream: "OTHER", // missing, created (&create-stream)
            subject: "other.in",
            consumer: "out",
            acked: null,
            lag: 0,
            connected: true,
            lastError: null,
            inFlight: 0,
            forwarded: 0,
            duplicates: 0,
            running: true,
          }]);
          assert.ok("other" in last!.queues, "the missing queue is created");
        } finally {
          // process.kill: Deno's child.kill makes the exit look like the signal's.
          process.kill(served.child.pid!, "SIGTERM");
        }
        assert.equal(await exited, 0, served.stderr());
        const stored = await readStream(nats.url, "EVENTS");
        assert.equal(stored.length, 3000);
        stored.forEach((record, i) => {
          assert.equal(record.queue, "q");
          assert.equal(record.position, i);
          assert.deepEqual(record.data, encoder.encode(`{"n":${i}}`));
        });
        const log = await MultiRecordLog.open(dir);
        try {
          assert.deepEqual(log.listConsumers("q"), [
            { name: "jetstream", acked: 2999, lag: 0 },
          ]);
        } finally {
          await log.close();
        }
      }, "mrecordlog-serve-forward-"),
  );

  test("a bad --forward is a usage error", () => {
    const bad = cli(["serve", "--port", "0", "--forward", "q=http://x/S/s"]);
    assertFails(
      bad,
      2,
      /^mrecordlog serve: --forward must be QUEUE=nats:\/\/host:port\/STREAM\/SUBJECT\[\?consumer=NAME\]\[&create-stream\], got "q=http:\/\/x\/S\/s"$/,
    );
    const unknown = cli([
      "serve",
      "--port",
      "0",
      "--forward",
      "q=nats://127.0.0.1:1/S/s?consumer=c&createstream",
    ]);
    assertFails(unknown, 2, /--forward must be .*, got "q=nats:/);
    const twice = cli([
      "serve",
      "--port",
      "0",
      "--forward",
      "q=nats://127.0.0.1:1/S/a",
      "--forward",
      "q=nats://127.0.0.1:1/T/b",
    ]);
    assertFails(twice, 2, /is forwarded twice through consumer "jetstream"/);
  });
});
