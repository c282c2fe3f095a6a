/**
 * Checks that every module JSR would publish is reachable from one of the
 * package's exports (`deno.json` `exports`), so that `publish.include` ships
 * nothing dead: `deno run -A scripts/check_published.ts` (in `.ci/run`).
 * The published files are those `deno publish --dry-run` lists; the
 * reachable ones, the local modules of `deno info --json` of each export.
 * Exits 1, listing them, if some published module is not reachable.
 *
 * @module
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

const ROOT = new URL("../", import.meta.url);
/** Published files that are not modules. */
const NOT_MODULES = ["README.md", "LICENSE", "deno.json", "jsr.json"];

function deno(args: string[]): string {
  return execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 64 << 20,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The `file:` URLs `deno publish --dry-run` would publish (it lists them on stderr). */
export function publishedFiles(): string[] {
  const result = spawnSync(
    process.execPath,
    ["publish", "--dry-run", "--allow-dirty"],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  if (result.status !== 0) {
    throw new Error(`deno publish --dry-run failed:\n${result.stderr}`);
  }
  const files = [...`${result.stdout}${result.stderr}`.matchAll(
    /^\s+(file:\/\/\S+)/gm,
  )].map((m) => m[1]);
  if (files.length === 0) throw new Error("deno publish listed no file");
  return files;
}

/** The local modules the package's exports import, directly or not. */
export function reachableModules(): Set<string> {
  const config = JSON.parse(readFileSync(new URL("deno.json", ROOT), "utf8"));
  const reachable = new Set<string>();
  for (const entry of Object.values(config.exports as Record<string, string>)) {
    const info = JSON.parse(deno(["info", "--json", entry]));
    for (const { specifier } of info.modules) {
      if (specifier.startsWith("file:")) reachable.add(specifier);
    }
  }
  return reachable;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const reachable = reachableModules();
  const dead = publishedFiles().filter((file) =>
    !reachable.has(file) &&
    !NOT_MODULES.some((name) => file === new URL(name, ROOT).href)
  );
  if (dead.length > 0) {
    console.error(
      `published but not reachable from an export (remove them, or leave them out of publish.include):\n${
        dead.join("\n")
      }`,
    );
    process.exit(1);
  }
  console.log(`every published module is reachable from an export`);
}
