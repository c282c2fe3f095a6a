import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import {
  createSegment,
  listSegmentNumbers,
  openSegments,
  parseSegmentName,
  segmentName,
} from "../../src/storage/segment_file.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { MemoryFileAdapter, MultiRecordLog } from "../../mod.ts";
import { LogBuilder } from "../support/log_bytes.ts";
import { walNumbers } from "../support/log_state.ts";
import { withTempDir } from "../support/temp_dir.ts";

describe("segment file names", () => {
  it("are wal- and the number as 20 zero-padded digits", () => {
    assert.equal(segmentName(0), "wal-00000000000000000000");
    assert.equal(segmentName(42), "wal-00000000000000000042");
    assert.equal(
      segmentName(Number.MAX_SAFE_INTEGER),
      "wal-00009007199254740991",
    );
    assert.equal(segmentName(7).length, 24);
  });

  it("parse back to their number", () => {
    for (const n of [0, 1, 99, 123456789, Number.MAX_SAFE_INTEGER]) {
      assert.equal(parseSegmentName(segmentName(n)), n);
    }
  });

  it("reject anything else", () => {
    for (
      const name of [
        "wal-0",
        "wal-0000000000000000000",
        "wal-000000000000000000000",
        "wal-00000000000000000000.detached",
        "WAL-00000000000000000000",
        "wal_00000000000000000000",
        "wal-0000000000000000000a",
        "wal-000000000000000000-1",
        "wal-0000000000000000000\u0661", // an Arabic-Indic digit
        "wal-+0000000000000000001",
        " wal-0000000000000000000",
        "mrecordlog.lock",
        "",
      ]
    ) {
      assert.equal(parseSegmentName(name), undefined, name);
    }
  });

  it("reject numbers above 2^53 - 1 instead of rounding them", () => {
    assert.equal(parseSegmentName("wal-00009007199254740992"), undefined);
    assert.equal(parseSegmentName("wal-18446744073709551615"), undefined);
    assert.equal(parseSegmentName("wal-99999999999999999999"), undefined);
  });
});

describe("createSegment", () => {
  it("creates a file of segmentBytes zeros, durable with its directory entry", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/wal");
    const file = createSegment(fs, "/wal", 3, 65536);
    assert.equal(file.size(), 65536);
    file.close();
    const after = fs.crash({ mode: "drop" });
    assert.deepEqual(after.listFiles("/wal"), ["wal-00000000000000000003"]);
    assert.equal(after.fileSize("/wal/wal-00000000000000000003"), 65536);
    assert.ok(
      after.readFileBytes("/wal/wal-00000000000000000003").every((b) =>
        b === 0
      ),
    );
  });

  it("refuses to overwrite an existing file", () => {
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes("/wal/wal-00000000000000000000", new Uint8Array([1]));
    assert.throws(() => createSegment(fs, "/wal", 0, 32768));
    assert.deepEqual([...fs.readFileBytes("/wal/wal-00000000000000000000")], [
      1,
    ]);
  });
});

describe("listSegmentNumbers and openSegments", () => {
  it("list the numbers of the files named wal-<20 digits>, in number order", () => {
    const fs = new MemoryFileAdapter();
    for (const name of [segmentName(10), segmentName(2), "wal-1", "x"]) {
      fs.writeFileBytes(`/d/${name}`, new Uint8Array(1));
    }
    fs.writeFileBytes(`/d/${segmentName(7)}.detached`, new Uint8Array(1));
    fs.mkdir(`/d/${segmentName(3)}`); // a directory, not a file
    assert.deepEqual(listSegmentNumbers(fs, "/d"), [2, 10]);
    fs.mkdir("/empty");
    assert.deepEqual(listSegmentNumbers(fs, "/empty"), []);
  });

  it("open the files given, in order, read-only if asked", () => {
    const fs = new MemoryFileAdapter();
    for (const n of [1, 4]) {
      fs.writeFileBytes(`/d/${segmentName(n)}`, new Uint8Array([n]));
    }
    const opened = openSegments(fs, "/d", [4, 1], true);
    assert.deepEqual(opened.map((s) => s.number), [4, 1]);
    const byte = new Uint8Array(1);
    opened[0].file.read(byte, 0);
    assert.equal(byte[0], 4);
    assert.throws(() => opened[0].file.write(byte, 0));
    for (const { file } of opened) file.close();
    const writable = openSegments(fs, "/d", [1], false);
    assert.equal(writable[0].file.write(new Uint8Array([9]), 0), 1);
    writable[0].file.close();
  });

  it("close what they opened when one file cannot be opened", () => {
    const fs = new MemoryFileAdapter();
    for (const n of [0, 1]) {
      fs.writeFileBytes(`/d/${segmentName(n)}`, new Uint8Array(1));
    }
    const open: AdapterFile[] = [];
    const closed: AdapterFile[] = [];
    const spy: FileAdapter = {
      mkdir: (path) => fs.mkdir(path),
      listFiles: (dir) => fs.listFiles(dir),
      rename: (from, to) => fs.rename(from, to),
      link: (existing, path) => fs.link(existing, path),
      remove: (path) => fs.remove(path),
      syncDir: (dir) => fs.syncDir(dir),
      open(path, options) {
        const file = fs.open(path, options);
        open.push(file);
        const close = file.close.bind(file);
        file.close = () => {
          closed.push(file);
          close();
        };
        return file;
      },
    };
    assert.throws(() => openSegments(spy, "/d", [0, 1, 2], true), {
      code: "ENOENT",
    });
    assert.equal(open.length, 2);
    assert.deepEqual(closed, open);
  });
});

describe("log directories", () => {
  it("read only files named exactly wal-<20 digits>, in number order", async () => {
    const fs = new MemoryFileAdapter();
    const [first, second] = new LogBuilder()
      .touch("a", 0)
      .append("a", 0, ["x"])
      .append("a", 1, [new Uint8Array(40_000)])
      .append("a", 2, ["y"])
      .files(32768);
    // Non-contiguous numbers are fine: file 9 follows file 5, and the record
    // at position 1 goes on from one into the other.
    fs.writeFileBytes(`/wal/${segmentName(5)}`, first);
    fs.writeFileBytes(`/wal/${segmentName(9)}`, second);
    const noise = new LogBuilder().touch("noise", 0).files(32768)[0];
    for (
      const name of [
        "wal-1",
        "wal-00000000000000000001.detached",
        "other",
        "wal-0000000000000000000x",
      ]
    ) {
      fs.writeFileBytes(`/wal/${name}`, noise);
    }
    fs.mkdir("/wal/wal-00000000000000000000"); // a directory, not a file
    const opened = await MultiRecordLog.open("/wal", {
      fileAdapter: fs,
      segmentBytes: 32768,
    });
    assert.deepEqual(opened.listQueues(), ["a"]);
    assert.deepEqual([...opened.range("a")].map((r) => r.position), [0, 1, 2]);
    assert.equal(opened.summary().recovery.corruptionCount, 0);
    assert.deepEqual(opened.summary().files.map((f) => f.number), [5, 9]);
    await opened.close();
    assert.deepEqual(walNumbers(fs, "/wal"), [5, 9]);
    assert.ok(fs.pathExists("/wal/other"));
  });

  it("create file 0 in an empty directory", async () => {
    await withTempDir(async (dir) => {
      mkdirSync(`${dir}/sub`);
      writeFileSync(`${dir}/README`, "not a log file");
      const log = await MultiRecordLog.open(dir, { segmentBytes: 65536 });
      assert.deepEqual(log.summary().files, [{ number: 0, bytes: 65536 }]);
      await log.close();
    });
  });
});
