/**
 * Runs the test suite under Node.js:
 * `node --import ./scripts/node_ts_register.mjs scripts/test_node.ts
 * [DIR|FILE…]` (default `tests/`; `npm run test:node`). Node 20's
 * `node --test` takes no globs, so this finds every `*_test.ts` file and
 * hands them to it, one at a time. The TypeScript loader
 * (`node_ts_register.mjs`: esbuild, its output cached, so that a process
 * starts without loading esbuild; about twice as fast as `tsx` for the
 * tests that spawn many processes) and `node_test_setup.ts` are given in
 * `NODE_OPTIONS`, so that the processes the tests spawn (the CLI, crash
 * writers) load them too. Exits with the test run's exit code.
 *
 * The whole-suite run leaves out {@linkcode RUNTIME_INDEPENDENT}: tests
 * whose outcome cannot depend on the runtime (long ones that touch no file,
 * process or socket, on the in-memory adapter, and the static layout
 * check), which Deno's run of them already covers; given by name, they run.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

/**
 * Tests left out of the whole-suite runs under Bun and Node (about a minute
 * of Bun's run, 3 of Node's minutes on a loaded 2-core machine): they run on
 * `MemoryFileAdapter` only or read source files only, nothing in them
 * depends on the runtime, and `deno test` runs them.
 */
export const RUNTIME_INDEPENDENT: readonly string[] = [
  "tests/layout_test.ts",
  "tests/system/corruption_exhaustive_test.ts",
  "tests/system/model_property_test.ts",
  "tests/system/power_loss_test.ts",
];

/** The `*_test.ts` files under `roots` (files given are taken as they are), sorted. */
export function findTestFiles(roots: string[]): string[] {
  const files: string[] = [];
  for (const root of roots) {
    if (statSync(root).isFile()) {
      files.push(root);
      continue;
    }
    for (const entry of readdirSync(root, { recursive: true })) {
      const path = join(root, String(entry));
      if (path.endsWith("_test.ts") && !path.includes("node_modules")) {
        files.push(path);
      }
    }
  }
  return files.sort();
}

/** `NODE_OPTIONS` with the TypeScript loader and the test setup added. */
export function testNodeOptions(): string {
  const loader = new URL("./node_ts_register.mjs", import.meta.url).href;
  const setup = new URL("./node_test_setup.ts", import.meta.url).href;
  return [
    process.env.NODE_OPTIONS,
    `--import=${loader}`,
    `--import=${setup}`,
    // The tests' fetch client (undici) takes its response header limit from
    // here (16 KiB by default): the queue-name tests answer a name of 64 KiB.
    "--max-http-header-size=262144",
  ].filter(Boolean).join(" ");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const roots = process.argv.slice(2);
  const files = roots.length > 0
    ? findTestFiles(roots)
    : findTestFiles(["tests"]).filter((f) => !RUNTIME_INDEPENDENT.includes(f));
  const result = spawnSync(
    process.execPath,
    // One file at a time, as deno test and bun test run them.
    ["--test", "--test-concurrency=1", "--test-reporter=dot", ...files],
    {
      stdio: "inherit",
      env: { ...process.env, NODE_OPTIONS: testNodeOptions() },
    },
  );
  process.exit(result.status ?? 1);
}
