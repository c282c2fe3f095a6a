// Log files written with zeros ahead of the data under the policies that
// fsync (issue 16): blocks allocated ahead, never over data, the same bytes
// as a sparse log, and read back exactly.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { MultiRecordLog, type PersistPolicy } from "../../mod.ts";
import { LogFailedError } from "../../src/errors.ts";
import { LogWriter } from "../../src/log/log_writer.ts";
import { resolveOpenOptions } from "../../src/log/open_options.ts";
import { prewriteBytes } from "../../src/log/persist_policy.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { createSegment } from "../../src/storage/segment_file.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { utf8 } from "../support/bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

const MiB = 1024 * 1024;
const FSYNC: PersistPolicy = { kind: "always", action: "fsync" };
const FLUSH: PersistPolicy = { kind: "always", action: "flush" };

/** Bytes of the file at `path` that take blocks on disk. */
function allocated(path: string): number {
  return Number(statSync(path).blocks) * 512;
}

function walFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^wal-\d{20}$/.test(n)).sort();
}

/** Appends `count` records of 1..3000 bytes (seeded), 1 to 7 per append. */
async function appendSome(
  log: MultiRecordLog,
  count: number,
  seed: number,
): Promise<Uint8Array[]> {
  const all: Uint8Array[] = [];
  for (let i = 0; all.length < count; i++) {
    const batch = Array.from(
      { length: 1 + (i % 7) },
      (_, j) => randomBytes(1 + ((i * 7919 + j * 104729) % 3000), seed + i),
    );
    await log.appendRecords("q", undefined, batch);
    all.push(...batch);
  }
  return all;
}

function assertRecords(log: MultiRecordLog, expected: Uint8Array[]): void {
  const got = [...log.range("q")];
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) {
    assert.equal(got[i].position, i);
    assert.deepEqual(got[i].payload, expected[i], `record ${i}`);
  }
}

