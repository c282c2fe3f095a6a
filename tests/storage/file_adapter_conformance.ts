/**
 * One conformance suite for every {@linkcode FileAdapter}: what the log
 * relies on, checked the same way against Deno's adapter, the `node:fs`
 * adapter and the memory adapter (one small `*_file_adapter_test.ts` per
 * adapter calls {@linkcode testFileAdapter}).
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type AdapterFile,
  errorCode,
  type FileAdapter,
  readFully,
  writeFully,
} from "../../src/storage/file_adapter.ts";
import { relative } from "node:path";
import process from "node:process";
import { removeDir, tempDir } from "../support/temp_dir.ts";

/** A fresh, empty directory of an adapter, for one test. */
export interface AdapterFixture {
  /** The adapter under test. */
  adapter: FileAdapter;
  /** The directory, existing and empty. */
  dir: string;
  /** The same directory, named by a relative path. */
  relativeDir: string;
  /** Removes the directory and what is in it. */
  cleanup(): void;
}

/** What {@linkcode testFileAdapter} takes. */
export interface ConformanceOptions {
  /** A fresh fixture for each test. */
  setup: () => AdapterFixture;
  /** Why the suite cannot run here: then one skipped test says so. */
  skip?: string;
}

/** The tests of one case, given the adapter and its directory. */
type Case = (fs: FileAdapter, dir: string, fixture: AdapterFixture) => unknown;

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** Every byte of the file at `path`, through the adapter. */
function contents(fs: FileAdapter, path: string): number[] {
  const file = fs.open(path, { create: false, readOnly: true });
  try {
    const buffer = new Uint8Array(file.size());
    assert.equal(readFully(file, buffer, 0), buffer.length);
    return [...buffer];
  } finally {
    file.close();
  }
}

/** Creates the file at `path` with `data` in it. */
function createFile(fs: FileAdapter, path: string, data: Uint8Array): void {
  const file = fs.open(path, { create: true });
  writeFully(file, data, 0);
  file.close();
}

function throwsCode(fn: () => unknown, code: string, label?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal(errorCode(error), code, `${label ?? ""} ${error}`);
    return true;
  });
}

/** Defines the conformance tests of one adapter, under `name`. */
export function testFileAdapter(
  name: string,
  options: ConformanceOptions,
): void {
  describe(`FileAdapter conformance: ${name}`, () => {
    if (options.skip !== undefined) {
      it(`skipped: ${options.skip}`, { skip: options.skip }, () => {});
      return;
    }
    const each = (title: string, run: Case): void => {
      it(title, async () => {
        const fixture = options.setup();
        try {
          await run(fixture.adapter, fixture.dir, fixture);
        } finally {
          fixture.cleanup();
        }
      });
    };
    defineOpenTests(each);
    defineReadWriteTests(each);
    defineDirectoryTests(each);
  });
}

