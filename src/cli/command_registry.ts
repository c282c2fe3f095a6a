/**
 * The commands of the command-line tool, in the order the help lists them.
 * Adding a command: one file in `commands/`, one line here.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { ackCommand } from "./commands/ack.ts";
import { appendCommand } from "./commands/append.ts";
import { backupCommand } from "./commands/backup.ts";
import { consumeCommand } from "./commands/consume.ts";
import { consumersCommand } from "./commands/consumers.ts";
import { createCommand } from "./commands/create.ts";
import { deleteCommand } from "./commands/delete.ts";
import { deleteConsumerCommand } from "./commands/delete_consumer.ts";
import { forwardCommand } from "./commands/forward.ts";
import { readCommand } from "./commands/read.ts";
import { retentionCommand } from "./commands/retention.ts";
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
  consumersCommand,
  consumeCommand,
  ackCommand,
  deleteConsumerCommand,
  retentionCommand,
  verifyCommand,
  backupCommand,
  serveCommand,
  forwardCommand,
];

/** The command named `name`, if there is one. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
