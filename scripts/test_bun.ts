/**
 * Runs the test suite under Bun: `bun scripts/test_bun.ts [DIR|FILE…]`
 * (default `tests/`). The whole-suite run leaves out the tests whose outcome
 * cannot depend on the runtime ({@linkcode RUNTIME_INDEPENDENT}: `deno test`
 * runs them); given by name, they run. Exits with `bun test`'s exit code.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { RUNTIME_INDEPENDENT } from "./test_node.ts";

const roots = process.argv.slice(2);
const ignored = roots.length > 0
  ? []
  : RUNTIME_INDEPENDENT.map((file) => `--path-ignore-patterns=${file}`);
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
