/**
 * The command-line tool of `@x/mrecordlog`: look inside a log directory,
 * append and read records, check the files, and run the HTTP ingest server.
 *
 * Run: `deno run -A cli.ts <command> …` or `bun cli.ts <command> …`; `--help`
 * lists the commands. The commands are in `src/cli/commands/`, listed in
 * `src/cli/command_registry.ts`.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { main } from "./src/cli/main.ts";

export { main };

/**
 * Whether this module is the program being run: `import.meta.main` where the
 * runtime has it (Deno, Bun, Node 24), else (Node 20 and 22) whether it is the
 * script in `process.argv[1]`, through symbolic links (npm's `bin` links).
 */
function isMainModule(): boolean {
  if (typeof import.meta.main === "boolean") return import.meta.main;
  try {
    const script = realpathSync(process.argv[1] ?? "");
    return pathToFileURL(script).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
