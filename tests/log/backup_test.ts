import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { MemoryFileAdapter, MultiRecordLog } from "../../mod.ts";
import { backupLog } from "../../src/log/backup.ts";
import { verifyLog } from "../../src/log/verify_log.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/format/frame.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { hex, utf8 } from "../support/bytes.ts";
import { stateOf, walNumbers } from "../support/log_state.ts";
import { RUST_FIXTURES, rustFixtureNames } from "../support/rust_fixtures.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { tick, waitFor } from "../support/waiting.ts";

const DIR = "/wal";
const FILE0 = `${DIR}/${segmentName(0)}`;

/**
 * The memory file system as the backup needs it: its `rename` also moves a
 * directory, file by file (the memory adapter renames files only; Deno's
 * and `node:fs`'s rename directories). `staleListing` is returned once by
 * `listFiles(DIR)`; `tamper` may change what a read of the log returns.
 */
class BackupFs implements FileAdapter {
  readonly inner: MemoryFileAdapter;
  staleListing: string[] | undefined;
  tamper:
    | ((path: string, bytes: Uint8Array, offset: number) => void)
    | undefined;

  constructor(inner = new MemoryFileAdapter()) {
    this.inner = inner;
  }

  mkdir(path: string): void {
    this.inner.mkdir(path);
  }

  listFiles(dir: string): string[] {
    const stale = dir === DIR ? this.staleListing : undefined;
    if (dir === DIR) this.staleListing = undefined;
    return stale ?? this.inner.listFiles(dir);
  }

  open(
    path: string,
    options: { create: boolean; readOnly?: boolean },
  ): AdapterFile {
    const file = this.inner.open(path, options);
    return {
      read: (buffer, offset) => {
        const n = file.read(buffer, offset);
        if (path.startsWith(`${DIR}/`)) {
          this.tamper?.(path, buffer.subarray(0, n), offset);
        }
        return n;
      },
      write: (bytes, offset) => file.write(bytes, offset),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      syncData: () => file.syncData(),
      syncDataSync: () => file.syncDataSync(),
      close: () => file.close(),
    };
  }

  rename(from: string, to: string): void {
    let names: string[];
    try {
      names = this.inner.listFiles(from);
    } catch {
      return this.inner.rename(from, to); // a file
    }
    if (this.inner.pathExists(to) && this.inner.listFiles(to).length > 0) {
      throw Object.assign(new Error(`ENOTEMPTY: ${to}`), { code: "ENOTEMPTY" });
    }
    this.inner.mkdir(to);
    for (const name of names) {
      this.inner.rename(`${from}/${name}`, `${to}/${name}`);
    }
  }

  link(existing: string, path: string): void {
    this.inner.link(existing, path);
  }

  remove(path: string): void {
    this.inner.remove(path);
  }

  syncDir(dir: string): void {
    this.inner.syncDir(dir);
  }
}

/** A payload of `length` bytes telling its position. */
function payload(position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length).fill(position % 251);
  bytes.set(utf8(`${position};`).subarray(0, length));
  return bytes;
}

/** Opens `dir` read-only, collecting warnings; returns its state and the warnings. */
async function snapshot(
  dir: string,
  fileAdapter?: FileAdapter,
): Promise<{ state: ReturnType<typeof stateOf>; warnings: string[] }> {
  const warnings: string[] = [];
  const log = await MultiRecordLog.open(dir, {
    readOnly: true,
    fileAdapter,
    onWarning: (w) => warnings.push(w),
  });
  try {
    return { state: stateOf(log), warnings };
  } finally {
    await log.close();
  }
}

