/**
 * How a reader that reads as fast as it can shares the event loop.
 *
 * @module
 */

import process from "node:process";
import { setImmediate } from "node:timers";

/** A turn of the event loop shorter than this ran nothing but the reader. */
const IDLE_MS = 0.03;
/** The most time a reader takes of a busy event loop, against others' time. */
const SHARE = 0.25;

/**
 * Hands the event loop back after a reader ran `ran` ms: until a turn of
 * the loop in which nothing else ran (under `IDLE_MS`), or until others ran
 * `ran / SHARE` ms, whichever comes first. A reader as fast as it can be
 * thus takes all of an idle loop, and a share of a busy one.
 */
export async function pause(ran: number): Promise<void> {
  let others = 0;
  for (;;) {
    const cpu = process.cpuUsage();
    const paused = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    // The less of wall time and CPU time: a turn that took long because
    // another process had the core, or whose CPU time is other threads'
    // (garbage collection, helpers), ran nothing here.
    const used = process.cpuUsage(cpu);
    const took = Math.min(
      performance.now() - paused,
      (used.user + used.system) / 1000,
    );
    if (took < IDLE_MS) return;
    others += took;
    if (others * SHARE >= ran) return;
  }
}
