// One writer per directory: a second open of a directory, from this process
// or from another (Deno or Bun), fails at once with LogLockedError while the
// first is open, and succeeds after it closes or its process dies. Without
// the other runtime in node_modules/.bin (no `npm ci`), its tests skip,
// saying so.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import {
  LogLockedError,
  MemoryFileAdapter,
  MultiRecordLog,
} from "../../mod.ts";
import {
  missingRuntime,
  type Runtime,
  spawnWriter,
  writerCommand,
} from "./crash_writer.ts";
import { removeDir, tempDir, withTempDir } from "../support/temp_dir.ts";

const TIMEOUT = { timeout: 60_000 };
const RUNTIMES: Runtime[] = ["deno", "bun"];
const MISSING = missingRuntime("deno") ?? missingRuntime("bun");
if (MISSING !== undefined) {
  console.warn(`lock_process_test: cross-runtime tests skipped, ${MISSING}`);
}
const PREFIX = "mrecordlog-lock-";

function isLocked(dir: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LogLockedError, String(error));
    assert.equal(error.name, "LogLockedError");
    assert.equal(error.directory, dir);
    return true;
  };
}

/** Runs `try-open DIR` in a child process; returns what it printed. */
async function tryOpenIn(runtime: Runtime, dir: string): Promise<string> {
  const child = spawnWriter(runtime, ["try-open", dir]);
  const { code } = await child.exit;
  assert.equal(code, 0, child.stderr());
  return child.lines.join("\n");
}

describe("in one process", () => {
  test("a second open fails at once; after close it succeeds", () =>
    withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir);
      await log.createQueue("q");
      await assert.rejects(MultiRecordLog.open(dir), isLocked(dir));
      // The same directory spelled differently is the same lock.
      await assert.rejects(MultiRecordLog.open(`${dir}/`), LogLockedError);
      await assert.rejects(MultiRecordLog.open(`${dir}/./`), LogLockedError);
      // The first log is unharmed.
      await log.appendRecord("q", undefined, new Uint8Array([1]));
      await log.close();
      const again = await MultiRecordLog.open(dir);
      assert.deepEqual([...again.range("q")].map((r) => [...r.payload]), [[1]]);
      await again.close();
      const third = await MultiRecordLog.open(dir);
      await third.close();
    }, PREFIX));

  test("with the memory adapter, the same disk is locked", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open("/w", { fileAdapter: fs });
    await assert.rejects(
      MultiRecordLog.open("/w", { fileAdapter: fs }),
      isLocked("/w"),
    );
    await log.close();
    const again = await MultiRecordLog.open("/w", { fileAdapter: fs });
    await again.close();
  });

  test("a garbled lock file is stale and taken over", () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/mrecordlog.lock`, "not json {");
      const log = await MultiRecordLog.open(dir);
      await assert.rejects(MultiRecordLog.open(dir), isLocked(dir));
      await log.close();
    }, PREFIX));
});

for (const runtime of RUNTIMES) {
  describe(`with a ${runtime} process`, () => {
    test(
      "it cannot open the directory while this process holds it, and can after close",
      { ...TIMEOUT, skip: missingRuntime(runtime) },
      () =>
        withTempDir(async (dir) => {
          const log = await MultiRecordLog.open(dir);
          assert.equal(await tryOpenIn(runtime, dir), "LogLockedError");
          await log.close();
          assert.equal(await tryOpenIn(runtime, dir), "opened");
          // Its close released the directory too.
          const again = await MultiRecordLog.open(dir);
          await again.close();
        }, PREFIX),
    );

    test(
      "this process and others cannot open it while it holds it, and can after it is SIGKILLed",
      { ...TIMEOUT, skip: MISSING },
      async () => {
        const dir = tempDir(PREFIX);
        const holder = spawnWriter(runtime, ["hold", dir]);
        try {
          assert.ok(
            await holder.waitFor((line) => line === "ready"),
            holder.stderr(),
          );
          await assert.rejects(MultiRecordLog.open(dir), isLocked(dir));
          for (const other of RUNTIMES) {
            assert.equal(await tryOpenIn(other, dir), "LogLockedError", other);
          }
          // Still locked: failed attempts do not disturb the lock.
          await assert.rejects(MultiRecordLog.open(dir), isLocked(dir));
          holder.kill();
          assert.equal((await holder.exit).signal, "SIGKILL");
          // The dead process's lock file is left behind, and is stale.
          const log = await MultiRecordLog.open(dir);
          assert.equal(await tryOpenIn(runtime, dir), "LogLockedError");
          await log.close();
          for (const other of RUNTIMES) {
            assert.equal(await tryOpenIn(other, dir), "opened", other);
          }
        } finally {
          holder.kill();
          await holder.exit;
          removeDir(dir);
        }
      },
    );
  });
}

describe("under Deno with narrow permissions", () => {
  /** `try-open dir` in Deno allowed to read the repository and `dir` only. */
  const tryOpenNarrow = (dir: string, extra: string[]): string => {
    const [deno, run, ...rest] = writerCommand("deno", ["try-open", dir])
      .filter((arg) => arg !== "-A");
    const flags = [`--allow-read=.,${dir}`, `--allow-write=${dir}`, ...extra];
    const child = spawnSync(deno, [run, ...flags, ...rest], {
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    return child.stdout.trim();
  };

  test(
    "a lock left by a dead process: kept while liveness cannot be checked, taken over with --allow-run",
    TIMEOUT,
    () =>
      withTempDir((dir) => {
        // No process 2^22 + 1 runs (above Linux's largest pid); the writer
        // could not read /proc either, so the lock names no start time.
        const lock = { pid: 4_194_305, start: "", token: "left-behind" };
        writeFileSync(`${dir}/mrecordlog.lock`, JSON.stringify(lock));
        assert.equal(tryOpenNarrow(dir, []), "LogLockedError");
        assert.equal(tryOpenNarrow(dir, ["--allow-run"]), "opened");
        return Promise.resolve();
      }, PREFIX),
  );
});
