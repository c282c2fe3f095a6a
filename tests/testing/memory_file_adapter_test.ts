import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { errorCode, writeFully } from "../../src/storage/file_adapter.ts";

const MiB = 1024 * 1024;

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(errorCode(error), code);
    return true;
  });
}

async function assertRejectsCode(
  promise: Promise<unknown>,
  code: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(errorCode(error), code);
    return true;
  });
}

function readAll(fs: MemoryFileAdapter, path: string): number[] {
  return [...fs.readFileBytes(path)];
}

// What every FileAdapter does is checked by the conformance suite
// (memory_file_adapter_conformance_test.ts); here, what only this one does.
describe("MemoryFileAdapter basics", () => {
  it("pathExists and fileSize inspect the current state", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/data/wal");
    assert.ok(fs.pathExists("/data"));
    assert.ok(fs.pathExists("/data/wal"));
    assert.ok(fs.pathExists("/"));
    assert.ok(fs.pathExists(""));
    const file = fs.open("/data/wal/b", { create: true });
    file.write(bytes(1, 2, 3), 0);
    file.write(bytes(9), 5);
    file.close();
    assert.ok(fs.pathExists("/data/wal/b"));
    assert.ok(fs.pathExists("/data/./wal//b"));
    assert.equal(fs.fileSize("/data/wal/b"), 6);
    assert.deepEqual(readAll(fs, "/data/wal/b"), [1, 2, 3, 0, 0, 9]);
    fs.rename("/data/wal/b", "/data/wal/c");
    assert.equal(fs.pathExists("/data/wal/b"), false);
    fs.remove("/data/wal/c");
    assert.equal(fs.pathExists("/data/wal/c"), false);
    assert.equal(fs.pathExists("wal"), false, "relative is not absolute");
  });

  it("readFileBytes returns a copy; writeFileBytes crafts files", () => {
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes("/x/y/z", bytes(1, 2, 3));
    assert.ok(fs.pathExists("/x/y"));
    const copy = fs.readFileBytes("/x/y/z");
    copy[0] = 42;
    assert.deepEqual(readAll(fs, "/x/y/z"), [1, 2, 3]);
    const file = fs.open("/x/y/z", { create: false });
    fs.writeFileBytes("/x/y/z", bytes(8));
    assert.equal(file.size(), 1);
    assertCode(() => fs.readFileBytes("/nope"), "ENOENT");
    assertCode(() => fs.fileSize("/nope"), "ENOENT");
  });

  it("reports EINVAL, EBADF and EISDIR with a code", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/d");
    const file = fs.open("/d/f", { create: true });
    assertCode(() => file.write(bytes(1), -1), "EINVAL");
    assertCode(() => file.read(new Uint8Array(1), 1.5), "EINVAL");
    assertCode(() => file.truncate(-1), "EINVAL");
    file.close();
    assertCode(() => file.size(), "EBADF");
    assertCode(() => file.write(bytes(1), 0), "EBADF");
    assertCode(() => file.close(), "EBADF");
    const readOnly = fs.open("/d/f", { create: false, readOnly: true });
    assertCode(() => readOnly.write(bytes(1), 0), "EBADF");
    assertCode(() => readOnly.truncate(0), "EBADF");
    assertCode(() => readOnly.syncDataSync(), "EBADF");
    assertCode(() => fs.remove("/d"), "EISDIR");
    assertCode(() => fs.rename("/d", "/e"), "EISDIR");
    assertCode(() => fs.writeFileBytes("/d", bytes(1)), "EISDIR");
  });

  it("extends sparsely with truncate (128 MiB is cheap)", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/big", { create: true });
    const start = performance.now();
    for (let i = 0; i < 20; i++) {
      file.truncate(128 * MiB);
      await file.syncData();
      file.truncate(i);
    }
    file.truncate(128 * MiB);
    assert.equal(file.size(), 128 * MiB);
    assert.equal(fs.fileSize("/big"), 128 * MiB);
    file.write(bytes(1, 2, 3), 0);
    const tail = new Uint8Array(16).fill(99);
    assert.equal(file.read(tail, 128 * MiB - 8), 8);
    assert.deepEqual([...tail], [...new Uint8Array(8), ...filled(8, 99)]);
    const head = new Uint8Array(5);
    assert.equal(file.read(head, 0), 5);
    assert.deepEqual([...head], [1, 2, 3, 0, 0]);
    await file.syncData();
    fs.syncDir("/");
    const after = fs.crash({ mode: "drop" });
    const reopened = after.open("/big", { create: false });
    assert.equal(reopened.size(), 128 * MiB);
    assert.equal(reopened.read(head, 0), 5);
    assert.deepEqual([...head], [1, 2, 3, 0, 0]);
    // 21 eager 128 MiB allocations (plus copies) would take far longer.
    assert.ok(performance.now() - start < 2000);
  });

  it("handles several MiB written in small pieces", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/log", { create: true });
    const chunk = new Uint8Array(97);
    let offset = 0;
    while (offset < 6 * MiB) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (offset + i) & 0xff;
      writeFully(file, chunk, offset);
      offset += chunk.length;
      if (offset % (97 * 1000) === 0) await file.syncData();
    }
    assert.equal(file.size(), offset);
    const contents = fs.readFileBytes("/log");
    for (let i = 0; i < offset; i += 4099) assert.equal(contents[i], i & 0xff);
    assert.equal(contents[offset - 1], (offset - 1) & 0xff);
  });

  it("counts operations", async () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/d");
    const file = fs.open("/d/f", { create: true });
    file.write(bytes(1, 2), 0);
    file.write(bytes(3), 2);
    await file.syncData();
    file.syncDataSync();
    fs.syncDir("/d");
    fs.rename("/d/f", "/d/g");
    fs.remove("/d/g");
    assertCode(() => fs.open("/d/f", { create: false }), "ENOENT");
    assert.deepEqual(fs.stats, {
      writes: 2,
      bytesWritten: 3,
      syncs: 2,
      syncDirs: 1,
      opens: 2,
      removes: 1,
      renames: 1,
      links: 0,
      truncates: 0,
    });
  });
});

