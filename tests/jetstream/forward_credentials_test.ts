/**
 * Credentials against a real `nats-server` that requires them: the
 * forwarder's `user`/`pass` and `token` options, and the `forward`
 * command's `NATS_USER`/`NATS_PASSWORD` and `NATS_TOKEN`; wrong ones are a
 * clear error in `status()`, and nothing is acknowledged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { MultiRecordLog } from "../../mod.ts";
import { forwardToJetStream } from "../../jetstream.ts";
import { CLI, ROOT, RUNTIME } from "../cli/cli_helpers.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { tick, waitFor } from "../support/waiting.ts";
import { natsServer } from "./nats_server.ts";
import { appendTestRecords } from "./test_records.ts";
import { statusText, withQueueLog } from "./forwarder_log.ts";

const QUEUE = "q";
const USER = ["--user", "alice", "--pass", "s3cret"];
const TOKEN = ["--auth", "t0ken"];

/** Messages stream `name` holds, read with `credentials`. */
async function storedCount(
  url: string,
  name: string,
  credentials: { user?: string; pass?: string; token?: string },
): Promise<number> {
  const nc = await connect({ servers: url, ...credentials });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(name)).state.messages;
  } finally {
    await nc.close();
  }
}

describe("forwarding to a nats-server that requires credentials", () => {
  for (
    const [kind, args, good, bad] of [
      [
        "user and pass",
        USER,
        { user: "alice", pass: "s3cret" },
        { user: "alice", pass: "wrong" },
      ],
      ["token", TOKEN, { token: "t0ken" }, { token: "wrong" }],
    ] as const
  ) {
    test(
      `${kind}: forwards with the right ones; the wrong ones are an error in status(), nothing acked`,
      withQueueLog(QUEUE, 100, async (log) => {
        await using server = await natsServer(true, [...args]);
        const options = {
          servers: server.url,
          stream: "EVENTS",
          subject: "events.in",
          createStream: true,
        };
        const refused = forwardToJetStream(log, QUEUE, {
          ...options,
          ...bad,
          consumer: "refused",
        });
        try {
          assert.ok(await waitFor(() => !!refused.status().lastError, 40_000));
          assert.match(
            refused.status().lastError!.message,
            /authori[sz]ation/i,
          );
          await tick(300);
          assert.equal(refused.status().connected, false);
          assert.equal(refused.status().acked, undefined);
        } finally {
          await refused.stop();
        }
        const forwarder = forwardToJetStream(log, QUEUE, {
          ...options,
          ...good,
        });
        try {
          const all = await waitFor(
            () => forwarder.status().acked === 99,
            40_000,
          );
          assert.ok(all, statusText(forwarder));
          assert.equal(forwarder.status().lastError, undefined);
        } finally {
          await forwarder.stop();
        }
        assert.equal(await storedCount(server.url, "EVENTS", good), 100);
        assert.deepEqual(
          log.listConsumers(QUEUE).map((c) => [c.name, c.acked]),
          [["jetstream", 99], ["refused", undefined]],
        );
      }),
    );
  }

  for (
    const [kind, args, env, credentials] of [
      [
        "NATS_USER and NATS_PASSWORD",
        USER,
        { NATS_USER: "alice", NATS_PASSWORD: "s3cret" },
        { user: "alice", pass: "s3cret" },
      ],
      ["NATS_TOKEN", TOKEN, { NATS_TOKEN: "t0ken" }, { token: "t0ken" }],
    ] as const
  ) {
    test(`the forward command reads ${kind}`, async () => {
      await using server = await natsServer(true, [...args]);
      await withTempDir(async (dir) => {
        const log = await MultiRecordLog.open(dir);
        try {
          await log.createQueue(QUEUE);
          await appendTestRecords(log, QUEUE, 0, 100);
        } finally {
          await log.close();
        }
        const child = spawn(RUNTIME[0], [
          ...RUNTIME.slice(1),
          CLI,
          "forward",
          dir,
          QUEUE,
          "--nats",
          server.url,
          "--stream",
          "EVENTS",
          "--subject",
          "events.in",
          "--create-stream",
        ], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env } });
        let stderr = "";
        child.stderr!.on("data", (chunk) => stderr += chunk);
        child.stdout!.resume();
        const exited = new Promise<number | null>((resolve) =>
          child.on("close", (code) => resolve(code))
        );
        const nc = await connect({ servers: server.url, ...credentials });
        const jsm = await jetstreamManager(nc);
        let stored = 0;
        const poll = setInterval(() => {
          jsm.streams.info("EVENTS").then((i) => stored = i.state.messages)
            .catch(() => {}); // Not created yet.
        }, 20);
        let all: boolean;
        try {
          all = await waitFor(() => stored === 100, 40_000);
        } finally {
          clearInterval(poll);
          await nc.close();
        }
        // SIGTERM: it acknowledges what the stream confirmed, then exits.
        process.kill(child.pid!, "SIGTERM");
        const code = await exited;
        assert.ok(all, `stored ${stored}: ${stderr}`);
        assert.equal(code, 0, stderr);
        assert.match(
          stderr,
          /forwarded 100 record\(s\) of "q"; acknowledged up to 99, 0 left/,
        );
      }, "mrecordlog-forward-auth-");
    });
  }
});
