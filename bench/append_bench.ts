/**
 * `deno bench` suite of the append workloads of issue 4 (`append_suite.ts`):
 * one bench group per workload with the floor as baseline; when the file is
 * done, the ratio table and the targets (the same as `bun_runner.ts`).
 *
 * ```sh
 * deno bench --allow-all bench/append_bench.ts
 * ```
 *
 * @module
 */

import { appendSuite } from "./lib/append_suite.ts";
import { denoBackend } from "./lib/deno_backend.ts";
import { denoBenchDriver } from "./lib/deno_driver.ts";
import { benchConfig } from "./lib/workloads.ts";

await appendSuite(denoBenchDriver, denoBackend, benchConfig());
