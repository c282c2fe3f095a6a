import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { MemQueues } from "../../src/log/mem_queues.ts";
import type { ChunkAllocator } from "../../src/log/chunk_allocator.ts";
import { stateQueueName } from "../../src/log/state_queue_names.ts";

/** Small chunks, so that the items of a body often run past a chunk's room. */
const smallChunks: ChunkAllocator = {
  chunkBytes: 4096,
  allocate: (bytes) => new Uint8Array(bytes),
};

interface Item {
  position: number | undefined;
  payload: Uint8Array;
}

/** An AppendRecords body of `items`, after `bodyOffset` bytes of filler. */
function body(items: readonly Item[], bodyOffset: number): Uint8Array {
  let length = bodyOffset;
  for (const item of items) length += 12 + item.payload.length;
  const bytes = new Uint8Array(length).fill(0xee, 0, bodyOffset);
  const view = new DataView(bytes.buffer);
  let at = bodyOffset;
  for (const { position, payload } of items) {
    if (position === undefined) {
      view.setUint32(at, 1, true);
      view.setUint32(at + 4, 0x40_0000, true); // above 2^53
    } else {
      view.setUint32(at, position % 0x1_0000_0000, true);
      view.setUint32(at + 4, Math.floor(position / 0x1_0000_0000), true);
    }
    view.setUint32(at + 8, payload.length, true);
    bytes.set(payload, at + 12);
    at += 12 + payload.length;
  }
  return bytes;
}

/** A pseudo-random generator (deterministic). */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 0x8000_0000;
    return state % n;
  };
}

function randomItems(random: (n: number) => number, next: number): Item[] {
  const items: Item[] = [];
  const count = random(40);
  for (let i = 0; i < count; i++) {
    const roll = random(20);
    // Mostly the next position; sometimes a gap, one in the past, one
    // already held, or one above 2^53.
    const position = roll === 0
      ? next + 1 + random(5)
      : roll === 1
      ? Math.max(0, next - 1 - random(3))
      : roll === 2
      ? undefined
      : roll === 3
      ? Number.MAX_SAFE_INTEGER + 1
      : next;
    const size = random(8) === 0 ? random(5000) : random(300);
    const payload = new Uint8Array(size);
    for (let k = 0; k < size; k++) payload[k] = random(256);
    items.push({ position, payload });
    if (position !== undefined && position >= next) next = position + 1;
  }
  return items;
}

/** What a MemQueues holds, for comparison. */
function state(queues: MemQueues): unknown {
  queues.showAll();
  return {
    retained: queues.retainedBytes,
    memory: queues.memoryUsage(),
    queues: queues.sorted(true).map((q) => ({
      name: q.name,
      next: q.nextPosition,
      file: q.firstFileNumber,
      records: [...q.range(0, Infinity)].map((r) => [
        r.position,
        Buffer.from(r.payload).toString("hex"),
      ]),
    })),
  };
}

describe("MemQueues.appendReadItems", () => {
  it("holds what appendRead of each item would, and drops the same ones", () => {
    const names = ["a", "b", stateQueueName("a")];
    for (let seed = 1; seed <= 30; seed++) {
      const random = generator(seed);
      const together = new MemQueues(smallChunks);
      const oneByOne = new MemQueues(smallChunks);
      const next: Record<string, number> = {};
      for (let record = 0; record < 30; record++) {
        const name = names[random(names.length)];
        if (random(25) === 0) {
          together.delete(name);
          oneByOne.delete(name);
          continue;
        }
        const items = randomItems(random, next[name] ?? random(3));
        const bodyOffset = 1 + random(20);
        const bytes = body(items, bodyOffset);
        const file = Math.floor(record / 10);
        const frame = record * 100;
        const dropped = together.appendReadItems(
          name,
          bytes,
          bodyOffset,
          file,
          frame,
        );
        let expected = 0;
        for (const { position, payload } of items) {
          if (!oneByOne.appendRead(name, position, payload, file, frame)) {
            expected++;
          }
        }
        assert.equal(dropped, expected, `seed ${seed}, record ${record}`);
        next[name] = oneByOne.get(name)?.nextPosition ?? 0;
      }
      assert.deepEqual(state(together), state(oneByOne), `seed ${seed}`);
    }
  });
});
