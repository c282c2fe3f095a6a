/**
 * Reading a command's arguments and options from the command line, as its
 * {@linkcode Command} object declares them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Command, CommandArgument, Flags } from "./command.ts";
import { UsageError } from "./options.ts";

/** What {@linkcode parseCommandLine} read. */
export interface CommandLine {
  /** The positional arguments. */
  args: string[];
  /** The options, by long name; `help` is set for `--help` or `-h`. */
  flags: Flags;
}

/**
 * The arguments and options of `command` in `argv` (what follows the
 * command's name). Raises `UsageError` on an unknown option, a missing
 * option value, or too few or too many arguments (unless `--help` is given).
 */
export function parseCommandLine(
  command: Command,
  argv: string[],
): CommandLine {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple: boolean }
  > = {};
  for (const option of command.options) {
    options[option.name] = {
      type: option.value === undefined ? "boolean" : "string",
      multiple: option.multiple === true,
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Node's messages go on with advice about "--": keep the first sentence.
    throw new UsageError((error as Error).message.split(/\.\s/)[0]);
  }
  const { values, positionals } = parsed;
  const required = command.args.filter((a) => !a.optional).length;
  if (
    !values.help &&
    (positionals.length < required || positionals.length > command.args.length)
  ) {
    throw new UsageError(
      `${
        expectedArguments(command.args)
      }, got ${positionals.length} (see ${command.name} --help)`,
    );
  }
  return { args: positionals, flags: values as Flags };
}

/**
 * What `args` expects, in words: `expected 2 arguments, DIR (the log
 * directory) and QUEUE (the queue's name)`.
 */
function expectedArguments(args: readonly CommandArgument[]): string {
  const required = args.filter((a) => !a.optional).length;
  const count = required === args.length
    ? `${args.length}`
    : required === 0
    ? `at most ${args.length}`
    : `${required} to ${args.length}`;
  const plural = args.length === 1 ? "argument" : "arguments";
  if (args.length === 0) return "expected no arguments";
  const names = args.map((a) => `${a.name} (${a.description})`);
  const listed = names.length === 1
    ? names[0]
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `expected ${count} ${plural}, ${listed}`;
}
