import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import {
  assertFails,
  cli,
  cliAsync,
  ok,
  startServe,
  withDir,
} from "./cli_helpers.ts";

/** Lines `from` up to (not including) `to`, as a request body. */
function lines(from: number, to: number): string {
  let body = "";
  for (let i = from; i < to; i++) body += `line ${i} ${"p".repeat(i % 200)}\n`;
  return body;
}

/** Appends `body` to queue q of the server at `url`; returns the last position. */
async function append(url: string, body: string): Promise<number> {
  const response = await fetch(`${url}/queues/q/records`, {
    method: "POST",
    body,
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).lastPosition;
}

describe("cli backup", () => {
  test(
    "beside a running server: every acknowledged record is in the copy, which verifies intact and can be served",
    withDir(async (dir) => {
      const data = `${dir}/data`;
      const server = await startServe([
        data,
        "--port",
        "0",
        "--policy",
        "always-flush",
      ], { env: { MRECORDLOG_TOKEN: "" } });
      let acknowledged = -1;
      let copiedCount = 0;
      let stop = false;
      let appender: Promise<void> = Promise.resolve();
      try {
        const created = await fetch(`${server.url}/queues/q`, {
          method: "POST",
        });
        assert.equal(created.status, 201);
        for (let i = 0; i < 20_000; i += 1000) {
          acknowledged = await append(server.url, lines(i, i + 1000));
        }
        // Appends go on while the backup runs.
        appender = (async () => {
          while (!stop) {
            const next = acknowledged + 1;
            acknowledged = await append(server.url, lines(next, next + 200));
          }
        })();
        const before = acknowledged;
        const run = await cliAsync(["backup", data, `${dir}/copy`, "--json"]);
        stop = true;
        await appender;
        assert.equal(run.status, 0, run.err);
        assert.equal(run.err, "");
        const outcome = JSON.parse(run.out);
        assert.equal(outcome.queues, 1);
        assert.equal(outcome.corruptionCount, 0);
        assert.ok(outcome.files.length >= 1);

        const copied = ok(cli(["read", `${dir}/copy`, "q", "--format", "raw"]));
        assert.equal(copied.err, "", "the copy opens without a warning");
        const got = copied.out.split("\n").slice(0, -1);
        assert.ok(got.length > before, `${got.length} > ${before}`);
        assert.equal(copied.out, lines(0, got.length));
        copiedCount = got.length;
        assert.match(ok(cli(["verify", `${dir}/copy`])).out, /^intact:/m);
      } finally {
        stop = true;
        await appender.catch(() => {});
        await server.stop();
      }
      // Restore: serve the copy.
      const restored = await startServe([`${dir}/copy`, "--port", "0"], {
        env: { MRECORDLOG_TOKEN: "" },
      });
      try {
        // It goes on after the last record copied.
        assert.equal(await append(restored.url, "restored\n"), copiedCount);
      } finally {
        await restored.stop();
      }
    }),
  );

  test(
    "text output; refuses a destination that holds files, and a directory without a log",
    withDir((dir) => {
      const log = `${dir}/log`;
      ok(cli(["create", log, "q"]));
      ok(cli(["append", log, "q"], { input: "a\nb\n" }));
      const run = ok(cli(["backup", log, `${dir}/copy`]));
      assert.match(
        run.out,
        /^backed up .*log to .*copy: 1 log file\(s\), \d+ byte\(s\) of data, \d+ log record\(s\), 1 queue\(s\)\n$/,
      );
      assert.equal(
        ok(cli(["read", `${dir}/copy`, "q", "--format", "raw"])).out,
        "a\nb\n",
      );
      mkdirSync(`${dir}/full`);
      writeFileSync(`${dir}/full/x`, "x");
      assertFails(cli(["backup", log, `${dir}/full`]), 1, /is not empty/);
      assert.deepEqual(readdirSync(`${dir}/full`), ["x"]);
      assertFails(
        cli(["backup", `${dir}/full`, `${dir}/other`]),
        1,
        /not a log directory/,
      );
    }),
  );
});
