import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CorruptionError,
  LogClosedError,
  LogLockedError,
  LogReadOnlyError,
  MemoryFileAdapter,
  MultiRecordLog,
} from "../../mod.ts";
import type { FileAdapter } from "../../src/storage/file_adapter.ts";
import { BLOCK_SIZE } from "../../src/format/frame.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { text, utf8 } from "../support/bytes.ts";
import { walNumbers } from "../support/log_state.ts";

const DIR = "/wal";
const quiet = { onWarning: (): void => {} };

/** Every file of `dir` and its bytes. */
function filesOf(fs: MemoryFileAdapter, dir = DIR): Map<string, Uint8Array> {
  return new Map(
    fs.listFiles(dir).map((name) => [name, fs.readFileBytes(`${dir}/${name}`)]),
  );
}

/** A log on `fs` with queues "a" (3 records, 1 truncated) and "b" (empty), left open. */
async function writerLog(fs: MemoryFileAdapter): Promise<MultiRecordLog> {
  const log = await MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    segmentBytes: BLOCK_SIZE * 2,
  });
  await log.createQueue("a");
  await log.createQueue("b");
  await log.appendRecords("a", undefined, [utf8("x"), utf8("y"), utf8("z")]);
  await log.truncate("a", 0);
  return log;
}

