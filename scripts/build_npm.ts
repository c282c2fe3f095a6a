/**
 * Builds the npm package's `dist/` from the same sources JSR publishes:
 * `node --import ./scripts/node_ts_register.mjs scripts/build_npm.ts`
 * (`npm run build`; `npm pack` runs it first). `tsc -p tsconfig.build.json`
 * type-checks the sources against Node's types and emits ES modules (`.js`,
 * imports rewritten from `.ts`) with their `.d.ts`; then `dist/cli.js` gets
 * a `#!/usr/bin/env node` line and the execute bit, as the package's `bin`.
 * Fails if an emitted module still imports a `.ts` file.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = join(ROOT, "dist");

/** Runs `tsc` from the `typescript` dev dependency; throws if it fails. */
function compile(): void {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve("typescript/bin/tsc");
  const result = spawnSync(
    process.execPath,
    [tsc, "-p", join(ROOT, "tsconfig.build.json")],
    { stdio: "inherit" },
  );
  if (result.status !== 0) throw new Error("tsc failed");
}

/** The `.js` files under `dir`. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((entry) => join(dir, String(entry)))
    .filter((path) => path.endsWith(".js"));
}

/**
 * Throws if a module in dist/ still imports a relative `.ts` file (in code:
 * comment lines, such as JSDoc examples, are skipped).
 */
function checkImports(): void {
  const pattern = /(?:from|import\()\s*["'](\.{1,2}\/[^"']*\.ts)["']/;
  for (const file of jsFiles(DIST)) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (/^\s*(?:\*|\/\/|\/\*)/.test(line)) continue;
      const match = line.match(pattern);
      if (match) throw new Error(`${file} imports ${match[1]}`);
    }
  }
}

/** Makes `dist/cli.js` runnable as the package's `bin`. */
function makeBin(): void {
  const cli = join(DIST, "cli.js");
  const source = readFileSync(cli, "utf8");
  if (!source.startsWith("#!")) {
    writeFileSync(cli, `#!/usr/bin/env node\n${source}`);
  }
  chmodSync(cli, 0o755);
}

/** Builds `dist/` from scratch. */
export function buildNpm(): void {
  rmSync(DIST, { recursive: true, force: true });
  compile();
  checkImports();
  makeBin();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildNpm();
  console.log(`built ${DIST}`);
}
