/**
 * The `forward` command against a real `nats-server`: SIGKILLed and started
 * again several times mid-stream, the stream holds every record once, in
 * order; a stream that refuses is an error on stderr, nothing acked; SIGTERM
 * exits 0.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { MultiRecordLog } from "../../mod.ts";
import { assertFails, CLI, cli, ROOT, RUNTIME } from "../cli/cli_helpers.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/waiting.ts";
import { natsServer } from "./nats_server.ts";
import {
  assertForwarded,
  createStream,
  readStream,
} from "./stream_contents.ts";
import { appendTestRecords, recordPayload } from "./test_records.ts";

const QUEUE = "q";

/** A `forward` process: its stderr so far, and its exit. */
interface Forwarding {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<[number | null, string | null]>;
}

function startForward(
  args: string[],
  env: Record<string, string> = {},
): Forwarding {
  const child = spawn(
    RUNTIME[0],
    [...RUNTIME.slice(1), CLI, "forward", ...args],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env } },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => stderr += chunk);
  child.stdout!.resume();
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.on("close", (code, signal) => resolve([code, signal]))
  );
  return { child, stderr: () => stderr, exited };
}

/**
 * Sends SIGTERM (with `process.kill`: Deno's `child.kill` makes the exit
 * look like the signal's even when the process exits with a code).
 */
function terminate(run: Forwarding): void {
  process.kill(run.child.pid!, "SIGTERM");
}

/** A log in `dir` with `count` test records in queue {@linkcode QUEUE}. */
async function fillLog(dir: string, count: number): Promise<void> {
  const log = await MultiRecordLog.open(dir);
  try {
    await log.createQueue(QUEUE);
    await appendTestRecords(log, QUEUE, 0, count);
  } finally {
    await log.close();
  }
}

describe("forward command", () => {
  test(
    "SIGKILLed and started again several times mid-stream: every record once, in order",
    () =>
      withTempDir(async (dir) => {
        const total = 30_000;
        await using server = await natsServer();
        await createStream(server.url, "EVENTS", ["events.>"]);
        await fillLog(dir, total);
        const nc = await connect({ servers: server.url });
        const jsm = await jetstreamManager(nc);
        let stored = 0;
        const poll = setInterval(() => {
          jsm.streams.info("EVENTS").then((i) => stored = i.state.messages)
            .catch(() => {});
        }, 20);
        const args = [dir, QUEUE, "--nats", server.url, "--stream", "EVENTS"];
        args.push("--subject", "events.in");
        try {
          for (let kill = 0; kill < 4; kill++) {
            const before = stored;
            const run = startForward(args);
            const moved = await waitFor(() => stored >= before + 2500, 30_000);
            run.child.kill("SIGKILL");
            const [, signal] = await run.exited;
            assert.ok(moved, `no progress: ${run.stderr()}`);
            assert.equal(signal, "SIGKILL");
            assert.ok(stored < total, `all forwarded before kill ${kill + 1}`);
          }
          const last = startForward(args);
          const all = await waitFor(() => stored === total, 30_000);
          // Its acks follow the PubAcks; give them a moment before SIGTERM.
          await new Promise((resolve) => setTimeout(resolve, 300));
          terminate(last);
          const [code] = await last.exited;
          assert.ok(all, `stored ${stored}: ${last.stderr()}`);
          assert.equal(code, 0, last.stderr());
          assert.match(
            last.stderr(),
            /mrecordlog: forwarded \d+ record\(s\) of "q"; acknowledged up to 29999, 0 left/,
          );
        } finally {
          clearInterval(poll);
          await nc.close();
        }
        assertForwarded(
          await readStream(server.url, "EVENTS"),
          QUEUE,
          total,
          recordPayload,
        );
        const log = await MultiRecordLog.open(dir);
        try {
          assert.deepEqual(log.listConsumers(QUEUE), [
            { name: "jetstream", acked: total - 1, lag: 0 },
          ]);
          assert.equal(log.summary().queues[QUEUE].recordCount, 0);
        } finally {
          await log.close();
        }
      }, "mrecordlog-forward-"),
  );

  test(
    "a stream that refuses: the error on stderr, the status line, nothing acked, SIGTERM exits 0",
    () =>
      withTempDir(async (dir) => {
        await using server = await natsServer();
        await createStream(server.url, "OTHER", ["other.>"]);
        await fillLog(dir, 100);
        const run = startForward([
          dir,
          QUEUE,
          "--nats",
          server.url,
          "--stream",
          "OTHER",
          "--subject",
          "events.in",
          "--consumer",
          "out",
        ], { MRECORDLOG_PROGRESS: "1" });
        const error =
          /mrecordlog: forward "q": stream "OTHER" does not take subject "events\.in" \(its subjects: other\.>\)\n/;
        const shown = await waitFor(
          () => error.test(run.stderr()) && /forwarding "q"/.test(run.stderr()),
          20_000,
        );
        terminate(run);
        const [code] = await run.exited;
        assert.ok(shown, run.stderr());
        assert.equal(code, 0, run.stderr());
        assert.match(
          run.stderr(),
          /forwarding "q": 0 record\(s\) forwarded, acked up to none, 100 left, 0 in flight/,
        );
        // The error once, however many retries.
        assert.equal(run.stderr().split(error).length, 2, run.stderr());
        assert.match(
          run.stderr(),
          /mrecordlog: forwarded 0 record\(s\) of "q"; acknowledged up to none, 100 left\n$/,
        );
        const log = await MultiRecordLog.open(dir);
        try {
          assert.deepEqual(log.listConsumers(QUEUE), [
            { name: "out", acked: undefined, lag: 100 },
          ]);
        } finally {
          await log.close();
        }
        assert.equal((await readStream(server.url, "OTHER")).length, 0);
      }, "mrecordlog-forward-"),
  );

  test("usage errors and a missing queue", () =>
    withTempDir(async (dir) => {
      await fillLog(dir, 1);
      const nats = ["--nats", "nats://127.0.0.1:1", "--stream", "S"];
      assertFails(
        cli(["forward", dir, QUEUE, ...nats]),
        2,
        /^mrecordlog forward: --subject is required$/,
      );
      assertFails(
        cli([
          "forward",
          dir,
          QUEUE,
          ...nats,
          "--subject",
          "s",
          "--max-in-flight",
          "0",
        ]),
        2,
        /^mrecordlog forward: --max-in-flight must be a positive integer, got "0"$/,
      );
      assertFails(
        cli(["forward", dir, "missing", ...nats, "--subject", "s"]),
        1,
        /^mrecordlog forward: No such queue: "missing"$/,
      );
    }, "mrecordlog-forward-"));
});
