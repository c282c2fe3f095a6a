import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  PREFAULTED_CHUNK_BYTES,
  prefaultedChunk,
} from "../../src/log/prefaulted_chunk.ts";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { waitFor } from "../support/waiting.ts";

describe("prefaultedChunk", () => {
  it("has nothing for other sizes", () => {
    assert.equal(prefaultedChunk(PREFAULTED_CHUNK_BYTES - 1), undefined);
    assert.equal(prefaultedChunk(64 * 1024), undefined);
    assert.equal(prefaultedChunk(2 * PREFAULTED_CHUNK_BYTES), undefined);
  });

  it("hands out zero-filled, separate, writable chunks made ready by the helper", async () => {
    const chunks: Uint8Array[] = [];
    // The first calls start the helper and ask for chunks; they arrive soon.
    assert.ok(
      await waitFor(() => {
        const chunk = prefaultedChunk(PREFAULTED_CHUNK_BYTES);
        if (chunk) chunks.push(chunk);
        return chunks.length >= 3;
      }, 10_000),
      "no chunk arrived from the helper",
    );
    for (const chunk of chunks) {
      assert.equal(chunk.length, PREFAULTED_CHUNK_BYTES);
      assert.equal(chunk.byteOffset, 0);
      assert.equal(chunk.buffer.byteLength, PREFAULTED_CHUNK_BYTES);
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

  it("never keeps a process alive", () => {
    const url =
      new URL("../../src/log/prefaulted_chunk.ts", import.meta.url).href;
    const script = `
      import { prefaultedChunk } from ${JSON.stringify(url)};
      let got = 0;
      const start = Date.now();
      while (got === 0 && Date.now() - start < 5000) {
        if (prefaultedChunk(${PREFAULTED_CHUNK_BYTES})) got++;
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
