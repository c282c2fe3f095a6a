import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type LogRecord, MemQueue } from "../../src/log/mem_queue.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { text, utf8 } from "../support/bytes.ts";
import {
  type ChunkAllocator,
  plainAllocator,
} from "../../src/log/chunk_allocator.ts";

function queue(next = 0, allocator = plainAllocator): MemQueue {
  return new MemQueue("q", utf8("q"), next, allocator);
}

/** A plain allocator of chunks up to `chunkBytes` that records the sizes asked for. */
function recordingAllocator(
  chunkBytes: number,
): ChunkAllocator & { sizes: number[] } {
  const sizes: number[] = [];
  return {
    chunkBytes,
    sizes,
    allocate(bytes) {
      sizes.push(bytes);
      return new Uint8Array(bytes);
    },
  };
}

/** Pushes `count` records from the queue's next position, all visible. */
function fill(q: MemQueue, count: number, size = 0, file = 0): void {
  for (let i = 0; i < count; i++) {
    const position = q.nextPosition;
    const payload = size === 0
      ? utf8(`r${position}`)
      : randomBytes(size, position);
    q.push(position, payload, file);
  }
  q.visibleNext = q.nextPosition;
}

function positions(records: Iterable<LogRecord>): number[] {
  return [...records].map((r) => r.position);
}

describe("MemQueue push", () => {
  it("starts empty at its next position", () => {
    const q = queue(5);
    assert.equal(q.length, 0);
    assert.equal(q.nextPosition, 5);
    assert.equal(q.visibleNext, 5);
    assert.equal(q.firstPosition, undefined);
    assert.equal(q.firstFileNumber, undefined);
    assert.equal(q.payloadBytes, 0);
    assert.equal(q.lastVisible(), undefined);
    assert.deepEqual([...q.range(0, Infinity)], []);
  });

  it("holds pushed records, with gaps, and moves the next position", () => {
    const q = queue();
    q.push(0, utf8("a"), 3);
    q.push(1, utf8("bb"), 3);
    q.push(10, utf8(""), 4);
    q.visibleNext = q.nextPosition;
    assert.equal(q.length, 3);
    assert.equal(q.nextPosition, 11);
    assert.equal(q.firstPosition, 0);
    assert.equal(q.firstFileNumber, 3);
    assert.equal(q.payloadBytes, 3);
    assert.deepEqual(
      [...q.range(0, Infinity)].map((r) => [r.position, text(r.payload)]),
      [[0, "a"], [1, "bb"], [10, ""]],
    );
    assert.equal(q.lastVisible()?.position, 10);
  });

  it("copies the payload: changing the caller's bytes later changes nothing", () => {
    const q = queue();
    const payload = utf8("abc");
    q.push(0, payload, 0);
    q.visibleNext = 1;
    payload[0] = 0x7a;
    assert.equal(text(q.lastVisible()!.payload), "abc");
  });

  it("keeps records at or past visibleNext out of range() and lastVisible()", () => {
    const q = queue();
    fill(q, 3);
    q.push(3, utf8("pending"), 0);
    q.push(4, utf8("pending"), 0);
    assert.deepEqual(positions(q.range(0, Infinity)), [0, 1, 2]);
    assert.equal(q.lastVisible()?.position, 2);
    q.visibleNext = 5;
    assert.deepEqual(positions(q.range(0, Infinity)), [0, 1, 2, 3, 4]);
  });

  it("grows past its first index capacity and its first payload chunk", () => {
    const q = queue();
    fill(q, 1000, 300);
    assert.equal(q.length, 1000);
    assert.equal(q.payloadBytes, 300_000);
    const all = [...q.range(0, Infinity)];
    assert.equal(all.length, 1000);
    for (const r of all) {
      assert.deepEqual(r.payload, randomBytes(300, r.position));
    }
  });

  it("stores a payload bigger than a chunk", () => {
    const q = queue();
    const big = randomBytes(10 * 1024 * 1024, 1);
    q.push(0, utf8("x"), 0);
    q.push(1, big, 0);
    q.push(2, utf8("y"), 0);
    q.visibleNext = 3;
    const got = [...q.range(0, Infinity)];
    assert.deepEqual(got[1].payload, big);
    assert.equal(text(got[2].payload), "y");
  });
});

