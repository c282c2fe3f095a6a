import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { rawConnection } from "./server_helpers.ts";
import { ROOT, startServing } from "./serve_process.ts";
import { withTempDir } from "../support/temp_dir.ts";

const RUNTIME = runtimeCommand(currentRuntime());

function serveFails(dir: string, flags: string[]): string {
  const result = spawnSync(
    RUNTIME[0],
    [...RUNTIME.slice(1), "cli.ts", "serve", dir, "--port", "0", ...flags],
    { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
  );
  assert.notEqual(result.status, 0);
  return result.stderr;
}

describe("serve's connection flags", () => {
  test("bad values are usage errors", () =>
    withTempDir((dir) => {
      assert.match(
        serveFails(dir, ["--server", "fast"]),
        /--server must be native or node/,
      );
      for (
        const flag of [
          "--header-timeout-ms",
          "--idle-timeout-ms",
          "--max-connections",
        ]
      ) {
        assert.match(
          serveFails(dir, [flag, "0"]),
          new RegExp(`${flag} must be a positive integer`),
        );
        assert.match(
          serveFails(dir, [flag, "1s"]),
          new RegExp(`${flag} must be a positive integer`),
        );
      }
      return Promise.resolve();
    }, "mrecordlog-serve-bounds-"));

  test("--server node --header-timeout-ms --idle-timeout-ms --max-connections reach the server", () =>
    withTempDir(async (dir) => {
      const { url, exited, kill, child } = await startServing([
        ...RUNTIME,
        "cli.ts",
        "serve",
        dir,
        "--port",
        "0",
        "--server",
        "node",
        "--header-timeout-ms",
        "500",
        "--idle-timeout-ms",
        "500",
        "--max-connections",
        "2",
      ]);
      try {
        const port = Number(new URL(url).port);
        const slow = await rawConnection(port);
        await slow.write("GET /queues HTTP/1.1\r\nhost: x\r\nx-slow: a");
        const idle = await rawConnection(port);
        const extra = await rawConnection(port);
        // Past the cap: closed at once, without an answer.
        assert.doesNotMatch(await extra.closed, /HTTP\/1\.1 200/);
        assert.match(await slow.closed, /^HTTP\/1\.1 408 /);
        // Sent nothing: closed (answered 408 or not) after the timeout.
        assert.doesNotMatch(await idle.closed, /HTTP\/1\.1 200/);
        process.kill(child.pid!, "SIGTERM");
        assert.equal(await exited, 0);
      } finally {
        kill();
      }
    }, "mrecordlog-serve-bounds-"));
});