describe("zeros written ahead of the data (policies that fsync)", () => {
  it("only the policies that fsync appends write ahead", () => {
    assert.equal(prewriteBytes(FSYNC), MiB);
    assert.equal(
      prewriteBytes({ kind: "onDelay", intervalMs: 10, action: "fsync" }),
      MiB,
    );
    assert.equal(prewriteBytes(FLUSH), 0);
    assert.equal(
      prewriteBytes({ kind: "onDelay", intervalMs: 10, action: "flush" }),
      0,
    );
    assert.equal(prewriteBytes({ kind: "doNothing" }), 0);
  });

  it("prewriteSegments: defaults to the policy, true or false overrides it, anything else is a TypeError", () => {
    const resolved = (options: Parameters<typeof resolveOpenOptions>[1]) =>
      resolveOpenOptions("/d", options).prewriteBytes;
    assert.equal(resolved({}), 0);
    assert.equal(resolved({ persistPolicy: FSYNC }), MiB);
    assert.equal(
      resolved({ persistPolicy: FSYNC, prewriteSegments: false }),
      0,
    );
    assert.equal(
      resolved({ persistPolicy: FLUSH, prewriteSegments: true }),
      MiB,
    );
    assert.throws(
      () => resolved({ prewriteSegments: "yes" as unknown as boolean }),
      { name: "TypeError", message: "prewriteSegments must be a boolean" },
    );
  });

  for (
    const [name, policy, ahead, prewriteSegments] of [
      ["always/fsync", FSYNC, true],
      [
        "onDelay/fsync",
        { kind: "onDelay", intervalMs: 5, action: "fsync" },
        true,
      ],
      ["always/flush", FLUSH, false, undefined],
      ["always/fsync with prewriteSegments: false", FSYNC, false, false],
      ["always/flush with prewriteSegments: true", FLUSH, true, true],
    ] as [string, PersistPolicy, boolean, boolean | undefined][]
  ) {
    it(`${name}: a new log file ${ahead ? "has" : "has no"} blocks ahead of its data`, async () => {
      await withTempDir(async (dir) => {
        const log = await MultiRecordLog.open(dir, {
          persistPolicy: policy,
          prewriteSegments,
        });
        try {
          await log.createQueue("q");
          await log.appendRecord("q", undefined, utf8("x"));
          const path = `${dir}/${walFiles(dir)[0]}`;
          if (ahead) assert.ok(allocated(path) >= MiB, `${allocated(path)}`);
          else assert.ok(allocated(path) < MiB / 4, `${allocated(path)}`);
          assert.equal(statSync(path).size, 128 * MiB);
        } finally {
          await log.close();
        }
      });
    });
  }

  it("zeros stay ahead as the data grows, across files, and the bytes equal a sparse log's", async () => {
    await withTempDir(async (root) => {
      const segmentBytes = 2 * MiB;
      const written: Record<string, Uint8Array[]> = {};
      for (
        const [name, policy] of [["fsync", FSYNC], ["flush", FLUSH]] as const
      ) {
        const dir = `${root}/${name}`;
        const log = await MultiRecordLog.open(dir, {
          persistPolicy: policy,
          segmentBytes,
        });
        await log.createQueue("q");
        written[name] = await appendSome(log, 2000, 7);
        if (name === "fsync") {
          // Mid-file: zeros at least half a window past the data.
          const files = walFiles(dir);
          const last = `${dir}/${files[files.length - 1]}`;
          assert.ok(files.length >= 2, `${files.length} files`);
          const bytes = readFileSync(last);
          let data = bytes.length;
          while (data > 0 && bytes[data - 1] === 0) data--;
          assert.ok(
            allocated(last) >= Math.min(segmentBytes, data + MiB / 2),
            `${allocated(last)} allocated, data to ${data}`,
          );
        }
        await log.close();
      }
      const fsyncFiles = walFiles(`${root}/fsync`);
      assert.deepEqual(fsyncFiles, walFiles(`${root}/flush`));
      for (const file of fsyncFiles) {
        const a = readFileSync(`${root}/fsync/${file}`);
        const b = readFileSync(`${root}/flush/${file}`);
        assert.ok(Buffer.compare(a, b) === 0, `${file} differs`);
      }
      const reopened = await MultiRecordLog.open(`${root}/fsync`, {
        persistPolicy: FSYNC,
        segmentBytes,
      });
      try {
        assertRecords(reopened, written.fsync);
        // Appending after the reopen keeps the data whole.
        const more = await appendSome(reopened, 300, 99);
        await reopened.close();
        const again = await MultiRecordLog.open(`${root}/fsync`, {
          persistPolicy: FLUSH,
        });
        assertRecords(again, [...written.fsync, ...more]);
        await again.close();
      } finally {
        await reopened.close();
      }
    });
  });

  it("1,000 appends in flight: zeros never land on data", async () => {
    await withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir, {
        persistPolicy: FSYNC,
        segmentBytes: 2 * MiB,
      });
      await log.createQueue("q");
      const payloads = Array.from(
        { length: 6000 },
        (_, i) => randomBytes(200 + (i % 1500), i),
      );
      await Promise.all(
        payloads.map((p) => log.appendRecords("q", undefined, [p])),
      );
      await log.close();
      const reopened = await MultiRecordLog.open(dir);
      try {
        assertRecords(reopened, payloads);
      } finally {
        await reopened.close();
      }
    });
  });

  it("never writes zeros over bytes written, and counts them in disk use", async () => {
    const fs = new MemoryFileAdapter();
    const writes: [number, number, boolean][] = []; // offset, length, zeros
    const watching: FileAdapter = {
      ...fs,
      mkdir: (p) => fs.mkdir(p),
      listFiles: (d) => fs.listFiles(d),
      rename: (a, b) => fs.rename(a, b),
      link: (a, b) => fs.link(a, b),
      remove: (p) => fs.remove(p),
      syncDir: (d) => fs.syncDir(d),
      open(path, options): AdapterFile {
        const file = fs.open(path, options);
        return {
          read: (b, o) => file.read(b, o),
          write(bytes, offset) {
            writes.push([offset, bytes.length, bytes.every((b) => b === 0)]);
            return file.write(bytes, offset);
          },
          truncate: (n) => file.truncate(n),
          size: () => file.size(),
          syncData: () => file.syncData(),
          syncDataSync: () => file.syncDataSync(),
          close: () => file.close(),
        };
      },
    };
    watching.mkdir("/log");
    const segmentBytes = 8 * MiB;
    const writer = new LogWriter({
      adapter: watching,
      dir: "/log",
      files: new Map([[0, segmentBytes]]),
      file: createSegment(watching, "/log", 0, segmentBytes),
      offset: 0,
      segmentBytes,
      prewriteBytes: MiB,
    });
    assert.ok(writer.diskUsedBytes >= MiB, "zeros written on open count");
    const queue = utf8("q");
    let dataEnd = 0;
    for (let i = 0; i < 400; i++) {
      writer.addAppend(queue, i, [randomBytes(10_000, i)]);
      await writer.commit(true);
      for (const [offset, length, zeros] of writes) {
        if (zeros) assert.ok(offset >= dataEnd, `zeros at ${offset}`);
        else dataEnd = Math.max(dataEnd, offset + length);
      }
      writes.length = 0;
      assert.ok(writer.diskUsedBytes >= dataEnd + MiB / 2 || i < 2);
    }
    writer.close();
  });

  it("a failed fdatasync of the zeros fails the log: later commits reject", async () => {
    const fs = new MemoryFileAdapter();
    let zerosWritten = false;
    let failedSyncs = 0;
    const failing: FileAdapter = {
      mkdir: (p) => fs.mkdir(p),
      listFiles: (d) => fs.listFiles(d),
      rename: (a, b) => fs.rename(a, b),
      link: (a, b) => fs.link(a, b),
      remove: (p) => fs.remove(p),
      syncDir: (d) => fs.syncDir(d),
      open(path, options): AdapterFile {
        const file = fs.open(path, options);
        return {
          read: (b, o) => file.read(b, o),
          write(bytes, offset) {
            zerosWritten = bytes.length > 0 && bytes.every((b) => b === 0);
            return file.write(bytes, offset);
          },
          truncate: (n) => file.truncate(n),
          size: () => file.size(),
          syncData() {
            if (!zerosWritten) return file.syncData();
            failedSyncs++;
            return Promise.reject(new Error("EIO"));
          },
          syncDataSync: () => file.syncDataSync(),
          close: () => file.close(),
        };
      },
    };
    failing.mkdir("/log");
    const writer = new LogWriter({
      adapter: failing,
      dir: "/log",
      files: new Map([[0, 8 * MiB]]),
      file: createSegment(failing, "/log", 0, 8 * MiB),
      offset: 0,
      segmentBytes: 8 * MiB,
      prewriteBytes: 256 * 1024,
    });
    const queue = utf8("q");
    let resolved = 0;
    let rejected: unknown;
    for (let i = 0; i < 200 && rejected === undefined; i++) {
      writer.addAppend(queue, i, [randomBytes(4000, i)]);
      try {
        await writer.commit(true);
        resolved++;
      } catch (error) {
        rejected = error;
      }
    }
    assert.equal(failedSyncs, 1);
    assert.ok(resolved > 0);
    assert.ok(rejected instanceof LogFailedError, String(rejected));
    assert.ok(writer.failed instanceof LogFailedError);
    await assert.rejects(writer.commit(true), LogFailedError);
    writer.close();
  });
});
