import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";
import { utf8 } from "../support/bytes.ts";
import {
  assertFails,
  CLI,
  cli,
  ok,
  ROOT,
  RUNTIME,
  withDir,
} from "./cli_helpers.ts";

/** A log in `dir` with queue "q" holding "r0".."r<count-1>". */
async function makeLog(dir: string, count: number): Promise<void> {
  await using log = await MultiRecordLog.open(dir, { segmentBytes: 32768 });
  await log.createQueue("q");
  for (let i = 0; i < count; i++) {
    await log.appendRecord("q", undefined, utf8(`r${i}`));
  }
}

/** The positions of the NDJSON lines in `out`. */
function positionsOf(out: string): number[] {
  return out.split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l).position
  );
}

describe("consumer commands", () => {
  test(
    "consume creates the consumer, writes NDJSON from after its ack, and acks with --ack",
    withDir(async (dir) => {
      await makeLog(dir, 3);
      const first = ok(cli(["consume", dir, "q", "c"]));
      assert.deepEqual(positionsOf(first.out), [0, 1, 2]);
      assert.match(first.err, /created consumer "c" of queue "q"/);
      assert.deepEqual(
        JSON.parse(first.out.split("\n")[0]),
        { position: 0, payload: btoa("r0") },
      );
      // Nothing acknowledged: the same records again.
      assert.deepEqual(positionsOf(ok(cli(["consume", dir, "q", "c"])).out), [
        0,
        1,
        2,
      ]);
      ok(cli(["ack", dir, "q", "c", "0"]));
      assert.equal(
        ok(cli(["consumers", dir, "q"])).out,
        `"c": acked 0, lag 2\n`,
      );
      assert.deepEqual(
        positionsOf(ok(cli(["consume", dir, "q", "c", "--ack"])).out),
        [1, 2],
      );
      assert.equal(ok(cli(["consume", dir, "q", "c", "--ack"])).out, "");
      assert.deepEqual(
        JSON.parse(ok(cli(["consumers", dir, "q", "--json"])).out),
        [
          { name: "c", acked: 2, lag: 0 },
        ],
      );
      // Its acks truncated the queue.
      assert.match(ok(cli(["summary", dir])).out, /"q": empty/);
      ok(cli(["consume", dir, "q", "late", "--from", "7"]));
      assert.equal(
        ok(cli(["consumers", dir, "q"])).out,
        `"c": acked 2, lag 0\n"late": nothing acknowledged, lag 0\n`,
      );
      ok(cli(["delete-consumer", dir, "q", "late"]));
      assert.equal(
        ok(cli(["consumers", dir, "q"])).out,
        `"c": acked 2, lag 0\n`,
      );
    }),
  );

  test(
    "errors: a missing consumer or queue, a position past the end, bad values",
    withDir(async (dir) => {
      await makeLog(dir, 2);
      assertFails(cli(["ack", dir, "q", "nope", "0"]), 1, /No consumer "nope"/);
      assertFails(cli(["consumers", dir, "nope"]), 1, /No such queue/);
      ok(cli(["consume", dir, "q", "c"]));
      assertFails(
        cli(["ack", dir, "q", "c", "5"]),
        1,
        /past the last position/,
      );
      assertFails(cli(["ack", dir, "q", "c", "x"]), 2, /POSITION/);
      assertFails(cli(["delete-consumer", dir, "q", "nope"]), 1, /No consumer/);
      assert.equal(
        ok(cli(["consumers", dir, "q"])).out,
        `"c": nothing acknowledged, lag 2\n`,
      );
    }),
  );

  test(
    "consume --follow --ack stops on SIGTERM, its acks kept",
    withDir(async (dir) => {
      await makeLog(dir, 2);
      const child = spawn(RUNTIME[0], [
        ...RUNTIME.slice(1),
        CLI,
        "consume",
        dir,
        "q",
        "c",
        "--follow",
        "--ack",
      ], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
      let out = "";
      let err = "";
      let closed = false;
      child.stdout.on("data", (chunk) => out += chunk);
      child.stderr.on("data", (chunk) => err += chunk);
      const exited = new Promise<number | null>((resolve) =>
        child.on("close", (code) => {
          closed = true;
          resolve(code);
        })
      );
      while (positionsOf(out).length < 2) {
        // A child that fails to start fails the test instead of hanging it.
        assert.equal(closed, false, `consume exited early: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Not child.kill(): Deno's ChildProcess then reports the signal sent
      // as the way the child ended, whatever its exit code.
      process.kill(child.pid!, "SIGTERM");
      assert.equal(await exited, 0);
      assert.deepEqual(positionsOf(out), [0, 1]);
      assert.equal(
        ok(cli(["consumers", dir, "q"])).out,
        `"c": acked 1, lag 0\n`,
      );
    }),
  );

  test(
    "retention shows, sets and clears a queue's limits",
    withDir(async (dir) => {
      await makeLog(dir, 5);
      assert.equal(
        ok(cli(["retention", dir, "q"])).out,
        "no retention limits\n",
      );
      assert.equal(
        ok(cli(["retention", dir, "q", "--max-records", "2"])).out,
        "at most 2 records; the oldest records are truncated to make room\n",
      );
      assert.match(ok(cli(["read", dir, "q"])).out, /"position":3/);
      assert.doesNotMatch(ok(cli(["read", dir, "q"])).out, /"position":2/);
      assert.equal(
        ok(cli([
          "retention",
          dir,
          "q",
          "--max-bytes",
          "1KiB",
          "--discard",
          "new",
        ])).out,
        "at most 1024 payload bytes; appends past a limit are refused\n",
      );
      assertFails(
        cli(["append", dir, "q"], { input: "x".repeat(2000) + "\n" }),
        1,
        /Retention limit of queue "q"/,
      );
      assert.equal(
        ok(cli(["retention", dir, "q", "--clear"])).out,
        "no retention limits\n",
      );
      assertFails(
        cli(["retention", dir, "q", "--discard", "new"]),
        2,
        /--discard needs/,
      );
      assertFails(
        cli(["retention", dir, "q", "--discard", "x", "--max-records", "1"]),
        2,
        /--discard must be/,
      );
      assertFails(
        cli(["retention", dir, "q", "--max-records", "0"]),
        2,
        /at least 1/,
      );
      assertFails(
        cli(["retention", dir, "q", "--clear", "--max-records", "3"]),
        2,
        /--clear takes no/,
      );
    }),
  );
});
