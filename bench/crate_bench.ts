/**
 * `deno bench` suite of issue 16 (`crate_suite.ts`): the library against the
 * Rust crate it ports, on the same workloads in the same run, when the
 * crate's harness is present (else "not measured"), then
 * the ratios and the targets (the same as `bun_runner.ts`). It runs its
 * rounds itself, at load: it registers no `Deno.bench`.
 *
 * ```sh
 * deno bench --allow-all bench/crate_bench.ts
 * ```
 *
 * @module
 */

import { crateSuite } from "./lib/crate_suite.ts";
import { denoBackend } from "./lib/deno_backend.ts";
import { benchConfig } from "./lib/workloads.ts";

await crateSuite(denoBackend, benchConfig());