describe("backupLog", () => {
  test("a closed log: the copy holds its files byte for byte, and its state", () =>
    withTempDir(async (root) => {
      const dir = `${root}/log`;
      const random = mulberry32(7);
      const log = await MultiRecordLog.open(dir, {
        segmentBytes: 2 * BLOCK_SIZE,
      });
      for (const q of ["a", "b", "empty", "gone"]) await log.createQueue(q);
      for (let i = 0; i < 300; i++) {
        await log.appendRecord(
          "a",
          undefined,
          payload(i, 10 + Math.floor(random() * 2000)),
        );
      }
      await log.appendRecord("b", undefined, payload(0, 50_000));
      await log.truncate("a", 100);
      await log.deleteQueue("gone");
      await log.close();
      const progress: [number, number][] = [];
      const outcome = await backupLog(dir, `${root}/copy`, {
        onProgress: (done, total) => progress.push([done, total]),
      });

      const names = readdirSync(dir).filter((n) => n.startsWith("wal-")).sort();
      assert.ok(names.length > 1);
      assert.deepEqual(readdirSync(`${root}/copy`).sort(), names);
      assert.deepEqual(readdirSync(root).sort(), ["copy", "log"]); // no temporary folder left
      for (const name of names) {
        assert.deepEqual(
          readFileSync(`${root}/copy/${name}`),
          readFileSync(`${dir}/${name}`),
          name,
        );
      }
      assert.deepEqual(
        outcome.files.map((f) => [f.name, f.bytes]),
        names.map((n) => [n, statSync(`${dir}/${n}`).size]),
      );
      assert.equal(outcome.queues, 3);
      assert.equal(outcome.corruptionCount, 0);
      assert.equal(outcome.incompleteTailLeftOut, false);
      assert.equal(outcome.attempts, 1);
      assert.equal(
        outcome.bytesCopied,
        outcome.files.reduce((n, f) => n + f.dataBytes, 0),
      );
      const total = outcome.files.reduce((n, f) => n + f.bytes, 0);
      assert.deepEqual(progress.at(-1), [total, total]);
      for (let i = 1; i < progress.length; i++) {
        assert.ok(progress[i][0] >= progress[i - 1][0]);
      }

      const source = await snapshot(dir);
      const copy = await snapshot(`${root}/copy`);
      assert.deepEqual(copy, source);
      assert.deepEqual(Object.keys(copy.state), ["a", "b", "empty"]);
      assert.equal(copy.state.a.records.length, 199);
      assert.deepEqual(copy.warnings, []);
    }));

  test("the copy of a sparse 128 MiB log file stays sparse", () =>
    withTempDir(async (root) => {
      const log = await MultiRecordLog.open(`${root}/log`);
      await log.createQueue("q");
      await log.appendRecord("q", undefined, payload(0, 100_000));
      await log.close();
      const outcome = await backupLog(`${root}/log`, `${root}/copy`);
      const copy = statSync(`${root}/copy/${segmentName(0)}`);
      assert.equal(copy.size, 128 * 1024 * 1024);
      assert.equal(outcome.files[0].bytes, copy.size);
      assert.ok(outcome.bytesCopied < 4 * BLOCK_SIZE, `${outcome.bytesCopied}`);
      // Blocks allocated: about the data, not the length (where the file
      // system says).
      if (Number.isFinite(copy.blocks)) {
        assert.ok(copy.blocks * 512 < 4 * 1024 * 1024, `${copy.blocks}`);
      }
    }));

  test("logs written by the Rust crate: the same state; a torn tail left out, damage kept", () =>
    withTempDir(async (root) => {
      for (const name of rustFixtureNames()) {
        const dir = `${RUST_FIXTURES}${name}/wal`;
        const outcome = await backupLog(dir, `${root}/${name}`);
        const source = await snapshot(dir);
        const copy = await snapshot(`${root}/${name}`);
        assert.deepEqual(copy.state, source.state, name);
        assert.equal(outcome.attempts, 1, name);
        const damaged = source.warnings.filter((w) => /damaged/.test(w));
        assert.deepEqual(
          copy.warnings.filter((w) => /damaged/.test(w)),
          damaged.map((w) => w.replace(dir, `${root}/${name}`)),
          name,
        );
        assert.ok(
          !copy.warnings.some((w) => /incomplete record/.test(w)),
          name,
        );
        const tail = source.warnings.some((w) => /incomplete record/.test(w));
        assert.equal(outcome.incompleteTailLeftOut, tail, name);
        assert.equal(outcome.corruptionCount > 0, damaged.length > 0, name);
        if (!tail && damaged.length === 0) {
          for (const file of outcome.files) {
            assert.deepEqual(
              readFileSync(`${root}/${name}/${file.name}`),
              readFileSync(`${dir}/${file.name}`),
            );
          }
        }
      }
    }));

  test("beside a writer appending and truncating: every append resolved before is in the copy, which opens intact", () =>
    withTempDir(async (root) => {
      const dir = `${root}/log`;
      const log = await MultiRecordLog.open(dir, {
        segmentBytes: 2 * BLOCK_SIZE,
        persistPolicy: { kind: "always", action: "flush" },
      });
      await log.createQueue("a");
      const size = (p: number): number => 200 + (p % 7) * 100;
      let resolved = -1;
      let truncated = -1;
      let stop = false;
      const appender = (async () => {
        for (let next = 0; !stop; next += 3) {
          await log.appendRecords(
            "a",
            undefined,
            [0, 1, 2].map((i) => payload(next + i, size(next + i))),
          );
          resolved = next + 2;
          if ((next + 3) % 300 === 0) {
            await log.truncate("a", next - 150);
            truncated = next - 150;
          }
          await tick();
        }
      })();
      try {
        assert.ok(await waitFor(() => resolved >= 1500, 60_000));
        const [resolvedBefore, truncatedBefore] = [resolved, truncated];
        const outcome = await backupLog(dir, `${root}/copy`);
        assert.ok(
          resolved > resolvedBefore,
          "appends went on while the backup ran",
        );
        const { state, warnings } = await snapshot(`${root}/copy`);
        assert.deepEqual(warnings, []);
        assert.ok(verifyLog(`${root}/copy`).intact);
        const records = state.a.records;
        const first = records[0][0];
        assert.ok(
          first > truncatedBefore && first <= resolvedBefore,
          `${first}`,
        );
        assert.ok(records.at(-1)![0] >= resolvedBefore);
        records.forEach(([position, bytes], i) => {
          assert.equal(position, first + i);
          assert.equal(bytes, hex(payload(position, size(position))));
        });
        assert.equal(outcome.queues, 1);
      } finally {
        stop = true;
        await appender;
        await log.close();
      }
    }));

  describe("a record still being written is left out, zeros after the last complete one", () => {
    /** A log in memory (queue q, `count` records of 3000 bytes) and where its data ends, then a record of 40,000 bytes. */
    async function logWithLastRecord(segmentBytes: number, count: number) {
      const fs = new MemoryFileAdapter();
      const log = await MultiRecordLog.open(DIR, {
        fileAdapter: fs,
        segmentBytes,
      });
      await log.createQueue("q");
      for (let i = 0; i < count; i++) {
        await log.appendRecord("q", undefined, payload(i, 3000));
      }
      const before = verifyLog(DIR, { fileAdapter: fs });
      const end = before.files.at(-1)!.endOffset!;
      await log.appendRecord("q", undefined, payload(count, 40_000));
      await log.close();
      const files = fs.listFiles(DIR).filter((n) => n.startsWith("wal-"));
      return {
        fs,
        end,
        endFile: before.files.length - 1,
        files,
        state: (await snapshot(DIR, fs)).state,
      };
    }

    test("in one file: cut anywhere in its frames", async () => {
      const { fs, end, state } = await logWithLastRecord(4 * BLOCK_SIZE, 5);
      const full = fs.readFileBytes(FILE0);
      const recordEnd = verifyLog(DIR, { fileAdapter: fs }).files[0].endOffset!;
      const firstFrame = BLOCK_SIZE - (end % BLOCK_SIZE);
      for (
        const written of [
          3,
          100,
          firstFrame,
          firstFrame + HEADER_SIZE + 5,
          recordEnd - end - 10,
        ]
      ) {
        const torn = full.slice();
        torn.fill(0, end + written);
        const fs2 = new BackupFs();
        fs2.inner.writeFileBytes(FILE0, torn);
        const outcome = await backupLog(DIR, "/copy", { fileAdapter: fs2 });
        const copy = fs2.inner.readFileBytes(`/copy/${segmentName(0)}`);
        assert.equal(copy.length, full.length, `${written}`);
        assert.deepEqual(
          copy.subarray(0, end),
          full.subarray(0, end),
          `${written}`,
        );
        assert.ok(copy.subarray(end).every((b) => b === 0), `${written}`);
        assert.equal(outcome.incompleteTailLeftOut, true, `${written}`);
        assert.deepEqual(outcome.files.map((f) => f.dataBytes), [end]);
        const { state: copied, warnings } = await snapshot("/copy", fs2.inner);
        assert.deepEqual(warnings, [], `${written}`);
        assert.deepEqual(
          copied.q.records,
          state.q.records.slice(0, 5),
          `${written}`,
        );
        assert.ok(verifyLog("/copy", { fileAdapter: fs2.inner }).intact);
      }
    });

    test("across files: the next file, which holds only its end, is not copied", async () => {
      const { fs, end, endFile, files, state } = await logWithLastRecord(
        2 * BLOCK_SIZE,
        14,
      );
      assert.equal(endFile, 0);
      assert.equal(files.length, 2, "the last record runs into file 1");
      const fs2 = new BackupFs();
      fs2.inner.writeFileBytes(FILE0, fs.readFileBytes(FILE0));
      const next = fs.readFileBytes(`${DIR}/${segmentName(1)}`);
      next.fill(0, 100);
      fs2.inner.writeFileBytes(`${DIR}/${segmentName(1)}`, next);
      const outcome = await backupLog(DIR, "/copy", { fileAdapter: fs2 });
      assert.deepEqual(fs2.inner.listFiles("/copy"), [segmentName(0)]);
      assert.deepEqual(
        outcome.files.map((f) => [f.number, f.dataBytes, f.bytes]),
        [[0, end, 2 * BLOCK_SIZE]],
      );
      const { state: copied, warnings } = await snapshot("/copy", fs2.inner);
      assert.deepEqual(warnings, []);
      assert.deepEqual(copied.q.records, state.q.records.slice(0, 14));
      // Writing resumes where the copy ends.
      const reopened = await MultiRecordLog.open("/copy", {
        fileAdapter: fs2.inner,
        segmentBytes: 2 * BLOCK_SIZE,
      });
      await reopened.appendRecord("q", undefined, utf8("after"));
      await reopened.close();
      assert.equal(
        (await snapshot("/copy", fs2.inner)).state.q.records.length,
        15,
      );
    });
  });

  test("a log file removed by garbage collection before it is opened: the copy starts over", async () => {
    const fs = new BackupFs();
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs.inner,
      segmentBytes: 2 * BLOCK_SIZE,
    });
    try {
      await log.createQueue("q");
      for (let i = 0; i < 60; i++) {
        await log.appendRecord("q", undefined, payload(i, 3000));
      }
      const listing = fs.inner.listFiles(DIR);
      await log.truncate("q", 40);
      assert.ok(
        walNumbers(fs.inner, DIR)[0] > 0,
        "garbage collection removed files",
      );
      fs.staleListing = listing;
      const outcome = await backupLog(DIR, "/copy", { fileAdapter: fs });
      assert.equal(outcome.attempts, 2);
      assert.deepEqual(
        outcome.files.map((f) => f.number),
        walNumbers(fs.inner, DIR),
      );
      const copy = await snapshot("/copy", fs.inner);
      assert.deepEqual(copy.warnings, []);
      assert.deepEqual(copy.state, stateOf(log));
    } finally {
      await log.close();
    }
  });

  test("a frame of the newest file caught half written: the copy starts over", async () => {
    const fs = new BackupFs();
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs.inner,
      segmentBytes: 4 * BLOCK_SIZE,
    });
    await log.createQueue("q");
    for (let i = 0; i < 10; i++) {
      await log.appendRecord("q", undefined, payload(i, 1000));
    }
    await log.close();
    let tampered = 0;
    fs.tamper = (path, bytes, offset) => {
      if (path === FILE0 && offset === 0 && tampered++ === 0) {
        bytes.fill(0, 3000, 3010);
      }
    };
    const outcome = await backupLog(DIR, "/copy", { fileAdapter: fs });
    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.corruptionCount, 0);
    assert.deepEqual(
      fs.inner.readFileBytes(`/copy/${segmentName(0)}`),
      fs.inner.readFileBytes(FILE0),
    );
    assert.deepEqual(
      await snapshot("/copy", fs.inner),
      await snapshot(DIR, fs.inner),
    );
  });

  test("the destination must be missing or an empty directory; nothing is written otherwise", () =>
    withTempDir(async (root) => {
      const dir = `${root}/log`;
      const log = await MultiRecordLog.open(dir, { segmentBytes: BLOCK_SIZE });
      await log.createQueue("q");
      await log.close();
      mkdirSync(`${root}/full`);
      writeFileSync(`${root}/full/keep.txt`, "mine");
      await assert.rejects(
        backupLog(dir, `${root}/full`),
        /backup destination .*full is not empty/,
      );
      assert.deepEqual(readdirSync(`${root}/full`), ["keep.txt"]);
      assert.equal(readFileSync(`${root}/full/keep.txt`, "utf8"), "mine");
      writeFileSync(`${root}/file`, "x");
      await assert.rejects(backupLog(dir, `${root}/file`), /cannot be used/);
      await assert.rejects(
        backupLog(`${root}/full`, `${root}/new`),
        /not a log directory/,
      );
      assert.deepEqual(readdirSync(root).sort(), ["file", "full", "log"]);
      // An empty directory, and one whose parents are missing, are fine.
      mkdirSync(`${root}/empty`);
      await backupLog(dir, `${root}/empty/`);
      await backupLog(dir, `${root}/a/b/c`);
      for (const copy of ["empty", "a/b/c"]) {
        assert.deepEqual((await snapshot(`${root}/${copy}`)).state, {
          q: { last: undefined, records: [] },
        });
      }
      assert.deepEqual(readdirSync(`${root}/a/b`), ["c"]);
    }));
});
