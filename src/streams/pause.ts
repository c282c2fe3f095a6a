/**
 * How a reader that reads as fast as it can shares the event loop.
 *
 * @module
 */

import process from "node:process";
import { setImmediate } from "node:timers";

/**
 * A turn of the event loop shorter than this ran nothing but the reader (an
 * idle turn takes 2 to 7 us; one awaited append of 64 records, 15 us and
 * more under Bun: 30 us counted such turns as idle, and a follower took most
 * of the loop from appends).
 */
const IDLE_MS = 0.01;
/**
 * The most time a reader takes of a busy event loop, against others' time:
 * an eighth, so at most a ninth of the loop (a fifth, before, left work
 * beside it 80% of its speed at best, with nothing for the reader's costs
 * outside its slices: collecting the memory it read, caches).
 */
const SHARE = 0.125;
/**
 * The most of a reader's run counted: a first slice that compiled code or
 * read a large record does not hold the reader back for eight times as long.
 */
const MAX_RAN_MS = 2;

/**
 * Hands the event loop back after a reader ran `ran` ms: until a turn of
 * the loop in which nothing else ran (under `IDLE_MS`), or until others ran
 * `ran / SHARE` ms (`ran` counted up to `MAX_RAN_MS`), whichever comes
 * first. A reader as fast as it can be thus takes all of an idle loop, and
 * a share of a busy one.
 */
export async function pause(ran: number): Promise<void> {
  let others = 0;
  const counted = Math.min(ran, MAX_RAN_MS);
  // One CPU reading per turn that was not idle by the clock (the one at its
  // end starts the next): a reading costs a system call.
  let cpu = process.cpuUsage();
  for (;;) {
    const paused = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const wall = performance.now() - paused;
    if (wall < IDLE_MS) return;
    // The less of wall time and CPU time: a turn that took long because
    // another process had the core, or whose CPU time is other threads'
    // (garbage collection, helpers), ran nothing here.
    const now = process.cpuUsage();
    const used = (now.user - cpu.user + now.system - cpu.system) / 1000;
    cpu = now;
    const took = Math.min(wall, used);
    if (took < IDLE_MS) return;
    others += took;
    if (others * SHARE >= counted) return;
  }
}