describe("MemoryFileAdapter crash", () => {
  it("keeps synced data in every mode", async () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/wal");
    const file = fs.open("/wal/a", { create: true });
    file.write(bytes(1, 2, 3), 0);
    await file.syncData();
    fs.syncDir("/wal");
    for (const mode of ["drop", "keep", "torn"] as const) {
      for (let seed = 0; seed < 10; seed++) {
        const after = fs.crash({ mode, seed });
        assert.deepEqual(after.listFiles("/wal"), ["a"]);
        assert.deepEqual(readAll(after, "/wal/a"), [1, 2, 3]);
      }
    }
  });

  it("drops unsynced writes and truncations in drop mode, keeps them in keep mode", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/a", { create: true });
    file.write(bytes(1, 2, 3, 4), 0);
    file.syncDataSync();
    fs.syncDir("/");
    file.write(bytes(9, 9), 2);
    file.write(bytes(8), 6);
    file.truncate(5);
    assert.deepEqual(readAll(fs, "/a"), [1, 2, 9, 9, 0]);
    assert.deepEqual(readAll(fs.crash({ mode: "drop" }), "/a"), [1, 2, 3, 4]);
    assert.deepEqual(readAll(fs.crash({ mode: "keep" }), "/a"), [
      1,
      2,
      9,
      9,
      0,
    ]);
    // A sync makes the length durable, too.
    const other = new MemoryFileAdapter();
    const f = other.open("/b", { create: true });
    other.syncDir("/");
    f.write(filled(10, 1), 0);
    await f.syncData();
    f.truncate(3);
    await f.syncData();
    f.truncate(6);
    assert.deepEqual(readAll(other.crash({ mode: "drop" }), "/b"), [1, 1, 1]);
  });

  it("tears unsynced writes into prefixes, deterministically per seed", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/wal");
    const file = fs.open("/wal/a", { create: true });
    fs.syncDir("/wal");
    const synced = filled(50, 0xee);
    file.write(synced, 0);
    file.syncDataSync();
    const writes: { offset: number; data: Uint8Array }[] = [];
    let offset = synced.length;
    for (let i = 0; i < 40; i++) {
      const data = new Uint8Array(1 + ((i * 37) % 60));
      for (let j = 0; j < data.length; j++) data[j] = 1 + ((i + j) % 250);
      assert.equal(file.write(data, offset), data.length);
      writes.push({ offset, data });
      offset += data.length;
    }
    let dropped = 0;
    let whole = 0;
    let torn = 0;
    for (let seed = 0; seed < 30; seed++) {
      const after = fs.crash({ seed });
      const contents = after.readFileBytes("/wal/a");
      assert.deepEqual(
        [...fs.crash({ seed }).readFileBytes("/wal/a")],
        [...contents],
        "same seed, same outcome",
      );
      assert.ok(contents.length >= synced.length);
      assert.deepEqual([...contents.subarray(0, 50)], [...synced]);
      for (const { offset, data } of writes) {
        const region = contents.subarray(offset, offset + data.length);
        let kept = 0;
        while (kept < region.length && region[kept] === data[kept]) kept++;
        // What follows the kept prefix is the durable content: zeros.
        assert.ok(
          region.subarray(kept).every((byte) => byte === 0),
          `seed ${seed}: write at ${offset} is not a prefix`,
        );
        if (kept === 0) dropped++;
        else if (kept === data.length) whole++;
        else torn++;
      }
    }
    assert.ok(dropped > 0 && whole > 0 && torn > 0, "torn mode mixes");
    assert.notDeepEqual(
      [...fs.crash({ seed: 1 }).readFileBytes("/wal/a")],
      [...fs.crash({ seed: 2 }).readFileBytes("/wal/a")],
    );
  });

  it("loses a file creation without syncDir", async () => {
    for (const syncDir of [false, true]) {
      const fs = new MemoryFileAdapter();
      fs.mkdir("/wal");
      const file = fs.open("/wal/new", { create: true });
      file.write(bytes(1), 0);
      await file.syncData();
      if (syncDir) fs.syncDir("/wal");
      const after = fs.crash({ mode: "keep" });
      assert.ok(after.pathExists("/wal"));
      if (syncDir) {
        assert.deepEqual(after.listFiles("/wal"), ["new"]);
        assert.deepEqual(readAll(after, "/wal/new"), [1]);
      } else {
        assert.equal(after.pathExists("/wal/new"), false);
        assert.deepEqual(after.listFiles("/wal"), []);
      }
    }
  });

  it("keeps a dir-synced but never data-synced file empty in drop mode", () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.syncDir("/");
    file.write(bytes(1, 2), 0);
    const after = fs.crash({ mode: "drop" });
    assert.equal(after.fileSize("/f"), 0);
  });

  it("undoes a removal without syncDir", async () => {
    for (const syncDir of [false, true]) {
      const fs = new MemoryFileAdapter();
      fs.mkdir("/wal");
      const file = fs.open("/wal/old", { create: true });
      file.write(bytes(5, 6), 0);
      await file.syncData();
      fs.syncDir("/wal");
      file.close();
      fs.remove("/wal/old");
      assert.equal(fs.pathExists("/wal/old"), false);
      if (syncDir) fs.syncDir("/wal");
      const after = fs.crash();
      if (syncDir) {
        assert.deepEqual(after.listFiles("/wal"), []);
      } else {
        assert.deepEqual(after.listFiles("/wal"), ["old"]);
        assert.deepEqual(readAll(after, "/wal/old"), [5, 6]);
      }
    }
  });

  it("undoes a rename without syncDir of both directories", () => {
    const listings = (dirsToSync: string[]): string[][] => {
      const fs = new MemoryFileAdapter();
      fs.mkdir("/a");
      fs.mkdir("/b");
      fs.writeFileBytes("/a/x", bytes(1));
      fs.rename("/a/x", "/b/y");
      for (const dir of dirsToSync) fs.syncDir(dir);
      const after = fs.crash();
      for (const path of ["/a/x", "/b/y"]) {
        if (after.pathExists(path)) assert.deepEqual(readAll(after, path), [1]);
      }
      return [after.listFiles("/a"), after.listFiles("/b")];
    };
    assert.deepEqual(listings([]), [["x"], []]);
    assert.deepEqual(listings(["/a"]), [[], []]);
    // Only the target directory is synced: the file is in both places.
    assert.deepEqual(listings(["/b"]), [["x"], ["y"]]);
    assert.deepEqual(listings(["/a", "/b"]), [[], ["y"]]);
  });

  it("makes old handles and the old adapter unusable", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.syncDir("/");
    fs.crash();
    assertCode(() => file.write(bytes(1), 0), "EIO");
    assertCode(() => file.size(), "EIO");
    await assertRejectsCode(file.syncData(), "EIO");
    assertCode(() => fs.open("/f", { create: false }), "EIO");
    file.close(); // still allowed
    // Inspection and further crashes still work.
    assert.ok(fs.pathExists("/f"));
    assert.ok(fs.crash().pathExists("/f"));
  });

  it("writeFileBytes without durable is lost on crash", () => {
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes("/d/f", bytes(1, 2));
    fs.writeFileBytes("/d/f", bytes(3, 4, 5), { durable: false });
    fs.writeFileBytes("/d/g", bytes(6), { durable: false });
    assert.deepEqual(readAll(fs, "/d/f"), [3, 4, 5]);
    const after = fs.crash({ mode: "drop" });
    assert.deepEqual(readAll(after, "/d/f"), [1, 2]);
    assert.equal(after.pathExists("/d/g"), false);
  });
});

