/**
 * The long soak of the process-crash test: writers under Deno and Bun are
 * killed with SIGKILL at random moments for `SOAK_SECONDS` seconds (default
 * 300), and after each kill the log is checked (see `crash_writer.ts`).
 * Rounds of up to 200 kills each use a fresh directory; every fifth round
 * runs under `always/flush`, the others under `always/fsync`.
 *
 * ```sh
 * SOAK_SECONDS=600 deno run -A tests/system/soak.ts
 * SOAK_SECONDS=600 bun tests/system/soak.ts
 * ```
 *
 * Prints the kills and records checked, and exits with status 1 on the first
 * record lost or damaged.
 *
 * @module
 */

import process from "node:process";
import {
  currentRuntime,
  emptyKillStats,
  missingRuntime,
  otherRuntime,
  runKillIterations,
} from "./crash_writer.ts";
import { withTempDir } from "../support/temp_dir.ts";

const seconds = Number(process.env.SOAK_SECONDS ?? "300");
if (!(seconds > 0)) {
  console.error(`SOAK_SECONDS must be a positive number, got ${seconds}`);
  process.exit(2);
}
const missing = missingRuntime(otherRuntime());
if (missing !== undefined) {
  console.error(`soak needs Deno and Bun: ${missing}`);
  process.exit(2);
}
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const started = Date.now();
const deadline = started + seconds * 1000;
const total = emptyKillStats();
console.log(
  `soak: ${seconds} s, parent ${currentRuntime()}, seed ${seed} (SOAK_SEED to repeat)`,
);
let round = 0;
try {
  while (Date.now() < deadline) {
    const action = round % 5 === 4 ? "flush" : "fsync";
    await withTempDir(async (dir) => {
      const stats = await runKillIterations({
        dir,
        action,
        seed: seed + round,
        iterations: 200,
        deadline,
        runtimeOf: (i) => (i % 2 === 0 ? "deno" : "bun"),
      });
      total.kills += stats.kills;
      total.recordsAcknowledged += stats.recordsAcknowledged;
      total.recordsChecked += stats.recordsChecked;
      total.recordsRead += stats.recordsRead;
      total.killsByRuntime.deno += stats.killsByRuntime.deno;
      total.killsByRuntime.bun += stats.killsByRuntime.bun;
      console.log(
        `round ${round} (${action}): ${stats.kills} kills, ${stats.recordsAcknowledged} records acknowledged`,
      );
    }, "mrecordlog-soak-");
    round++;
  }
} catch (error) {
  console.error(`soak FAILED in round ${round}:`, error);
  report();
  process.exit(1);
}
report();

function report(): void {
  console.log(
    `soak: ${
      ((Date.now() - started) / 1000).toFixed(0)
    } s, ${total.kills} kills (deno ${total.killsByRuntime.deno}, bun ${total.killsByRuntime.bun}), ` +
      `${total.recordsAcknowledged} records acknowledged, ${total.recordsChecked} acknowledged-record checks, ` +
      `${total.recordsRead} records read back and verified`,
  );
}
