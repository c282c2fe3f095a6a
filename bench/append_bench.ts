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

import { appendSuite } from "./append_suite.ts";
import { denoBackend } from "./deno_backend.ts";
import { denoBenchDriver } from "./deno_driver.ts";
import { benchConfig } from "./workloads.ts";

await appendSuite(denoBenchDriver, denoBackend, benchConfig());
