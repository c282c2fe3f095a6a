import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { watchIdle } from "../../src/server/idle_watch.ts";

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

describe("watchIdle", () => {
  test("each body times out on its own idle time, touched or not; an ended one never", async () => {
    const fired: string[] = [];
    const started = performance.now();
    const at = new Map<string, number>();
    const watch = (name: string, ms: number) =>
      watchIdle(ms, () => {
        fired.push(name);
        at.set(name, performance.now() - started);
      });
    const long = watch("long", 5_000);
    const short = watch("short", 40);
    const touched = watch("touched", 400);
    const ended = watch("ended", 30);
    ended.end();
    // Touched every 40 ms for 240 ms: never idle for 400 ms (a wide margin
    // over the 40 ms, for a loaded machine whose timers run late).
    let lastTouch = 0;
    for (let i = 0; i < 6; i++) {
      await sleep(40);
      lastTouch = performance.now() - started;
      touched.touch();
    }
    assert.deepEqual(fired, ["short"]);
    assert.ok(at.get("short")! >= 39, `short fired at ${at.get("short")} ms`);
    await sleep(600);
    assert.deepEqual(fired, ["short", "touched"]);
    assert.ok(
      at.get("touched")! >= lastTouch + 399,
      `at ${at.get("touched")} ms, touched last at ${lastTouch} ms`,
    );
    long.end();
    short.end(); // after firing: harmless
    touched.end();
  });

  test("a body watched after a long one still times out on time", async () => {
    const long = watchIdle(10_000, () => assert.fail("long fired"));
    let fired = false;
    const short = watchIdle(30, () => fired = true);
    await sleep(200);
    assert.ok(fired);
    long.end();
    short.end();
  });
});