describe("MultiRecordLog read-only open", () => {
  it("reads the state of a log another instance holds open, and changes nothing", async () => {
    const fs = new MemoryFileAdapter();
    const writer = await writerLog(fs);
    await assert.rejects(
      MultiRecordLog.open(DIR, { fileAdapter: fs }),
      LogLockedError,
    );
    const before = filesOf(fs);
    const stats = fs.stats;
    const reader = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
    });
    assert.deepEqual(reader.listQueues(), ["a", "b"]);
    assert.deepEqual(
      [...reader.range("a")].map((r) => [r.position, text(r.payload)]),
      [[1, "y"], [2, "z"]],
    );
    assert.equal(reader.lastPosition("a"), 2);
    assert.equal(reader.lastPosition("b"), undefined);
    const summary = reader.summary();
    assert.deepEqual(summary.queues, writer.summary().queues);
    assert.deepEqual(
      summary.files.map((f) => f.number),
      walNumbers(fs, DIR),
    );
    assert.equal(reader.resourceUsage().memoryUsedBytes > 0, true);
    await reader.close();
    const after = fs.stats;
    for (
      const op of [
        "writes",
        "truncates",
        "syncs",
        "syncDirs",
        "renames",
        "removes",
        "links",
      ] as const
    ) {
      assert.equal(after[op], stats[op], op);
    }
    assert.deepEqual(filesOf(fs), before);
    // The writer goes on, and a later snapshot sees what it wrote.
    await writer.appendRecord("b", undefined, utf8("later"));
    const again = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
    });
    assert.equal(text(again.lastRecord("b")!.payload), "later");
    await again.close();
    await writer.close();
  });

  it("raises LogReadOnlyError from every method that writes", async () => {
    const fs = new MemoryFileAdapter();
    await (await writerLog(fs)).close();
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
    });
    const writes: [string, () => Promise<unknown>][] = [
      ["createQueue", () => log.createQueue("c")],
      ["deleteQueue", () => log.deleteQueue("a")],
      ["appendRecord", () => log.appendRecord("a", undefined, utf8("w"))],
      ["appendRecords", () => log.appendRecords("a", 3, [utf8("w")])],
      ["truncate", () => log.truncate("a", 2)],
      ["persist", () => log.persist("fsync")],
    ];
    for (const [name, call] of writes) {
      await assert.rejects(call(), LogReadOnlyError, name);
    }
    assert.throws(() => log.writable("a"), (e: unknown) => {
      assert.ok(e instanceof LogReadOnlyError);
      assert.equal(e.name, "LogReadOnlyError");
      return true;
    });
    // Nothing changed in memory either.
    assert.deepEqual(log.listQueues(), ["a", "b"]);
    assert.equal(log.lastPosition("a"), 2);
    // Readers work, and close stops them like any other log.
    const records = [];
    for await (const r of log.readable("a")) records.push(r.position);
    assert.deepEqual(records, [1, 2]);
    await log.close();
    assert.throws(() => log.listQueues(), LogClosedError);
    await assert.rejects(log.appendRecord("a", 3, utf8("w")), LogClosedError);
  });

  it("leaves stale bytes after the end of the data, and files past it, as they are", async () => {
    const fs = new MemoryFileAdapter();
    await (await writerLog(fs)).close();
    const last = Math.max(...walNumbers(fs, DIR));
    // Bytes after the end of the data in the newest file, and a file after it.
    const path = `${DIR}/${segmentName(last)}`;
    const file = fs.open(path, { create: false });
    file.write(new Uint8Array(64).fill(0xab), BLOCK_SIZE - 64);
    file.close();
    fs.writeFileBytes(`${DIR}/${segmentName(last + 5)}`, new Uint8Array(10));
    const before = filesOf(fs);
    const warnings: string[] = [];
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(log.lastPosition("a"), 2);
    // Listed as what a writable open would set aside, and warned about.
    assert.deepEqual(log.summary().recovery.detachedFiles, [
      segmentName(last + 5),
    ]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /not read \(a writable open sets them aside\)/);
    await log.close();
    assert.deepEqual(filesOf(fs), before);
    // A writable open zeroes the tail and sets the later file aside: the
    // comparison above could fail.
    const warned: string[] = [];
    await (await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      onWarning: (m) => warned.push(m),
    })).close();
    assert.ok(warned.some((w) => /set aside/.test(w)), warned.join("\n"));
    const repaired = filesOf(fs);
    assert.ok(repaired.has(`${segmentName(last + 5)}.detached`));
    assert.notDeepEqual(
      repaired.get(segmentName(last)),
      before.get(segmentName(last)),
    );
  });

  it("ends the snapshot at a record cut short at the end, without counting damage", async () => {
    const fs = new MemoryFileAdapter();
    const writer = await MultiRecordLog.open(DIR, { fileAdapter: fs });
    await writer.createQueue("q");
    await writer.appendRecord("q", undefined, new Uint8Array(100).fill(1));
    await writer.appendRecord(
      "q",
      undefined,
      new Uint8Array(3 * BLOCK_SIZE).fill(0x5a),
    );
    // The big record's end is not written yet, as when a writer is writing it.
    const path = `${DIR}/${segmentName(0)}`;
    const bytes = fs.readFileBytes(path);
    const end = bytes.lastIndexOf(0x5a) + 1;
    const file = fs.open(path, { create: false });
    file.write(new Uint8Array(1000), end - 1000);
    file.close();
    for (const strict of [false, true]) {
      const warnings: string[] = [];
      const log = await MultiRecordLog.open(DIR, {
        fileAdapter: fs,
        readOnly: true,
        strict,
        onWarning: (m) => warnings.push(m),
      });
      assert.equal(log.lastPosition("q"), 0);
      assert.equal(log.summary().recovery.corruptionCount, 0);
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0], /ends in an incomplete record/);
      await log.close();
    }
    await writer.close();
  });

  it("counts damage followed by an intact record, as a writable open does", async () => {
    const fs = new MemoryFileAdapter();
    const writer = await MultiRecordLog.open(DIR, { fileAdapter: fs });
    await writer.createQueue("q");
    await writer.appendRecord("q", undefined, new Uint8Array(100).fill(0x5a));
    await writer.appendRecord("q", undefined, new Uint8Array(100).fill(2));
    await writer.close();
    const path = `${DIR}/${segmentName(0)}`;
    const damaged = fs.readFileBytes(path).indexOf(0x5a) + 50;
    const file = fs.open(path, { create: false });
    file.write(new Uint8Array([0x00]), damaged);
    file.close();
    const warnings: string[] = [];
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.deepEqual([...log.range("q")].map((r) => r.position), [1]);
    assert.equal(log.summary().recovery.corruptionCount, 1);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /damaged/);
    await log.close();
    await assert.rejects(
      MultiRecordLog.open(DIR, {
        fileAdapter: fs,
        readOnly: true,
        strict: true,
      }),
      CorruptionError,
    );
  });

  it("rejects a readOnly that is not a boolean", async () => {
    await assert.rejects(
      MultiRecordLog.open(DIR, {
        fileAdapter: new MemoryFileAdapter(),
        readOnly: "yes" as unknown as boolean,
      }),
      (e: unknown) => e instanceof TypeError && /readOnly/.test(e.message),
    );
  });

  it("opens an empty directory without creating a file; a missing one is an error", async () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir(DIR);
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      readOnly: true,
    });
    assert.deepEqual(log.listQueues(), []);
    assert.deepEqual(log.summary().files, []);
    await log.close();
    assert.deepEqual(fs.listFiles(DIR), []);
    await assert.rejects(
      MultiRecordLog.open("/missing", { fileAdapter: fs, readOnly: true }),
      (e: unknown) => (e as { code?: string }).code === "ENOENT",
    );
    assert.equal(fs.listFiles("/").includes("missing"), false);
  });

  it("starts over when a log file vanishes between listing and reading it", async () => {
    const fs = new MemoryFileAdapter();
    await (await writerLog(fs)).close();
    let listings = 0;
    // The first listing names a file that is gone by the time it is opened,
    // as when a writer's garbage collection removes it meanwhile.
    const racing: FileAdapter = {
      mkdir: (p) => fs.mkdir(p),
      listFiles: (dir) => {
        listings++;
        const names = fs.listFiles(dir);
        return listings <= 10 ? [...names, segmentName(1000)] : names;
      },
      open: (p, o) => fs.open(p, o),
      rename: (a, b) => fs.rename(a, b),
      link: (a, b) => fs.link(a, b),
      remove: (p) => fs.remove(p),
      syncDir: (d) => fs.syncDir(d),
    };
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: racing,
      readOnly: true,
      ...quiet,
    });
    assert.equal(listings, 11);
    assert.ok(log.queueExists("a"));
    await log.close();
  });
});
