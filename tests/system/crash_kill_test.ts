// Process crashes: a writer process (this runtime, and the other one every
// fourth time) appends from many concurrent tasks, while a consumer reads
// one queue and acknowledges records, and is killed with SIGKILL at random
// moments; after each kill every acknowledged record is there with its exact
// payload, positions are contiguous, the consumer's ack is never behind one
// that resolved nor ahead of one made, no record after it is lost, and the
// log takes new appends.
// See crash_writer.ts for the writer and the checks. Without the other
// runtime in node_modules/.bin (no `npm ci`), these tests skip, saying so.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  currentRuntime,
  missingRuntime,
  otherRuntime,
  runKillIterations,
} from "./crash_writer.ts";
import { withTempDir } from "../support/temp_dir.ts";

const MISSING = missingRuntime(otherRuntime());
if (MISSING !== undefined) {
  console.warn(`crash_kill_test: skipped, ${MISSING}`);
}
const TIMEOUT = { timeout: 180_000, skip: MISSING };

test(
  "always/fsync: 100 SIGKILLs lose no acknowledged record",
  TIMEOUT,
  () =>
    withTempDir(async (dir) => {
      const stats = await runKillIterations({
        dir,
        action: "fsync",
        seed: 20_240_501,
        iterations: 100,
      });
      assert.equal(stats.kills, 100);
      assert.equal(stats.killsByRuntime[currentRuntime()], 75);
      assert.equal(stats.killsByRuntime[otherRuntime()], 25);
      // The writers did write: the checks are not vacuous.
      assert.ok(stats.recordsAcknowledged > 100 * 5, JSON.stringify(stats));
      assert.ok(stats.acksResolved > 50, JSON.stringify(stats));
    }, "mrecordlog-kill-"),
);

test(
  "always/flush: a process crash loses nothing handed to the OS",
  TIMEOUT,
  () =>
    withTempDir(async (dir) => {
      const stats = await runKillIterations({
        dir,
        action: "flush",
        seed: 77,
        iterations: 12,
        runtimeOf: (i) => (i % 2 === 0 ? currentRuntime() : otherRuntime()),
      });
      assert.equal(stats.kills, 12);
      assert.equal(stats.killsByRuntime[otherRuntime()], 6);
      assert.ok(stats.recordsAcknowledged > 12 * 5, JSON.stringify(stats));
      assert.ok(stats.acksResolved > 0, JSON.stringify(stats));
    }, "mrecordlog-kill-"),
);

test(
  "hotBytes 1 KiB: 12 SIGKILLs while the consumer reads records back from the files",
  TIMEOUT,
  () =>
    withTempDir(async (dir) => {
      const stats = await runKillIterations({
        dir,
        action: "flush",
        seed: 4_117,
        iterations: 12,
        hotBytes: 1024,
        runtimeOf: (i) => (i % 3 === 2 ? otherRuntime() : currentRuntime()),
      });
      assert.equal(stats.kills, 12);
      assert.ok(stats.recordsAcknowledged > 12 * 5, JSON.stringify(stats));
      assert.ok(stats.recordsRead > 12 * 5, JSON.stringify(stats));
      // The consumer read (acks may not resolve on a loaded machine).
      assert.ok(stats.consumerReads > 0, JSON.stringify(stats));
    }, "mrecordlog-kill-cold-"),
);
