/**
 * Runs one append workload with the library only, for a CPU profiler:
 *
 * ```sh
 * deno run --allow-all --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile_append.ts "flush 256B x1 q1 awaited"
 * bun --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile_append.ts "flush 256B x1 q1 1000-in-flight"
 * ```
 *
 * The argument is a workload id as printed in the tables (`BENCH_*`
 * variables apply); `BENCH_ITERATIONS` iterations are run (default 5).
 *
 * @module
 */

import process from "node:process";
import { runIteration } from "./lib/contenders.ts";
import { appendWorkloads, benchConfig } from "./lib/workloads.ts";
import type { Backend } from "./lib/backend.ts";

const config = benchConfig();
const id = process.argv[2];
const workload = appendWorkloads({ ...config, filter: undefined })
  .find((w) => w.id === id);
if (!workload) {
  console.error(
    `no workload ${JSON.stringify(id)}; e.g. "flush 256B x1 q1 awaited"`,
  );
  process.exit(2);
}
// The library contender does not use the backend.
const backend = undefined as unknown as Backend;
const m = { contender: "mrecordlog" as const, key: id, workload };
const rates: number[] = [];
for (let i = 0; i < config.iterations; i++) {
  rates.push(await runIteration(backend, m, config));
}
console.log(
  `${id}: ${workload.appends} appends x ${config.iterations} iterations; records/s per iteration: ${
    rates.map((r) => Math.round(r)).join(", ")
  }`,
);
