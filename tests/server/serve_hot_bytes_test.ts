/** `serve --hot-bytes`: records past the hot budget are served from the files. */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { post } from "./server_helpers.ts";
import { startServing } from "./serve_process.ts";

const RUNTIME = runtimeCommand(currentRuntime());

describe("serve --hot-bytes", () => {
  test("keeps 4 KiB in memory and serves every record", () =>
    withTempDir(async (dir) => {
      const { url, exited, kill, child } = await startServing([
        ...RUNTIME,
        "cli.ts",
        "serve",
        dir,
        "--port",
        "0",
        "--policy",
        "always-flush",
        "--hot-bytes",
        "4KiB",
      ]);
      try {
        await post(`${url}/queues/q`);
        const records = Array.from(
          { length: 40 },
          (_, i) => String(i).padStart(4, "0").repeat(250),
        );
        for (const record of records) {
          const answer = await post(`${url}/queues/q/records`, record);
          assert.equal((await answer.json()).written, 1);
        }
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const used = /^mrecordlog_memory_used_bytes (\d+)/m.exec(metrics);
        assert.ok(used && Number(used[1]) <= 4096, used?.[0]);
        const lines = (await (await fetch(`${url}/queues/q/records`)).text())
          .trim().split("\n").map((line) => JSON.parse(line));
        assert.deepEqual(
          lines.map((l) => new TextDecoder().decode(base64(l.payload))),
          records,
        );
        process.kill(child.pid!, "SIGTERM");
        assert.equal(await exited, 0);
      } finally {
        kill();
      }
    }, "mrecordlog-serve-hot-"));
});

function base64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
