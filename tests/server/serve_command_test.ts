/** The `serve` command's flags: the limits, and the usage errors. */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { expectError, post } from "./server_helpers.ts";
import { startServing } from "./serve_process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIME = runtimeCommand(currentRuntime());

/** `cli.ts serve dir ...flags` run to its end: status and stderr. */
function serve(
  dir: string,
  flags: string[],
): { status: number | null; err: string } {
  const result = spawnSync(
    RUNTIME[0],
    [...RUNTIME.slice(1), `${ROOT}cli.ts`, "serve", dir, ...flags],
    { env: { ...process.env, NO_COLOR: "1" }, cwd: ROOT, timeout: 60_000 },
  );
  return { status: result.status, err: result.stderr.toString() };
}

describe("serve's flags", () => {
  test("usage errors (exit 2) for bad limits, before anything is opened", () =>
    withTempDir((dir) => {
      const cases: [string[], RegExp][] = [
        [["--queue-burst", "64MiB"], /--queue-burst needs --queue-rate/],
        [["--queue-rate", "fast"], /--queue-rate must be a positive byte size/],
        [
          ["--queue-rate", "1MiB/s", "--queue-burst", "1MiB"],
          /--queue-burst \(1048576\) must be at least --max-body-bytes \(10485760\)/,
        ],
        [["--disk-limit", "lots"], /--disk-limit must be a positive byte size/],
        [
          ["--max-body-bytes", "0"],
          /--max-body-bytes must be a positive byte size/,
        ],
      ];
      for (const [flags, message] of cases) {
        const { status, err } = serve(dir, flags);
        assert.equal(status, 2, `${flags.join(" ")}: ${err}`);
        assert.match(err, message);
      }
      return Promise.resolve();
    }, "mrecordlog-serve-flags-"));

  test("a disk limit below two log files is refused with the library's message", () =>
    withTempDir((dir) => {
      const { status, err } = serve(dir, [
        "--disk-limit",
        "1MiB",
        "--port",
        "0",
      ]);
      assert.notEqual(status, 0);
      assert.match(err, /diskLimitBytes must be at least 2 \* segmentBytes/);
      return Promise.resolve();
    }, "mrecordlog-serve-flags-"));

  test("--queue-rate, --queue-burst and --max-body-bytes reach the server", () =>
    withTempDir(async (dir) => {
      const { url, exited, kill, child } = await startServing([
        ...RUNTIME,
        "cli.ts",
        "serve",
        dir,
        "--port",
        "0",
        "--max-body-bytes",
        "64KiB",
        "--queue-rate",
        "1KiB/s",
        "--queue-burst",
        "64KiB",
      ]);
      try {
        await post(`${url}/queues/q`);
        const record = "r".repeat(60 * 1024);
        const first = await post(`${url}/queues/q/records`, record);
        assert.equal((await first.json()).written, 1);
        const second = await post(`${url}/queues/q/records`, record);
        // 4 KiB left, 56 KiB missing at 1 KiB/s: about 56 s.
        const wait = Number(second.headers.get("retry-after"));
        assert.ok(wait > 50 && wait <= 56, String(wait));
        const error = await expectError(second, 429, "RateLimited");
        assert.equal(error.limit, "rate");
        await expectError(
          post(`${url}/queues/q/records`, "x".repeat(65 * 1024)),
          413,
          "BodyTooLarge",
        );
        process.kill(child.pid!, "SIGTERM");
        assert.equal(await exited, 0);
      } finally {
        kill();
      }
    }, "mrecordlog-serve-flags-"));
});
