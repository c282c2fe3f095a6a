// MemQueue with records leaving memory (`evictFirstChunk`), against a plain
// list: positions, payloads, byte counts and prefixes across the boundary
// between records on disk and records in memory, through truncations.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ColdReader } from "../../src/log/cold_reader.ts";
import { type ColdStorage, MemQueue } from "../../src/log/mem_queue.ts";
import { plainAllocator } from "../../src/log/chunk_allocator.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { utf8 } from "../support/bytes.ts";

/** A reader of the payloads pushed, by file, frame offset and position. */
function fakeStorage(hotBytes: number): ColdStorage & {
  disk: Map<string, Uint8Array>;
  reads: number;
} {
  const disk = new Map<string, Uint8Array>();
  const storage = {
    hotBytes,
    disk,
    reads: 0,
    reader: {
      payload(file: number, offset: number, queue: string, position: number) {
        storage.reads++;
        const bytes = disk.get(`${file}/${offset}/${queue}/${position}`);
        if (bytes === undefined) {
          throw new Error(`no ${position} at ${file}/${offset}`);
        }
        return bytes;
      },
    } as unknown as ColdReader,
  };
  return storage;
}

describe("MemQueue records leaving memory", () => {
  it("match a plain list through pushes, evictions and truncations", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = mulberry32(seed);
      const cold = fakeStorage(2048);
      const q = new MemQueue("q", utf8("q"), 0, plainAllocator, cold);
      const model: { position: number; payload: Uint8Array }[] = [];
      let file = 0;
      let offset = 0;
      for (let step = 0; step < 200; step++) {
        const r = random();
        if (r < 0.6) {
          if (random() < 0.1) {
            file++;
            offset = 0;
          }
          const position = q.nextPosition + (random() < 0.1 ? 3 : 0);
          const payload = randomBytes(
            Math.floor(random() * 600),
            seed * 1000 + step,
          );
          offset += 7 + payload.length;
          cold.disk.set(`${file}/${offset}/q/${position}`, payload);
          q.push(position, payload, file, offset);
          q.visibleNext = q.nextPosition;
          model.push({ position, payload });
        } else if (r < 0.85) {
          while (q.hotBytes > cold.hotBytes && q.canEvict(false)) {
            q.evictFirstChunk();
          }
        } else if (model.length > 0) {
          const cut = model[Math.floor(random() * model.length)].position;
          const dropped = q.truncate(cut);
          const before = model.length;
          while (model.length > 0 && model[0].position <= cut) model.shift();
          assert.equal(dropped, before - model.length);
        }
        const label = `seed ${seed} step ${step}`;
        assert.equal(q.length, model.length, label);
        const bytes = model.reduce((n, m) => n + m.payload.length, 0);
        assert.equal(q.payloadBytes, bytes, label);
        assert.ok(q.hotBytes <= bytes, label);
        assert.deepEqual([...q.range(0, Infinity)], model, label);
        if (model.length > 0) {
          const want = Math.floor(random() * bytes) + 1;
          let sum = 0;
          let i = 0;
          for (; i < model.length - 1; i++) {
            sum += model[i].payload.length;
            if (sum >= want) break;
          }
          if (i === model.length - 1 && sum < want) {
            sum += model[i].payload.length;
          }
          assert.deepEqual(
            q.shortestPrefix(1, want),
            { last: model[i].position, bytes: sum },
            `${label}: prefix of ${want} bytes`,
          );
        }
      }
      assert.ok(cold.reads > 0, `seed ${seed}: read from "disk"`);
    }
  });

  it("keep records not yet visible in memory", () => {
    const cold = fakeStorage(0);
    const q = new MemQueue("q", utf8("q"), 0, plainAllocator, cold);
    q.push(0, new Uint8Array(10), 0, 7);
    assert.equal(q.canEvict(false), false);
    q.visibleNext = 1;
    assert.equal(q.canEvict(false), true);
    assert.equal(q.evictFirstChunk(), 10);
    assert.equal(q.hotBytes, 0);
    assert.equal(q.payloadBytes, 10);
    assert.equal(q.firstFileNumber, 0);
  });
});
