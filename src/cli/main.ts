/**
 * The command-line tool's entry: finds the command in the registry, reads
 * its arguments, answers `--help`, runs it, and turns its outcome into an
 * exit code and a message on stderr.
 *
 * @module
 */

import process from "node:process";
import { parseCommandLine } from "./command_line.ts";
import { COMMANDS, findCommand } from "./command_registry.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { isBrokenPipe, printError } from "./io.ts";
import { UsageError } from "./options.ts";

/**
 * Runs the tool with `argv` (without the runtime and script); returns the
 * exit code: 0 success, 1 failure, 2 bad usage (or a command's own
 * `failureExitCode`).
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || ["help", "--help", "-h"].includes(name)) {
    const topic = name === "help" ? findCommand(rest[0] ?? "") : undefined;
    const help = topic ? commandHelp(topic) : mainHelp(COMMANDS);
    if (name === undefined) {
      process.stderr.write(help);
      return 2;
    }
    process.stdout.write(help);
    return 0;
  }
  const command = findCommand(name);
  try {
    if (!command) {
      throw new UsageError(
        `unknown command ${JSON.stringify(name)} (see --help)`,
      );
    }
    const { args, flags } = parseCommandLine(command, rest);
    if (flags.help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(args, flags);
  } catch (error) {
    if (isBrokenPipe(error)) return 0;
    printError(`mrecordlog ${name}: ${describe(error)}`);
    if (error instanceof UsageError) return 2;
    return command?.failureExitCode ?? 1;
  }
}

/**
 * The error's message on one line, with what an append persisted before it
 * failed (its `persisted` property), if anything.
 */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const persisted = (error as {
    persisted?: {
      count: number;
      firstPosition: number;
      lastPosition: number;
    };
  })
    ?.persisted;
  const note = persisted && persisted.count > 0
    ? ` (${persisted.count} record(s) were appended first, at positions ${persisted.firstPosition}..${persisted.lastPosition})`
    : "";
  return (message + note).replace(/\s*\n\s*/g, " ");
}