function defineOpenTests(each: (title: string, run: Case) => void): void {
  each("open with create makes an empty file; again is EEXIST", (fs, dir) => {
    const file = fs.open(`${dir}/a`, { create: true });
    assert.equal(file.size(), 0);
    assert.equal(file.read(new Uint8Array(4), 0), 0);
    file.close();
    assert.deepEqual(fs.listFiles(dir), ["a"]);
    throwsCode(() => fs.open(`${dir}/a`, { create: true }), "EEXIST");
  });

  each("open without create needs the file: ENOENT", (fs, dir) => {
    throwsCode(() => fs.open(`${dir}/missing`, { create: false }), "ENOENT");
    throwsCode(
      () => fs.open(`${dir}/missing`, { create: false, readOnly: true }),
      "ENOENT",
    );
    throwsCode(() => fs.open(`${dir}/no/a`, { create: true }), "ENOENT");
    throwsCode(() => fs.open(`${dir}/no/a`, { create: false }), "ENOENT");
    assert.deepEqual(fs.listFiles(dir), []);
  });

  each("opening a directory is EISDIR", (fs, dir) => {
    fs.mkdir(`${dir}/sub`);
    throwsCode(() => fs.open(`${dir}/sub`, { create: false }), "EISDIR");
  });

  each("readOnly reads but neither writes nor truncates", (fs, dir) => {
    createFile(fs, `${dir}/a`, bytes(1, 2, 3));
    const file = fs.open(`${dir}/a`, { create: false, readOnly: true });
    const buffer = new Uint8Array(8);
    assert.equal(file.read(buffer, 1), 2);
    assert.deepEqual([...buffer.subarray(0, 2)], [2, 3]);
    assert.throws(() => file.write(bytes(9), 0));
    assert.throws(() => file.truncate(1));
    assert.equal(file.size(), 3);
    file.close();
    assert.deepEqual(contents(fs, `${dir}/a`), [1, 2, 3]);
  });

  each("a closed file cannot be used", (fs, dir) => {
    const file = fs.open(`${dir}/a`, { create: true });
    file.close();
    assert.throws(() => file.size());
    assert.throws(() => file.write(bytes(1), 0));
  });

  each("several handles see one file", (fs, dir) => {
    const a = fs.open(`${dir}/f`, { create: true });
    const b = fs.open(`${dir}/f`, { create: false });
    a.write(bytes(4, 5), 0);
    assert.equal(b.size(), 2);
    const buffer = new Uint8Array(2);
    assert.equal(b.read(buffer, 0), 2);
    assert.deepEqual([...buffer], [4, 5]);
    b.write(bytes(6), 2);
    assert.equal(a.size(), 3);
    a.close();
    b.close();
  });
}

