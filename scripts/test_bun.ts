/**
 * Runs the test suite under Bun: `bun scripts/test_bun.ts [DIR|FILE…]`
 * (default `tests/`). The whole-suite run leaves out the long tests that
 * touch no file, process or socket ({@linkcode IN_MEMORY_ONLY}: nothing in
 * them depends on the runtime, and `deno test` runs them); given by name,
 * they run. Exits with `bun test`'s exit code.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { IN_MEMORY_ONLY } from "./test_node.ts";

const roots = process.argv.slice(2);
const ignored = roots.length > 0
  ? []
  : IN_MEMORY_ONLY.map((file) => `--path-ignore-patterns=${file}`);
const result = spawnSync(
  process.execPath,
  [
    "test",
    "--timeout",
    "300000",
    ...ignored,
    ...(roots.length > 0 ? roots : ["tests/"]),
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
