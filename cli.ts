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

import process from "node:process";
import { main } from "./src/cli/main.ts";

export { main };

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