function defineReadWriteTests(each: (title: string, run: Case) => void): void {
  each(
    "a read-only handle reads at any offset what another wrote, unsynced (cold reads)",
    (fs, dir) => {
      const path = `${dir}/wal`;
      const writer = fs.open(path, { create: true });
      writer.truncate(3 * 1024 * 1024); // preallocated, as log files are
      const early = fs.open(path, { create: false, readOnly: true });
      const data = new Uint8Array(70_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 1) & 0xff;
      const at = 2 * 1024 * 1024 + 1000;
      writeFully(writer, data, at);
      for (
        const reader of [
          early,
          fs.open(path, { create: false, readOnly: true }),
        ]
      ) {
        const window = new Uint8Array(1024 * 1024);
        // A window read from a multiple of its size, past the data and to the end.
        assert.equal(readFully(reader, window, 2 * 1024 * 1024), window.length);
        assert.deepEqual(window.subarray(1000, 1000 + data.length), data);
        assert.equal(window[999], 0);
        assert.equal(
          readFully(reader, window, 3 * 1024 * 1024 - 10),
          10,
          "short at the end",
        );
        assert.equal(reader.read(window, 3 * 1024 * 1024), 0);
        reader.close();
      }
      writer.close();
    },
  );

  each("writes and reads at offsets; a gap reads as zeros", (fs, dir) => {
    const file = fs.open(`${dir}/b`, { create: true });
    assert.equal(file.write(bytes(1, 2, 3), 0), 3);
    assert.equal(file.write(bytes(9), 5), 1);
    assert.equal(file.size(), 6);
    const buffer = new Uint8Array(10);
    assert.equal(file.read(buffer, 0), 6);
    assert.deepEqual([...buffer.subarray(0, 6)], [1, 2, 3, 0, 0, 9]);
    assert.equal(file.read(buffer, 6), 0, "0 at the end");
    assert.equal(file.read(buffer, 100), 0, "0 past the end");
    assert.equal(file.read(buffer.subarray(0, 2), 4), 2);
    assert.deepEqual([...buffer.subarray(0, 2)], [0, 9]);
    assert.equal(file.write(bytes(7, 7), 1), 2, "overwrites");
    assert.equal(file.size(), 6);
    assert.equal(file.read(buffer, 0), 6);
    assert.deepEqual([...buffer.subarray(0, 6)], [1, 7, 7, 0, 0, 9]);
    file.close();
    assert.deepEqual(contents(fs, `${dir}/b`), [1, 7, 7, 0, 0, 9]);
  });

  each("reads and writes in any order of offsets", (fs, dir) => {
    const file = fs.open(`${dir}/f`, { create: true });
    const one = new Uint8Array(1);
    for (const at of [5, 0, 3, 1, 4, 2]) file.write(bytes(at + 10), at);
    for (const at of [2, 5, 0, 4, 1, 3]) {
      assert.equal(file.read(one, at), 1);
      assert.equal(one[0], at + 10, `byte ${at}`);
    }
    file.close();
  });

  each("writeFully and readFully move a MiB", (fs, dir) => {
    const file = fs.open(`${dir}/big`, { create: true });
    const data = new Uint8Array(1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    writeFully(file, data, 10);
    assert.equal(file.size(), data.length + 10);
    const back = new Uint8Array(data.length + 100);
    assert.equal(readFully(file, back, 0), data.length + 10);
    assert.deepEqual(back.subarray(0, 10), new Uint8Array(10));
    assert.deepEqual(back.subarray(10, 10 + data.length), data);
    file.close();
  });

  each("truncate cuts, and extends with zeros", (fs, dir) => {
    const file = fs.open(`${dir}/f`, { create: true });
    file.write(new Uint8Array(10).fill(7), 0);
    file.truncate(4);
    assert.equal(file.size(), 4);
    file.truncate(8);
    assert.equal(file.size(), 8);
    assert.deepEqual(contents(fs, `${dir}/f`), [7, 7, 7, 7, 0, 0, 0, 0]);
    file.write(bytes(1), 10);
    assert.deepEqual(
      contents(fs, `${dir}/f`),
      [7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 1],
    );
    file.truncate(0);
    assert.equal(file.size(), 0);
    file.truncate(3);
    assert.deepEqual(contents(fs, `${dir}/f`), [0, 0, 0]);
    file.truncate(64 * 1024 * 1024);
    assert.equal(file.size(), 64 * 1024 * 1024);
    file.close();
  });

  each("syncData and syncDataSync keep the contents", async (fs, dir) => {
    const file = fs.open(`${dir}/f`, { create: true });
    file.write(bytes(1, 2), 0);
    const synced: Promise<void> = file.syncData();
    assert.ok(synced instanceof Promise);
    assert.equal(await synced, undefined);
    file.write(bytes(3), 2);
    file.syncDataSync();
    file.close();
    fs.syncDir(dir);
    assert.deepEqual(contents(fs, `${dir}/f`), [1, 2, 3]);
  });
}

function defineDirectoryTests(each: (title: string, run: Case) => void): void {
  each("mkdir makes parents and accepts an existing directory", (fs, dir) => {
    fs.mkdir(`${dir}/a/b/c`);
    fs.mkdir(`${dir}/a/b/c`);
    fs.mkdir(`${dir}/a`);
    assert.deepEqual(fs.listFiles(`${dir}/a/b/c`), []);
    createFile(fs, `${dir}/a/b/c/f`, bytes(1));
    assert.deepEqual(fs.listFiles(`${dir}/a/b/c`), ["f"]);
  });

  each("mkdir over or under a file fails", (fs, dir) => {
    createFile(fs, `${dir}/f`, bytes(1));
    throwsCode(() => fs.mkdir(`${dir}/f`), "EEXIST");
    throwsCode(() => fs.mkdir(`${dir}/f/sub`), "ENOTDIR");
  });

  each("listFiles names the regular files only", (fs, dir) => {
    createFile(fs, `${dir}/b`, bytes(1));
    createFile(fs, `${dir}/a`, bytes(2));
    createFile(fs, `${dir}/wal-00000000000000000000`, bytes());
    fs.mkdir(`${dir}/sub`);
    createFile(fs, `${dir}/sub/c`, bytes(3));
    const expected = ["a", "b", "wal-00000000000000000000"];
    assert.deepEqual(fs.listFiles(dir).sort(), expected);
    assert.deepEqual(fs.listFiles(`${dir}/`).sort(), expected);
    assert.deepEqual(fs.listFiles(`${dir}/sub`), ["c"]);
    throwsCode(() => fs.listFiles(`${dir}/missing`), "ENOENT");
    throwsCode(() => fs.listFiles(`${dir}/a`), "ENOTDIR");
  });

  each("rename moves a file and replaces the target", (fs, dir) => {
    createFile(fs, `${dir}/a`, bytes(1));
    createFile(fs, `${dir}/b`, bytes(2, 2));
    fs.rename(`${dir}/b`, `${dir}/c`);
    assert.deepEqual(fs.listFiles(dir).sort(), ["a", "c"]);
    assert.deepEqual(contents(fs, `${dir}/c`), [2, 2]);
    fs.rename(`${dir}/c`, `${dir}/a`);
    assert.deepEqual(fs.listFiles(dir), ["a"]);
    assert.deepEqual(contents(fs, `${dir}/a`), [2, 2]);
    throwsCode(() => fs.rename(`${dir}/c`, `${dir}/d`), "ENOENT");
    throwsCode(() => fs.rename(`${dir}/a`, `${dir}/no/d`), "ENOENT");
  });

  each("an open file follows its rename", (fs, dir) => {
    const file = fs.open(`${dir}/f`, { create: true });
    file.write(bytes(4, 5), 0);
    fs.rename(`${dir}/f`, `${dir}/g`);
    file.write(bytes(6), 2);
    file.close();
    assert.deepEqual(contents(fs, `${dir}/g`), [4, 5, 6]);
  });

  each("link gives a second name; never over an existing one", (fs, dir) => {
    createFile(fs, `${dir}/a`, bytes(1, 2));
    createFile(fs, `${dir}/b`, bytes(3));
    fs.link(`${dir}/a`, `${dir}/l`);
    assert.deepEqual(fs.listFiles(dir).sort(), ["a", "b", "l"]);
    assert.deepEqual(contents(fs, `${dir}/l`), [1, 2]);
    throwsCode(() => fs.link(`${dir}/a`, `${dir}/b`), "EEXIST");
    throwsCode(() => fs.link(`${dir}/a`, `${dir}/l`), "EEXIST");
    assert.deepEqual(contents(fs, `${dir}/b`), [3], "target untouched");
    throwsCode(() => fs.link(`${dir}/missing`, `${dir}/m`), "ENOENT");
    fs.remove(`${dir}/a`);
    assert.deepEqual(contents(fs, `${dir}/l`), [1, 2], "the other name stays");
  });

  each("remove deletes a file; a missing one is fine", (fs, dir) => {
    createFile(fs, `${dir}/a`, bytes(1));
    fs.remove(`${dir}/a`);
    fs.remove(`${dir}/a`);
    fs.remove(`${dir}/never`);
    assert.deepEqual(fs.listFiles(dir), []);
    throwsCode(() => fs.open(`${dir}/a`, { create: false }), "ENOENT");
    fs.open(`${dir}/a`, { create: true }).close();
  });

  each("syncDir syncs a directory; ENOENT if missing", (fs, dir) => {
    createFile(fs, `${dir}/a`, bytes(1));
    fs.syncDir(dir);
    fs.mkdir(`${dir}/sub`);
    fs.syncDir(`${dir}/sub`);
    throwsCode(() => fs.syncDir(`${dir}/missing`), "ENOENT");
  });

  each("relative paths name the same files", (fs, dir, fixture) => {
    const rel = fixture.relativeDir;
    fs.mkdir(`${rel}/wal`);
    const file: AdapterFile = fs.open(`${rel}/wal/x`, { create: true });
    writeFully(file, new Uint8Array(100).fill(5), 10);
    file.close();
    assert.deepEqual(fs.listFiles(`${dir}/wal`), ["x"]);
    assert.deepEqual(fs.listFiles(`${rel}/./wal`), ["x"]);
    assert.equal(contents(fs, `${dir}/wal/x`).length, 110);
    fs.rename(`${rel}/wal/x`, `${dir}/wal/y`);
    fs.link(`${dir}/wal/y`, `${rel}/wal/z`);
    fs.syncDir(`${rel}/wal`);
    fs.remove(`${rel}/wal/y`);
    assert.deepEqual(fs.listFiles(`${rel}/wal`), ["z"]);
  });
}

/**
 * A fixture on the real disk: a fresh temp directory for `adapter`, named
 * relatively from the current directory too.
 */
export function diskFixture(adapter: FileAdapter): AdapterFixture {
  const dir = tempDir("mrecordlog-adapter-");
  return {
    adapter,
    dir,
    relativeDir: relative(process.cwd(), dir) || ".",
    cleanup: () => removeDir(dir),
  };
}
