import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemQueues } from "../../src/log/mem_queues.ts";
import { plainAllocator } from "../../src/log/chunk_allocator.ts";
import {
  PositionInPastError,
  QueueAlreadyExistsError,
} from "../../src/errors.ts";
import { text, utf8 } from "../support/bytes.ts";

function contents(queues: MemQueues): Record<string, [number, string][]> {
  const out: Record<string, [number, string][]> = {};
  for (const q of queues.sorted()) {
    out[q.name] = [...q.range(0, Infinity)].map((r) => [
      r.position,
      text(r.payload),
    ]);
  }
  return out;
}

describe("MemQueues", () => {
  it("creates queues once, lists them in UTF-8 byte order, and deletes them", () => {
    const queues = new MemQueues(plainAllocator);
    for (const name of ["é", "b", "B", "a"]) queues.create(name, utf8(name));
    assert.throws(() => queues.create("a", utf8("a")), QueueAlreadyExistsError);
    assert.deepEqual(queues.sorted().map((q) => q.name), ["B", "a", "b", "é"]);
    assert.equal(queues.size, 4);
    const a = queues.get("a")!;
    assert.equal(queues.delete("a"), a);
    assert.equal(a.deleted, true);
    assert.equal(queues.get("a"), undefined);
    assert.equal(queues.delete("a"), undefined);
    assert.equal(queues.size, 3);
  });

  it("keeps the retained bytes through appends, truncations, touches and deletions", () => {
    const queues = new MemQueues(plainAllocator);
    const q = queues.create("q", utf8("q"));
    assert.ok(queues.append(q, 0, utf8("abc"), 0));
    assert.ok(queues.append(q, 1, utf8("de"), 0));
    assert.ok(queues.appendRead("r", 5, utf8("xyzw"), 1));
    assert.equal(queues.retainedBytes, 9);
    assert.equal(queues.truncate(q, 0), 1);
    assert.equal(queues.retainedBytes, 6);
    queues.touch("r", 9); // replaces r (4 bytes) by an empty queue
    assert.equal(queues.retainedBytes, 2);
    queues.delete("q");
    assert.equal(queues.retainedBytes, 0);
    assert.deepEqual(contents(queues), { r: [] });
  });

  it("refuses (returns false, changes nothing) a record below the next position", () => {
    const queues = new MemQueues(plainAllocator);
    const q = queues.create("q", utf8("q"));
    queues.append(q, 3, utf8("c"), 0);
    assert.equal(queues.append(q, 2, utf8("b"), 0), false);
    assert.equal(queues.append(q, 3, utf8("c"), 0), false);
    assert.equal(queues.appendRead("q", 1, utf8("a"), 0), false);
    assert.equal(queues.retainedBytes, 1);
    queues.showAll();
    assert.deepEqual(contents(queues), { q: [[3, "c"]] });
  });

  it("appendRead creates a missing queue at its position, never above 2^53 - 1", () => {
    const queues = new MemQueues(plainAllocator);
    assert.equal(queues.appendRead("big", undefined, utf8("x"), 0), false);
    assert.equal(
      queues.appendRead("big", Number.MAX_SAFE_INTEGER + 1, utf8("x"), 0),
      false,
    );
    assert.equal(queues.get("big"), undefined);
    assert.ok(queues.appendRead("late", 42, utf8("x"), 7));
    const late = queues.get("late")!;
    assert.equal(late.firstFileNumber, 7);
    assert.equal(late.nextPosition, 43);
    assert.deepEqual(late.nameBytes, utf8("late"));
  });

  it("appendRead follows a queue deleted or replaced between records", () => {
    const queues = new MemQueues(plainAllocator);
    queues.appendRead("q", 0, utf8("a"), 0);
    queues.delete("q");
    queues.appendRead("q", 5, utf8("b"), 0);
    queues.touch("q", 9); // replaced: holds a record
    queues.appendRead("q", 9, utf8("c"), 0);
    queues.appendRead("r", 0, utf8("d"), 0);
    queues.appendRead("q", 10, utf8("e"), 0);
    queues.showAll();
    assert.deepEqual(contents(queues), {
      q: [[9, "c"], [10, "e"]],
      r: [[0, "d"]],
    });
    assert.equal(queues.retainedBytes, 3);
  });

  it("touch creates, or replaces a non-empty queue or one at another position", () => {
    const queues = new MemQueues(plainAllocator);
    queues.touch("new", 5);
    const fresh = queues.get("new")!;
    assert.equal(fresh.nextPosition, 5);
    queues.touch("new", 5); // same position, empty: kept
    assert.equal(queues.get("new"), fresh);
    queues.touch("new", 6);
    assert.notEqual(queues.get("new"), fresh);
    assert.equal(fresh.deleted, true);
    const full = queues.create("full", utf8("full"));
    queues.append(full, 0, utf8("a"), 0);
    queues.touch("full", 1);
    assert.notEqual(queues.get("full"), full);
    assert.deepEqual(contents(queues), { full: [], new: [] });
    assert.equal(queues.get("full")!.nextPosition, 1);
  });

  it("appendStart follows the Rust crate's rules", () => {
    const queues = new MemQueues(plainAllocator);
    const q = queues.create("q", utf8("q"));
    for (let i = 0; i < 5; i++) queues.append(q, i, utf8("x"), 0);
    assert.equal(queues.appendStart(q, undefined, 3), 5);
    assert.equal(queues.appendStart(q, 5, 3), 5);
    assert.equal(queues.appendStart(q, 9, 1), 9); // a gap
    assert.equal(queues.appendStart(q, 4, 7), undefined); // a retry
    assert.throws(() => queues.appendStart(q, 3, 1), PositionInPastError);
    const max = Number.MAX_SAFE_INTEGER;
    assert.equal(queues.appendStart(q, max, 1), max);
    assert.throws(() => queues.appendStart(q, max, 2), RangeError);
    assert.equal(queues.appendStart(q, max, 0), max);
  });

  it("knows the oldest file needed and the empty queues", () => {
    const queues = new MemQueues(plainAllocator);
    const a = queues.create("a", utf8("a"));
    queues.create("empty", utf8("empty"));
    assert.equal(queues.oldestFileNeeded(9), 9);
    queues.append(a, 0, utf8("x"), 3);
    queues.append(a, 1, utf8("y"), 4);
    assert.equal(queues.oldestFileNeeded(9), 3);
    assert.equal(queues.oldestFileNeeded(2), 2);
    queues.truncate(a, 0);
    assert.equal(queues.oldestFileNeeded(9), 4);
    assert.deepEqual(queues.emptyQueues().map((q) => q.name), ["empty"]);
    queues.truncate(a, 1);
    assert.deepEqual(queues.emptyQueues().map((q) => q.name).sort(), [
      "a",
      "empty",
    ]);
  });

  it("shows every record at once after recovery, and measures memory", () => {
    const queues = new MemQueues(plainAllocator);
    queues.appendRead("q", 0, utf8("abc"), 0);
    queues.appendRead("q", 1, utf8("de"), 0);
    assert.deepEqual(contents(queues), { q: [] });
    queues.showAll();
    assert.deepEqual(contents(queues), { q: [[0, "abc"], [1, "de"]] });
    const { usedBytes, allocatedBytes } = queues.memoryUsage();
    assert.equal(usedBytes, 5 + 2 * 12);
    assert.ok(allocatedBytes >= 64 * 1024);
  });

  it("takes every queue's chunks from its allocator", () => {
    const sizes: number[] = [];
    const queues = new MemQueues({
      chunkBytes: 128 * 1024,
      allocate(bytes) {
        sizes.push(bytes);
        return new Uint8Array(bytes);
      },
    });
    queues.appendRead("a", 0, new Uint8Array(10), 0);
    const b = queues.create("b", utf8("b"));
    queues.append(b, 0, new Uint8Array(10), 0);
    assert.deepEqual(sizes, [64 * 1024, 64 * 1024]);
  });
});

describe("MemQueues state queues", () => {
  it("are hidden unless asked, count in no retained bytes, and hold no file back", () => {
    const queues = new MemQueues(plainAllocator);
    const name = "\u0000mrecordlog/state/q";
    const user = queues.create("q", utf8("q"));
    const store = queues.create(name, utf8(name));
    assert.equal(store.internal, true);
    assert.equal(user.internal, false);
    assert.equal(
      queues.create("\u0000other", utf8("\u0000other")).internal,
      false,
    );
    queues.append(store, 0, utf8("{}"), 1);
    queues.append(user, 0, utf8("abc"), 3);
    assert.equal(queues.retainedBytes, 3);
    assert.deepEqual(queues.sorted().map((q) => q.name), ["\u0000other", "q"]);
    assert.deepEqual(queues.sorted(true).map((q) => q.name), [
      "\u0000mrecordlog/state/q",
      "\u0000other",
      "q",
    ]);
    assert.equal(queues.oldestFileNeeded(5), 3);
    assert.deepEqual(queues.stateQueuesBefore(3), [store]);
    assert.deepEqual(queues.stateQueuesBefore(1), []);
    queues.truncate(store, 0);
    queues.delete(name);
    assert.equal(queues.retainedBytes, 3);
  });
});
