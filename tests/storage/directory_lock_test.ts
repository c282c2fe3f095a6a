import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import {
  LOCK_FILE_NAME,
  lockDirectory,
} from "../../src/storage/directory_lock.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";
import {
  CorruptionError,
  LogFailedError,
  LogLockedError,
  MemoryFileAdapter,
  MultiRecordLog,
} from "../../mod.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

const quiet = { onWarning: () => {} };

/** The pid of a process that has exited. */
function deadPid(): number {
  const result = spawnSync("true");
  assert.equal(result.status, 0);
  assert.ok(result.pid);
  return result.pid;
}

/** A process's start time from /proc, as the lock records it. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

function writeLock(dir: string, contents: string | Uint8Array): void {
  writeFileSync(`${dir}/${LOCK_FILE_NAME}`, contents);
}

function assertLocked(error: unknown, dir: string): boolean {
  assert.ok(error instanceof LogLockedError);
  assert.equal(error.name, "LogLockedError");
  assert.equal(error.directory, dir);
  return true;
}

describe("directory lock", () => {
  it("refuses a second open in the same process, and allows it after close", async () => {
    await withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir);
      await assert.rejects(
        MultiRecordLog.open(dir),
        (e) =>
          assertLocked(e, dir) && /this process/.test((e as Error).message),
      );
      assert.ok(existsSync(`${dir}/${LOCK_FILE_NAME}`));
      await log.close();
      assert.equal(existsSync(`${dir}/${LOCK_FILE_NAME}`), false);
      const again = await MultiRecordLog.open(dir);
      await again.close();
    });
  });

  it("writes this process's pid in the lock file and removes it on release", async () => {
    await withTempDir((dir) => {
      const lock = lockDirectory(defaultFileAdapter(), dir);
      const owner = JSON.parse(
        readFileSync(`${dir}/${LOCK_FILE_NAME}`, "utf8"),
      );
      assert.equal(owner.pid, process.pid);
      assert.equal(typeof owner.token, "string");
      assert.throws(
        () => lockDirectory(defaultFileAdapter(), dir),
        LogLockedError,
      );
      lock.release();
      assert.equal(existsSync(`${dir}/${LOCK_FILE_NAME}`), false);
      lockDirectory(defaultFileAdapter(), dir).release();
    });
  });

  it("takes over a stale lock left by a process that died", async () => {
    await withTempDir(async (dir) => {
      const pid = deadPid();
      writeLock(dir, JSON.stringify({ pid, start: "1", token: "dead" }));
      const log = await MultiRecordLog.open(dir);
      const owner = JSON.parse(
        readFileSync(`${dir}/${LOCK_FILE_NAME}`, "utf8"),
      );
      assert.equal(owner.pid, process.pid);
      await log.close();
    });
  });

  it("clears a takeover file left by a taker that died, and leaves no file of its own behind", async () => {
    await withTempDir(async (dir) => {
      const dead = JSON.stringify({
        pid: deadPid(),
        start: "1",
        token: "dead",
      });
      writeLock(dir, dead);
      writeFileSync(`${dir}/${LOCK_FILE_NAME}.takeover`, dead);
      const log = await MultiRecordLog.open(dir);
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.startsWith(LOCK_FILE_NAME)),
        [LOCK_FILE_NAME],
      );
      await log.close();
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.startsWith(LOCK_FILE_NAME)),
        [],
      );
    });
  });

  it("does not remove a lock that a live taker is taking over", async () => {
    await withTempDir(async (dir) => {
      const stale = JSON.stringify({
        pid: deadPid(),
        start: "1",
        token: "dead",
      });
      writeLock(dir, stale);
      // A live process (the parent of this one) holds the takeover file.
      const taker = JSON.stringify({
        pid: process.ppid,
        start: startTime(process.ppid),
        token: "taker",
      });
      writeFileSync(`${dir}/${LOCK_FILE_NAME}.takeover`, taker);
      await assert.rejects(
        MultiRecordLog.open(dir),
        (e) => assertLocked(e, dir),
      );
      assert.equal(readFileSync(`${dir}/${LOCK_FILE_NAME}`, "utf8"), stale);
    });
  });

  for (
    const [label, contents] of [
      ["an empty", ""],
      ["a non-JSON", "not json at all"],
      ["a JSON without pid", "{}"],
      ["a JSON with a string pid", '{"pid":"12","token":"x"}'],
      ["a binary", randomBytes(300, 1)],
    ] as const
  ) {
    it(`does not let ${label} lock file block the open`, async () => {
      await withTempDir(async (dir) => {
        writeLock(dir, contents);
        const log = await MultiRecordLog.open(dir);
        await log.createQueue("q");
        await log.close();
      });
    });
  }

  it("refuses a lock held by another live process, and takes it once that process is gone", async () => {
    await withTempDir(async (dir) => {
      const child = spawn("sleep", ["30"]);
      const exited = new Promise((resolve) => child.on("exit", resolve));
      try {
        const pid = child.pid!;
        writeLock(
          dir,
          JSON.stringify({ pid, start: startTime(pid), token: "t" }),
        );
        await assert.rejects(
          MultiRecordLog.open(dir),
          (e) =>
            assertLocked(e, dir) && (e as Error).message.includes(String(pid)),
        );
        // Unknown start time: a live pid is taken as the holder.
        writeLock(dir, JSON.stringify({ pid, start: "", token: "t" }));
        await assert.rejects(MultiRecordLog.open(dir), LogLockedError);
        // Another start time: the pid was reused by another process, the lock is stale.
        writeLock(dir, JSON.stringify({ pid, start: "1", token: "t" }));
        const log = await MultiRecordLog.open(dir);
        await log.close();
        writeLock(
          dir,
          JSON.stringify({ pid, start: startTime(pid), token: "t" }),
        );
      } finally {
        child.kill();
        await exited;
      }
      const log = await MultiRecordLog.open(dir);
      await log.close();
    });
  });

  it("takes over a lock naming this process with a token no open log holds", async () => {
    await withTempDir(async (dir) => {
      writeLock(
        dir,
        JSON.stringify({
          pid: process.pid,
          start: startTime(process.pid),
          token: "old",
        }),
      );
      const log = await MultiRecordLog.open(dir);
      await log.close();
    });
  });

  it("locks per file system: two memory adapters do not share locks", async () => {
    const a = new MemoryFileAdapter();
    const b = new MemoryFileAdapter();
    const logA = await MultiRecordLog.open("/wal", { fileAdapter: a });
    const logB = await MultiRecordLog.open("/wal", { fileAdapter: b });
    await assert.rejects(
      MultiRecordLog.open("/wal", { fileAdapter: a }),
      LogLockedError,
    );
    await logA.close();
    await logB.close();
    const again = await MultiRecordLog.open("/wal", { fileAdapter: a });
    await again.close();
  });

  it("releases the lock when open fails while reading the log", async () => {
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes("/wal/wal-00000000000000000000", randomBytes(32768, 3));
    await assert.rejects(
      MultiRecordLog.open("/wal", { fileAdapter: fs, strict: true }),
      CorruptionError,
    );
    assert.equal(fs.pathExists(`/wal/${LOCK_FILE_NAME}`), false);
    const log = await MultiRecordLog.open("/wal", {
      fileAdapter: fs,
      ...quiet,
    });
    await log.close();
  });

  it("releases the lock when open fails on its first commit", async () => {
    const fs = new MemoryFileAdapter();
    // The first fsync (creating file 0) succeeds, the next one (open's commit) fails.
    fs.injectFault({ op: "sync", kind: "error", code: "EIO", after: 1 });
    await assert.rejects(
      MultiRecordLog.open("/wal", { fileAdapter: fs }),
      LogFailedError,
    );
    assert.equal(fs.pendingFaults, 0);
    const log = await MultiRecordLog.open("/wal", { fileAdapter: fs });
    await log.close();
  });
});
