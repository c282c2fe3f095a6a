import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  PrefaultingAllocator,
  sharedPrefaultingAllocator,
} from "../../src/log/prefaulting_allocator.ts";
import { DEFAULT_CHUNK_BYTES } from "../../src/log/chunk_allocator.ts";

const CHUNK = DEFAULT_CHUNK_BYTES;
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { waitFor } from "../support/waiting.ts";

describe("PrefaultingAllocator", () => {
  it("allocates other sizes plainly, without starting the helper", () => {
    const allocator = new PrefaultingAllocator();
    assert.equal(allocator.chunkBytes, CHUNK);
    for (const size of [CHUNK - 1, 64 * 1024, 2 * CHUNK, 0]) {
      const chunk = allocator.allocate(size);
      assert.equal(chunk.length, size);
      assert.equal(chunk.buffer.byteLength, size);
      assert.ok(chunk.every((b) => b === 0));
    }
  });

  it("hands out zero-filled, separate, writable chunks made ready by the helper", async () => {
    const allocator = new PrefaultingAllocator();
    const chunks: Uint8Array[] = [];
    // The first calls start the helper and ask for chunks; they arrive soon.
    assert.ok(
      await waitFor(() => {
        const chunk = allocator.takeReady();
        if (chunk) chunks.push(chunk);
        return chunks.length >= 3;
      }, 10_000),
      "no chunk arrived from the helper",
    );
    // allocate() of chunkBytes hands out such a chunk too (ready, or not yet).
    chunks.push(allocator.allocate(CHUNK));
    for (const chunk of chunks) {
      assert.equal(chunk.length, CHUNK);
      assert.equal(chunk.byteOffset, 0);
      assert.equal(chunk.buffer.byteLength, CHUNK);
      assert.ok(chunk.buffer instanceof ArrayBuffer);
      assert.ok(chunk.every((b) => b === 0));
    }
    chunks[0].fill(7);
    assert.ok(chunks[1].every((b) => b === 0));
    assert.ok(chunks[2].every((b) => b === 0));
    // A chunk is a plain buffer: TextDecoder (which refuses shared memory) reads it.
    chunks[1].set(new TextEncoder().encode("ok"));
    assert.equal(new TextDecoder().decode(chunks[1].subarray(0, 2)), "ok");
  });

  it("makes chunks of its own chunkBytes ready", async () => {
    const allocator = new PrefaultingAllocator(64 * 1024);
    let chunk: Uint8Array | undefined;
    assert.ok(
      await waitFor(() => (chunk = allocator.takeReady()) !== undefined),
    );
    assert.equal(chunk!.length, 64 * 1024);
  });

  it("is shared by the whole process", () => {
    assert.equal(sharedPrefaultingAllocator(), sharedPrefaultingAllocator());
    assert.ok(sharedPrefaultingAllocator() instanceof PrefaultingAllocator);
  });

  it("never keeps a process alive", () => {
    const url =
      new URL("../../src/log/prefaulting_allocator.ts", import.meta.url).href;
    const script = `
      import { PrefaultingAllocator } from ${JSON.stringify(url)};
      const allocator = new PrefaultingAllocator();
      let got = 0;
      const start = Date.now();
      while (got === 0 && Date.now() - start < 5000) {
        if (allocator.takeReady()) got++;
      }
      console.log("got", got);
    `;
    const command = runtimeCommand(currentRuntime());
    const args = currentRuntime() === "deno"
      ? [command[0], "eval", script]
      : [command[0], "-e", script];
    const run = spawnSync(args[0], args.slice(1), { timeout: 30_000 });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.status, 0, run.stderr?.toString());
    assert.equal(run.stdout.toString().trim(), "got 1");
  });
});