describe("MemQueue range", () => {
  it("reads from..to, both inclusive, across gaps", () => {
    const q = queue();
    for (const p of [2, 3, 7, 8, 20]) q.push(p, utf8(`${p}`), 0);
    q.visibleNext = q.nextPosition;
    assert.deepEqual(positions(q.range(3, 8)), [3, 7, 8]);
    assert.deepEqual(positions(q.range(4, 7)), [7]);
    assert.deepEqual(positions(q.range(4, 6)), []);
    assert.deepEqual(positions(q.range(0, 2)), [2]);
    assert.deepEqual(positions(q.range(9, Infinity)), [20]);
    assert.deepEqual(positions(q.range(21, Infinity)), []);
    assert.deepEqual(positions(q.range(8, 3)), []);
  });

  it("skips records truncated while iterating, and sees later appends", () => {
    const q = queue();
    fill(q, 10);
    const it = q.range(0, Infinity);
    assert.equal(it.next().value?.position, 0);
    assert.equal(it.next().value?.position, 1);
    q.truncate(5);
    fill(q, 2);
    assert.deepEqual(positions({ [Symbol.iterator]: () => it }), [
      6,
      7,
      8,
      9,
      10,
      11,
    ]);
  });

  it("survives a truncation of everything and a refill while iterating", () => {
    const q = queue();
    fill(q, 100);
    const it = q.range(0, Infinity);
    assert.equal(it.next().value?.position, 0);
    q.truncate(99);
    fill(q, 3);
    assert.deepEqual(positions({ [Symbol.iterator]: () => it }), [
      100,
      101,
      102,
    ]);
  });

  it("stops once the queue is marked deleted", () => {
    const q = queue();
    fill(q, 5);
    const it = q.range(0, Infinity);
    it.next();
    q.deleted = true;
    assert.equal(it.next().done, true);
  });
});

describe("MemQueue truncate", () => {
  it("drops records up to and including the position and counts them", () => {
    const q = queue();
    fill(q, 10, 4);
    assert.equal(q.truncate(3), 4);
    assert.equal(q.firstPosition, 4);
    assert.equal(q.length, 6);
    assert.equal(q.payloadBytes, 24);
    assert.equal(q.nextPosition, 10);
    assert.deepEqual(positions(q.range(0, Infinity)), [4, 5, 6, 7, 8, 9]);
  });

  it("changes nothing for a position below the first one", () => {
    const q = queue();
    for (const p of [5, 6, 7]) q.push(p, utf8("x"), 0);
    assert.equal(q.truncate(4), 0);
    assert.equal(q.truncate(0), 0);
    assert.equal(q.length, 3);
    assert.equal(q.nextPosition, 8);
  });

  it("empties the queue at its last position, keeping the next position", () => {
    const q = queue();
    fill(q, 5);
    assert.equal(q.truncate(4), 5);
    assert.equal(q.length, 0);
    assert.equal(q.payloadBytes, 0);
    assert.equal(q.nextPosition, 5);
    assert.equal(q.firstPosition, undefined);
    assert.equal(q.firstFileNumber, undefined);
  });

  it("moves the next position when truncating beyond the end", () => {
    const q = queue();
    fill(q, 5);
    assert.equal(q.truncate(100), 5);
    assert.equal(q.nextPosition, 101);
    const empty = queue(3);
    assert.equal(empty.truncate(1), 0);
    assert.equal(empty.nextPosition, 3);
    assert.equal(empty.truncate(3), 0);
    assert.equal(empty.nextPosition, 4);
  });

  it("drops records within a gap correctly", () => {
    const q = queue();
    for (const p of [1, 2, 10, 11]) q.push(p, utf8("x"), 0);
    assert.equal(q.truncate(5), 2);
    assert.equal(q.firstPosition, 10);
    assert.equal(q.nextPosition, 12);
  });

  it("reports the file of the first record still held", () => {
    const q = queue();
    fill(q, 3, 0, 1);
    fill(q, 3, 0, 2);
    assert.equal(q.firstFileNumber, 1);
    q.truncate(2);
    assert.equal(q.firstFileNumber, 2);
  });

  it("keeps pushing correctly after many truncations (index reuse)", () => {
    const q = queue();
    for (let round = 0; round < 50; round++) {
      fill(q, 97, 13);
      q.truncate(q.nextPosition - 3);
    }
    assert.equal(q.length, 2);
    const got = [...q.range(0, Infinity)];
    assert.deepEqual(got.map((r) => r.position), [4848, 4849]);
    for (const r of got) {
      assert.deepEqual(r.payload, randomBytes(13, r.position));
    }
  });
});

