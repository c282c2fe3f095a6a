/**
 * The memory benchmark of issue 4 (`memory_suite.ts`) under `deno bench`.
 * Not a timing benchmark: it runs when `deno bench` loads the file and
 * prints the ratios and the targets.
 *
 * ```sh
 * deno bench --allow-all bench/memory_bench.ts
 * ```
 *
 * @module
 */

import { denoBackend } from "./lib/deno_backend.ts";
import { memorySuite } from "./lib/memory_suite.ts";
import { benchConfig } from "./lib/workloads.ts";

memorySuite(denoBackend, benchConfig());
