/**
 * The commands of the command-line tool, in the order the help lists them.
 * Adding a command: one file in `commands/`, one line here.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { appendCommand } from "./commands/append.ts";
import { backupCommand } from "./commands/backup.ts";
import { createCommand } from "./commands/create.ts";
import { deleteCommand } from "./commands/delete.ts";
import { readCommand } from "./commands/read.ts";
import { serveCommand } from "./commands/serve.ts";
import { summaryCommand } from "./commands/summary.ts";
import { truncateCommand } from "./commands/truncate.ts";
import { verifyCommand } from "./commands/verify.ts";

/** Every command of the tool. */
export const COMMANDS: readonly Command[] = [
  summaryCommand,
  readCommand,
  appendCommand,
  createCommand,
  deleteCommand,
  truncateCommand,
  verifyCommand,
  backupCommand,
  serveCommand,
];

/** The command named `name`, if there is one. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