describe("MemQueue views and memory", () => {
  it("returns views that stay unchanged after later truncates and appends", () => {
    const q = queue();
    fill(q, 200, 500);
    const kept = [...q.range(0, Infinity)];
    const copies = kept.map((r) => r.payload.slice());
    q.truncate(150);
    fill(q, 500, 700); // reuses free room of the last chunk, then new chunks
    q.truncate(q.nextPosition - 1); // everything
    fill(q, 500, 900);
    q.truncate(q.nextPosition - 10);
    fill(q, 50, 100);
    kept.forEach((r, i) => assert.deepEqual(r.payload, copies[i]));
  });

  it("gives memory back after truncation", () => {
    const q = queue();
    fill(q, 5000, 1000);
    const full = q.allocatedBytes();
    assert.ok(full >= 5_000_000);
    q.truncate(2499);
    const half = q.allocatedBytes();
    assert.ok(half < full, `${half} < ${full}`);
    q.truncate(q.nextPosition - 1);
    const empty = q.allocatedBytes();
    assert.ok(empty < half);
    assert.ok(empty < 100_000, `${empty}`);
    assert.equal(q.payloadBytes, 0);
  });

  it("allocates for payloads roughly what they need", () => {
    const q = queue();
    fill(q, 2000, 1000);
    const allocated = q.allocatedBytes();
    assert.ok(allocated >= q.payloadBytes);
    assert.ok(allocated < 4 * q.payloadBytes, `${allocated}`);
  });
});

describe("MemQueue index pages", () => {
  it("matches a plain model across page boundaries, gaps and truncations", () => {
    const q = queue();
    const model: [number, string][] = [];
    let position = 0;
    const add = (count: number) => {
      for (let i = 0; i < count; i++) {
        position += i % 7 === 0 ? 3 : 1; // gaps
        q.push(position, utf8(`p${position}`), 0);
        model.push([position, `p${position}`]);
      }
      q.visibleNext = q.nextPosition;
    };
    const check = () => {
      const got = [...q.range(0, Infinity)].map((r) => [
        r.position,
        text(r.payload),
      ]);
      assert.deepEqual(got, model);
      assert.equal(q.length, model.length);
      assert.equal(q.firstPosition, model[0]?.[0]);
      assert.equal(q.lastVisible()?.position, model.at(-1)?.[0]);
      let bytes = 0;
      for (const [, payload] of model) bytes += payload.length;
      assert.equal(q.payloadBytes, bytes);
    };
    const truncate = (upTo: number) => {
      const before = model.length;
      while (model.length > 0 && model[0][0] <= upTo) model.shift();
      assert.equal(q.truncate(upTo), before - model.length);
    };
    add(10_000);
    check();
    const full = q.allocatedBytes();
    truncate(model[4095][0]); // exactly one page
    check();
    truncate(model[100][0]); // mid-page
    check();
    assert.ok(q.allocatedBytes() < full);
    add(5000);
    truncate(model[8000][0]);
    check();
    const from = model[10][0];
    assert.deepEqual(
      [...q.range(from, from + 20)].map((r) => r.position),
      model.filter(([p]) => p >= from && p <= from + 20).map(([p]) => p),
    );
    truncate(model.at(-1)![0]);
    check();
    add(3);
    check();
  });

  it("wastes little room on payloads larger than a chunk", () => {
    const q = queue();
    fill(q, 20, 130 * 1024);
    const allocated = q.allocatedBytes();
    assert.ok(allocated < 1.3 * q.payloadBytes, `${allocated}`);
  });
});

