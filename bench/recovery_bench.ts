/**
 * `deno bench` suite of the recovery benchmark of issue 4
 * (`recovery_suite.ts`): reopening the log beside sequential reads; when the
 * file is done, the peak RSS of a fresh process, the ratios and the targets.
 *
 * ```sh
 * deno bench --allow-all bench/recovery_bench.ts
 * ```
 *
 * @module
 */

import { denoBackend } from "./lib/deno_backend.ts";
import { denoBenchDriver } from "./lib/deno_driver.ts";
import { recoverySuite } from "./lib/recovery_suite.ts";
import { benchConfig } from "./lib/workloads.ts";

await recoverySuite(denoBenchDriver, denoBackend, benchConfig());
