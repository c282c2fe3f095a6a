/**
 * Runs every benchmark of `bench/` under Bun: the same suites as the
 * `deno bench` files (`append_suite.ts`, `recovery_suite.ts`,
 * `memory_suite.ts`, `crate_suite.ts`), with `node:fs` as the floor and
 * `bun:sqlite`, run in a loop. Same environment variables (see
 * `workloads.ts`), plus `BENCH_ONLY=append|recovery|memory|crate` to run one
 * part.
 *
 * ```sh
 * bun bench/bun_runner.ts
 * BENCH_QUICK=1 bun bench/bun_runner.ts
 * ```
 *
 * @module
 */

import process from "node:process";
import { appendSuite } from "./lib/append_suite.ts";
import { bunBackend } from "./lib/bun_backend.ts";
import { crateSuite } from "./lib/crate_suite.ts";
import { loopDriver } from "./lib/driver.ts";
import { memorySuite } from "./lib/memory_suite.ts";
import { recoverySuite } from "./lib/recovery_suite.ts";
import { benchConfig } from "./lib/workloads.ts";

const backend = await bunBackend();
const config = benchConfig();
const only = process.env.BENCH_ONLY;
const driver = loopDriver();

if (only === undefined || only === "append") {
  await appendSuite(driver, backend, config);
}
if (only === undefined || only === "recovery") {
  await recoverySuite(driver, backend, config);
}
if (only === undefined || only === "memory") memorySuite(backend, config);
if (only === undefined || only === "crate") {
  await crateSuite(backend, config);
}