describe("MemQueue chunks from its allocator", () => {
  it("takes every chunk from the allocator, growing up to its chunkBytes", () => {
    for (const chunkBytes of [32 * 1024, 128 * 1024, 256 * 1024, 1024 * 1024]) {
      const allocator = recordingAllocator(chunkBytes);
      const q = queue(0, allocator);
      fill(q, 3000, 1000); // 3 MB of small payloads
      const first = Math.min(64 * 1024, chunkBytes);
      const expected = [first];
      while (expected.length < allocator.sizes.length) {
        expected.push(Math.min(expected.at(-1)! * 2, chunkBytes));
      }
      assert.deepEqual(allocator.sizes, expected, `chunkBytes ${chunkBytes}`);
      assert.equal(allocator.sizes.at(-1), chunkBytes);
      // Every chunk counted in allocatedBytes came from the allocator.
      const allocated = q.allocatedBytes();
      assert.ok(allocated >= sum(allocator.sizes), `${allocated}`);
      assert.ok(allocated < sum(allocator.sizes) + 3000 * 2 * 12);
      const records = [...q.range(0, Infinity)];
      assert.equal(records.length, 3000);
      assert.deepEqual(records[2999].payload, randomBytes(1000, 2999));
    }
  });

  it("asks for room for four payloads when one does not fit its chunks", () => {
    const allocator = recordingAllocator(64 * 1024);
    const q = queue(0, allocator);
    fill(q, 1, 100 * 1024);
    assert.deepEqual(allocator.sizes, [400 * 1024]);
  });
});

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

describe("MemQueue.shortestPrefix and visibleCountFrom", () => {
  /** The model: the shortest prefix of `records` with at least `count` records and `bytes` bytes. */
  function modelPrefix(
    records: { position: number; size: number }[],
    count: number,
    bytes: number,
  ): { last: number; bytes: number } | undefined {
    if ((count <= 0 && bytes <= 0) || records.length === 0) return undefined;
    let total = 0;
    for (let i = 0; i < records.length; i++) {
      total += records[i].size;
      if (i + 1 >= count && total >= bytes) {
        return { last: records[i].position, bytes: total };
      }
    }
    return { last: records.at(-1)!.position, bytes: total };
  }

  it("matches a model over chunks, files, gaps, empty payloads and truncations", () => {
    let seed = 1;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 40; round++) {
      const q = queue(0, recordingAllocator(4096));
      const held: { position: number; size: number }[] = [];
      for (let i = 0; i < 200; i++) {
        const size = random() < 0.1 ? 0 : Math.floor(random() * 3000);
        const position = q.nextPosition + (random() < 0.1 ? 3 : 0);
        q.push(position, new Uint8Array(size), Math.floor(i / 50));
        held.push({ position, size });
        if (random() < 0.05) {
          const cut = held[Math.floor(random() * held.length)].position;
          q.truncate(cut);
          while (held.length > 0 && held[0].position <= cut) held.shift();
        }
      }
      q.visibleNext = q.nextPosition;
      const total = held.reduce((n, r) => n + r.size, 0);
      for (let k = 0; k < 30; k++) {
        const count = Math.floor(random() * (held.length + 3)) - 1;
        const bytes = Math.floor(random() * (total + 5000)) - 1000;
        assert.deepEqual(
          q.shortestPrefix(count, bytes),
          modelPrefix(held, count, bytes),
          `round ${round}: ${count} records, ${bytes} bytes`,
        );
        const from = Math.floor(random() * (q.nextPosition + 2));
        assert.equal(
          q.visibleCountFrom(from),
          held.filter((r) => r.position >= from).length,
        );
      }
    }
  });

  it("counts only visible records", () => {
    const q = queue();
    fill(q, 5);
    q.push(5, utf8("pending"), 0);
    assert.equal(q.visibleCountFrom(0), 5);
    assert.equal(q.visibleCountFrom(3), 2);
    assert.equal(q.visibleCountFrom(9), 0);
    assert.equal(queue().shortestPrefix(1, 0), undefined);
  });
});
