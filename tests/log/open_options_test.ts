import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_SEGMENT_BYTES,
  resolveOpenOptions,
} from "../../src/log/open_options.ts";
import { plainAllocator } from "../../src/log/chunk_allocator.ts";
import { sharedPrefaultingAllocator } from "../../src/log/prefaulting_allocator.ts";
import { DEFAULT_PERSIST_POLICY } from "../../src/log/persist_policy.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";

describe("resolveOpenOptions", () => {
  it("fills in the defaults", () => {
    const resolved = resolveOpenOptions("/d", {});
    assert.deepEqual(resolved.persistPolicy, DEFAULT_PERSIST_POLICY);
    assert.equal(resolved.segmentBytes, DEFAULT_SEGMENT_BYTES);
    assert.equal(resolved.memoryLimitBytes, Infinity);
    assert.equal(resolved.diskLimitBytes, Infinity);
    assert.equal(resolved.strict, false);
    assert.equal(resolved.readOnly, false);
    assert.equal(resolved.onWarning, console.warn);
    assert.equal(typeof resolved.fileAdapter.open, "function");
  });

  it("chunks made ready on the process's helper thread by default, plain ones with prefaultChunks: false", () => {
    assert.equal(
      resolveOpenOptions("/d", {}).allocator,
      sharedPrefaultingAllocator(),
    );
    assert.equal(
      resolveOpenOptions("/d", { prefaultChunks: true }).allocator,
      sharedPrefaultingAllocator(),
    );
    assert.equal(
      resolveOpenOptions("/d", { prefaultChunks: false }).allocator,
      plainAllocator,
    );
  });

  it("keeps what was given", () => {
    const fileAdapter = new MemoryFileAdapter();
    const onWarning = () => {};
    const resolved = resolveOpenOptions("/d", {
      persistPolicy: { kind: "onDelay", action: "fsync", intervalMs: 5 },
      segmentBytes: 65_536,
      memoryLimitBytes: 1000,
      diskLimitBytes: 131_072,
      strict: true,
      readOnly: true,
      onWarning,
      fileAdapter,
    });
    assert.deepEqual(resolved.persistPolicy, {
      kind: "onDelay",
      action: "fsync",
      intervalMs: 5,
    });
    assert.equal(resolved.segmentBytes, 65_536);
    assert.equal(resolved.memoryLimitBytes, 1000);
    assert.equal(resolved.diskLimitBytes, 131_072);
    assert.equal(resolved.strict, true);
    assert.equal(resolved.readOnly, true);
    assert.equal(resolved.onWarning, onWarning);
    assert.equal(resolved.fileAdapter, fileAdapter);
  });

  it("names the option that is wrong", () => {
    assert.throws(
      () =>
        resolveOpenOptions("/d", { prefaultChunks: 1 as unknown as boolean }),
      { name: "TypeError", message: "prefaultChunks must be a boolean" },
    );
    assert.throws(
      () => resolveOpenOptions("/d", { readOnly: "no" as unknown as boolean }),
      { name: "TypeError", message: "readOnly must be a boolean" },
    );
    assert.throws(() => resolveOpenOptions("", {}), TypeError);
  });
});
