import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { gatherSmallChunks } from "../../src/server/small_chunks.ts";

/** `text` as one-byte views, each of its own 64 KiB buffer (as Deno reads a chunked body). */
function wastefulChunks(text: string): Uint8Array[] {
  return [...new TextEncoder().encode(text)].map((byte) => {
    const buffer = new Uint8Array(64 * 1024);
    buffer[100] = byte;
    return buffer.subarray(100, 101);
  });
}

function gather(chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const sink = { enqueue: (chunk: Uint8Array) => out.push(chunk) };
  const gatherer = gatherSmallChunks();
  for (const chunk of chunks) gatherer.push(chunk, sink);
  gatherer.flush(sink);
  return out;
}

const text = (chunks: Uint8Array[]): string =>
  chunks.map((c) => new TextDecoder().decode(c)).join("");

describe("gatherSmallChunks", () => {
  test("one-byte views of 64 KiB buffers are copied together: the bytes, in order, in few small buffers", () => {
    const body = "x".repeat(40_000) + "\n" + "y".repeat(5_000);
    const out = gather(wastefulChunks(body));
    assert.equal(text(out), body);
    assert.ok(out.length <= 3, `${out.length} chunks`);
    const held = out.reduce((sum, c) => sum + c.buffer.byteLength, 0);
    assert.ok(held <= body.length + 16 * 1024, `${held} bytes held`);
  });

  test("a lone small view is passed on uncopied; chunks that fill their buffer pass as they are", () => {
    const [lone] = wastefulChunks("a");
    assert.deepEqual(gather([lone]).map((c) => c === lone), [true]);
    const whole = new TextEncoder().encode("whole chunk");
    const big = new Uint8Array(64 * 1024).subarray(0, 20_000);
    const out = gather([whole, big, whole]);
    assert.equal(out.length, 3);
    assert.ok(out[0] === whole && out[1] === big && out[2] === whole);
  });

  test("small views between large chunks keep their order", () => {
    const big = new Uint8Array(20_000).fill(0x62);
    const chunks = [...wastefulChunks("ab"), big, ...wastefulChunks("cd")];
    assert.equal(
      text(gather(chunks)),
      "ab" + "b".repeat(20_000) + "cd",
    );
  });
});