describe("MemoryFileAdapter faults", () => {
  it("short write writes part and fires once", () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.injectFault({ op: "write", kind: "short" });
    assert.equal(fs.pendingFaults, 1);
    const n = file.write(filled(10, 3), 0);
    assert.ok(n >= 1 && n < 10);
    assert.equal(file.size(), n);
    assert.equal(fs.pendingFaults, 0);
    assert.equal(file.write(filled(10, 4), n), 10);
    fs.injectFault({ op: "write", kind: "short", bytes: 3 });
    assert.equal(file.write(filled(10, 5), 0), 3);
    fs.injectFault({ op: "write", kind: "short" });
    assert.equal(file.write(bytes(1), 0), 1, "at least one byte");
    // writeFully loops over short writes.
    fs.injectFault({ op: "write", kind: "short" });
    writeFully(file, filled(8, 6), 100);
    assert.deepEqual([...fs.readFileBytes("/f").subarray(100)], [
      ...filled(8, 6),
    ]);
  });

  it("write error writes partialBytes then throws, after N writes", () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.injectFault({ op: "write", kind: "error", code: "ENOSPC", after: 2 });
    file.write(bytes(1), 0);
    file.write(bytes(2), 1);
    assertCode(() => file.write(bytes(3, 3), 2), "ENOSPC");
    assert.equal(file.size(), 2);
    assert.equal(file.write(bytes(3), 2), 1, "fired once");

    fs.injectFault({
      op: "write",
      kind: "error",
      code: "EIO",
      partialBytes: 2,
    });
    assertCode(() => file.write(bytes(7, 8, 9), 3), "EIO");
    assert.deepEqual(readAll(fs, "/f"), [1, 2, 3, 7, 8]);
    file.write(bytes(4), 5);
    assert.deepEqual(readAll(fs, "/f"), [1, 2, 3, 7, 8, 4]);
  });

  it("sync error rejects, makes nothing durable, and fires once", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.syncDir("/");
    file.write(bytes(1), 0);
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    await assertRejectsCode(file.syncData(), "EIO");
    assert.equal(fs.crash({ mode: "drop", seed: 0 }).fileSize("/f"), 0);

    const fs2 = new MemoryFileAdapter();
    const file2 = fs2.open("/f", { create: true });
    fs2.syncDir("/");
    file2.write(bytes(1), 0);
    fs2.injectFault({ op: "sync", kind: "error", code: "EIO", after: 1 });
    file2.syncDataSync();
    file2.write(bytes(2), 1);
    assertCode(() => file2.syncDataSync(), "EIO");
    assert.deepEqual(readAll(fs2.crash({ mode: "drop" }), "/f"), [1]);
    const fs3 = fs2.crash({ mode: "keep" });
    assert.deepEqual(readAll(fs3, "/f"), [1, 2]);
    await file2.syncData().catch(() => {}); // old adapter: crashed
  });

  it("a retried sync after a failed one succeeds", async () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.syncDir("/");
    file.write(bytes(1, 2), 0);
    fs.injectFault({ op: "sync", kind: "error", code: "EIO" });
    await assertRejectsCode(file.syncData(), "EIO");
    await file.syncData();
    assert.deepEqual(readAll(fs.crash({ mode: "drop" }), "/f"), [1, 2]);
  });

  it("open, remove, rename and syncDir faults throw and have no effect", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/d");
    fs.writeFileBytes("/d/f", bytes(1));

    fs.injectFault({ op: "open", kind: "error", code: "EMFILE" });
    assertCode(() => fs.open("/d/g", { create: true }), "EMFILE");
    assert.equal(fs.pathExists("/d/g"), false);
    fs.open("/d/g", { create: true }).close();

    fs.injectFault({ op: "remove", kind: "error", code: "EACCES" });
    assertCode(() => fs.remove("/d/g"), "EACCES");
    assert.ok(fs.pathExists("/d/g"));
    fs.remove("/d/g");
    assert.equal(fs.pathExists("/d/g"), false);

    fs.injectFault({ op: "rename", kind: "error", code: "EXDEV" });
    assertCode(() => fs.rename("/d/f", "/d/h"), "EXDEV");
    assert.deepEqual(fs.listFiles("/d"), ["f"]);
    fs.rename("/d/f", "/d/h");
    assert.deepEqual(fs.listFiles("/d"), ["h"]);

    fs.injectFault({ op: "syncDir", kind: "error", code: "EIO", after: 1 });
    fs.syncDir("/");
    assertCode(() => fs.syncDir("/d"), "EIO");
    assert.deepEqual(fs.crash().listFiles("/d"), ["f"], "not made durable");
    assert.equal(fs.pendingFaults, 0);
  });

  it("syncDir succeeds after its fault fired", () => {
    const fs = new MemoryFileAdapter();
    fs.mkdir("/d");
    fs.open("/d/f", { create: true }).close();
    fs.injectFault({ op: "syncDir", kind: "error", code: "EIO" });
    assertCode(() => fs.syncDir("/d"), "EIO");
    fs.syncDir("/d");
    assert.deepEqual(fs.crash().listFiles("/d"), ["f"]);
  });

  it("faults can target one path", () => {
    const fs = new MemoryFileAdapter();
    const a = fs.open("/a", { create: true });
    const b = fs.open("/b", { create: true });
    fs.injectFault({ op: "write", kind: "error", code: "EIO", path: "/b" });
    assert.equal(a.write(bytes(1), 0), 1);
    assertCode(() => b.write(bytes(1), 0), "EIO");
    assert.equal(b.write(bytes(1), 0), 1);
  });

  it("fires queued faults in order and clears them", () => {
    const fs = new MemoryFileAdapter();
    const file = fs.open("/f", { create: true });
    fs.injectFault({ op: "write", kind: "error", code: "EIO" });
    fs.injectFault({ op: "write", kind: "error", code: "ENOSPC" });
    assertCode(() => file.write(bytes(1), 0), "EIO");
    assertCode(() => file.write(bytes(1), 0), "ENOSPC");
    assert.equal(file.write(bytes(1), 0), 1);
    fs.injectFault({ op: "truncate", kind: "error", code: "EIO" });
    fs.injectFault({ op: "open", kind: "error", code: "EIO" });
    assert.equal(fs.pendingFaults, 2);
    assertCode(() => file.truncate(100), "EIO");
    assert.equal(file.size(), 1);
    fs.clearFaults();
    assert.equal(fs.pendingFaults, 0);
    fs.open("/f", { create: false }).close();
    assert.throws(
      () => fs.injectFault({ op: "open", kind: "error", code: "X", after: -1 }),
      RangeError,
    );
  });
});
