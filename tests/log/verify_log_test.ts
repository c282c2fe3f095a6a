import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { BLOCK_SIZE, FrameType } from "../../src/format/frame.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { RecordKind } from "../../src/format/record.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { verifyLog } from "../../src/log/verify_log.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import type { FileAdapter } from "../../src/storage/file_adapter.ts";
import {
  block,
  frameBytes,
  LogBuilder,
  recordBytes,
} from "../support/log_bytes.ts";
import { concat, utf8 } from "../support/bytes.ts";
import { parseFrames } from "../support/read_log.ts";
import { removeDir, tempDir, withTempDir } from "../support/temp_dir.ts";
import { RUST_FIXTURES, rustFixtureJson } from "../support/rust_fixtures.ts";

const PREFIX = "mrecordlog-verify-";

/** Runs `fn` on a temp dir holding `files` as log files 0, 1, …, removed after. */
function withLogFiles<T>(files: Uint8Array[], fn: (dir: string) => T): T {
  const dir = tempDir(PREFIX);
  try {
    files.forEach((bytes, i) =>
      writeFileSync(`${dir}/${segmentName(i)}`, bytes)
    );
    return fn(dir);
  } finally {
    removeDir(dir);
  }
}

/** Every file of `dir`: name, length and bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const bytes = readFileSync(`${dir}/${name}`);
    out[name] = `${bytes.length}:${bytes.toString("base64")}`;
  }
  return out;
}

function corrupted(report: ReturnType<typeof verifyLog>) {
  return report.files.flatMap((file) =>
    file.blocks.flatMap((b) =>
      b.corruptions.map((c) => ({
        file: file.name,
        block: b.index,
        offset: c.offset,
        reason: c.reason,
      }))
    )
  );
}

describe("verifyLog on the Rust fixtures", () => {
  for (const name of ["basic", "batch", "large-record", "truncate"]) {
    test(`${name} is intact`, () => {
      const report = verifyLog(`${RUST_FIXTURES}${name}/wal`);
      assert.equal(report.intact, true);
      assert.equal(report.corruptionCount, 0);
      assert.ok(report.records > 0);
      const [file] = report.files;
      assert.equal(file.name, segmentName(0));
      assert.equal(
        file.bytes,
        statSync(`${RUST_FIXTURES}${name}/wal/${file.name}`).size,
      );
      assert.ok(file.blocks.every((b) => b.corruptions.length === 0));
      assert.equal(
        file.blocks.reduce((n, b) => n + b.records, 0),
        file.records,
      );
    });
  }

  test("large-record: records cut across blocks count in their first block", () => {
    const manifest = rustFixtureJson("large-record", "manifest.json");
    const report = verifyLog(`${RUST_FIXTURES}large-record/wal`);
    assert.equal(report.records, manifest.wal_records.length);
    const [file] = report.files;
    // 8 Full and 3 First frames start the 11 records.
    assert.equal(file.records, 11);
    assert.ok(file.blocks.length > 30);
    assert.ok(file.blocks.some((b) => b.records === 0)); // Middle frames only
  });

  test("corrupted-middle-payload: one checksum mismatch in block 3", () => {
    const report = verifyLog(`${RUST_FIXTURES}corrupted-middle-payload/wal`);
    assert.equal(report.intact, false);
    assert.equal(report.corruptionCount, 1);
    assert.deepEqual(corrupted(report), [{
      file: segmentName(0),
      block: 3,
      offset: 114070,
      reason: "checksum mismatch",
    }]);
    const file = report.files[0];
    assert.equal(file.blocks.length, 6);
    assert.equal(
      file.blocks.filter((b) => b.corruptions.length === 0).length,
      5,
    );
  });

  test("torn-tail: the torn last frame, in block 5", () => {
    const report = verifyLog(`${RUST_FIXTURES}torn-tail/wal`);
    assert.deepEqual(corrupted(report), [{
      file: segmentName(0),
      block: 5,
      offset: 164872,
      reason: "checksum mismatch",
    }]);
    assert.equal(report.files[0].endOffset, 165904);
  });

  test("reads the fixtures without writing (they are read-only files)", () =>
    withTempDir((dir) => {
      cpSync(`${RUST_FIXTURES}corrupted-middle-payload/wal`, dir, {
        recursive: true,
      });
      const before = snapshot(dir);
      verifyLog(dir);
      assert.deepEqual(snapshot(dir), before);
    }, PREFIX));
});

describe("verifyLog on logs written by the library", () => {
  test("a log of several files, verified while the log is open", () =>
    withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir, {
        segmentBytes: 4 * BLOCK_SIZE,
      });
      await log.createQueue("q");
      for (let i = 0; i < 60; i++) {
        await log.appendRecord("q", undefined, new Uint8Array(3000).fill(i));
      }
      await log.persist("fsync");
      const before = snapshot(dir);
      const report = verifyLog(dir); // the lock is held: verify takes none
      assert.deepEqual(snapshot(dir), before);
      assert.equal(report.intact, true);
      assert.ok(report.files.length >= 2);
      // Touch + 60 AppendRecords.
      assert.equal(report.records, 61);
      const last = report.files.at(-1)!;
      assert.notEqual(last.endOffset, undefined);
      for (const file of report.files.slice(0, -1)) {
        assert.equal(file.blocks.length, 4);
        assert.equal(file.endOffset, undefined);
      }
      await log.close();
      assert.equal(verifyLog(dir).intact, true);
    }, PREFIX));

  test("an empty directory has no files and is intact", () =>
    withTempDir((dir) => {
      const report = verifyLog(dir);
      assert.deepEqual(report.files, []);
      assert.equal(report.intact, true);
      assert.deepEqual(readdirSync(dir), []);
    }, PREFIX));

  test("a missing directory throws", () => {
    assert.throws(() => verifyLog("/nonexistent/mrecordlog-verify"), {
      code: "ENOENT",
    });
  });
});

describe("verifyLog finds hand-made damage", () => {
  const good = (queue: string, position: number, payload: string) =>
    frameBytes(
      FrameType.Full,
      recordBytes(RecordKind.AppendRecords, position, queue, [{
        position,
        payload: utf8(payload),
      }]),
    );

  test("a bad frame type drops the rest of its block only", () => {
    const builder = new LogBuilder().touch("q", 0);
    for (let i = 0; i < 300; i++) builder.append("q", i, ["x".repeat(200)]);
    const bytes = builder.bytes();
    assert.equal(bytes.length, 3 * BLOCK_SIZE);
    const intact = verifyLogOf([bytes]);
    assert.equal(intact.records, 301);
    const frame = parseFrames(bytes).find((f) =>
      f.offset > BLOCK_SIZE + 1000 && f.type === FrameType.Full
    )!;
    bytes[frame.offset + 6] = 9;
    const report = verifyLogOf([bytes]);
    assert.deepEqual(corrupted(report), [{
      file: segmentName(0),
      block: 1,
      offset: frame.offset,
      reason: "unknown frame type 9",
    }]);
    const [before, damaged, after] = report.files[0].blocks;
    assert.equal(before.records, intact.files[0].blocks[0].records);
    assert.equal(after.records, intact.files[0].blocks[2].records);
    assert.ok(damaged.records < intact.files[0].blocks[1].records);
    assert.ok(damaged.records > 0);
  });

  test("a frame that does not decode as a record", () => {
    const bad = frameBytes(
      FrameType.Full,
      concat(new Uint8Array([7]), new Uint8Array(12)),
    );
    withLogFiles([block(good("q", 0, "a"), bad, good("q", 1, "b"))], (dir) => {
      const report = verifyLog(dir);
      assert.equal(report.corruptionCount, 1);
      assert.equal(corrupted(report)[0].reason, "unknown record kind 7");
      assert.equal(report.records, 2);
    });
  });

  test("data after the zero header that ends the log", () => {
    const bytes = new LogBuilder().touch("q", 0).append("q", 0, ["x"]).bytes();
    bytes[BLOCK_SIZE - 100] = 1;
    withLogFiles([bytes], (dir) => {
      const report = verifyLog(dir);
      assert.equal(report.records, 2);
      assert.deepEqual(corrupted(report).map((c) => [c.block, c.offset]), [
        [0, BLOCK_SIZE - 100],
      ]);
      assert.match(corrupted(report)[0].reason, /after the zero header/);
    });
  });

  test("a file after the end of the log: flagged only if it holds data", () => {
    const first = new LogBuilder().touch("q", 0).bytes(); // ends in file 0
    const empty = verifyLogOf([first, new Uint8Array(BLOCK_SIZE)]);
    assert.equal(empty.intact, true);
    assert.equal(empty.files[1].afterEnd, true);
    const full = verifyLogOf([first, block(good("q", 0, "late"))]);
    assert.equal(full.intact, false);
    assert.equal(full.files[0].corruptionCount, 0);
    assert.equal(full.files[1].afterEnd, true);
    assert.match(corrupted(full)[0].reason, /after the end of the log/);
  });

  test("a last partial block: ignored if zero, flagged if it holds data", () => {
    const bytes = new LogBuilder().touch("q", 0).bytes();
    const clean = verifyLogOf([concat(bytes, new Uint8Array(100))]);
    assert.equal(clean.intact, true);
    assert.equal(clean.files[0].partialBlockBytes, 100);
    const tail = new Uint8Array(100);
    tail[50] = 0xff;
    // A full first block, so that the data runs into the partial block.
    const first = good("q", 0, "a");
    const filler = recordBytes(
      RecordKind.Touch,
      0,
      "q".repeat(BLOCK_SIZE - 2 * 7 - first.length - 11),
    );
    const full = block(first, frameBytes(FrameType.Full, filler));
    const report = verifyLogOf([concat(full, tail)]);
    assert.deepEqual(corrupted(report).map((c) => c.offset), [BLOCK_SIZE + 50]);
    assert.match(corrupted(report)[0].reason, /partial block/);
  });

  test("a record cut across two files is whole", () => {
    const builder = new LogBuilder().touch("q", 0);
    builder.append("q", 0, [new Uint8Array(BLOCK_SIZE + 500).fill(7)]);
    const report = verifyLogOf(builder.files(BLOCK_SIZE));
    assert.equal(report.intact, true);
    assert.equal(report.records, 2);
    assert.equal(report.files.length, 2);
  });

  test("reports progress up to the bytes of all files", () => {
    withLogFiles(
      [block(good("q", 0, "a")), block(good("q", 1, "b"))],
      (dir) => {
        const seen: [number, number][] = [];
        verifyLog(dir, {
          onProgress: (done, total) => seen.push([done, total]),
        });
        assert.ok(seen.length > 0);
        assert.equal(seen.at(-1)![1], 2 * BLOCK_SIZE);
        assert.ok(seen.at(-1)![0] >= 2 * BLOCK_SIZE);
      },
    );
  });
});

describe("verifyLog through a FileAdapter", () => {
  test("reads the files of the adapter given, each opened read-only", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open("/data", {
      fileAdapter: fs,
      segmentBytes: 2 * BLOCK_SIZE,
    });
    await log.createQueue("q");
    for (let i = 0; i < 20; i++) {
      await log.appendRecord("q", undefined, new Uint8Array(5000).fill(i));
    }
    await log.close();
    fs.writeFileBytes("/data/not-a-log-file", utf8("ignored"));
    const opens: { path: string; create: boolean; readOnly?: boolean }[] = [];
    const spy: FileAdapter = {
      mkdir: (path) => fs.mkdir(path),
      listFiles: (dir) => fs.listFiles(dir),
      open(path, options) {
        opens.push({ path, ...options });
        return fs.open(path, options);
      },
      rename: () => assert.fail("verify renames nothing"),
      link: () => assert.fail("verify links nothing"),
      remove: () => assert.fail("verify removes nothing"),
      syncDir: () => assert.fail("verify syncs nothing"),
    };
    const { writes, truncates, syncs } = fs.stats;
    const report = verifyLog("/data", { fileAdapter: spy });
    assert.equal(report.intact, true);
    assert.equal(report.records, 21);
    assert.ok(report.files.length >= 2, `${report.files.length} files`);
    assert.deepEqual(
      opens.map((o) => o.path),
      report.files.map((f) => `/data/${f.name}`),
    );
    assert.ok(opens.every((o) => o.create === false && o.readOnly === true));
    assert.deepEqual(
      [fs.stats.writes, fs.stats.truncates, fs.stats.syncs],
      [writes, truncates, syncs],
    );
  });

  test("finds damage in a memory log and throws for a missing directory", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/wal");
    const bytes = block(
      frameBytes(FrameType.Full, utf8("abc"), { checksum: 1 }),
    );
    fs.writeFileBytes(`/wal/${segmentName(4)}`, bytes);
    const report = verifyLog("/wal", { fileAdapter: fs });
    assert.equal(report.intact, false);
    assert.deepEqual(corrupted(report), [{
      file: segmentName(4),
      block: 0,
      offset: 0,
      reason: "checksum mismatch",
    }]);
    assert.throws(() => verifyLog("/missing", { fileAdapter: fs }), {
      code: "ENOENT",
    });
  });
});

function verifyLogOf(files: Uint8Array[]): ReturnType<typeof verifyLog> {
  return withLogFiles(files, (dir) => verifyLog(dir));
}
