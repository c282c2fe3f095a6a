/**
 * The help texts of the command-line tool, written from the commands
 * themselves (see `command.ts`), so that they say what the commands do.
 *
 * @module
 */

import type { Command, CommandArgument } from "./command.ts";

/** How the tool is started: installed from npm, or from a clone. */
const RUN = "mrecordlog | deno run -A cli.ts | bun cli.ts";

/** `DIR QUEUE`, `[DIR]`: a command's arguments as in a usage line. */
export function argumentsUsage(args: readonly CommandArgument[]): string {
  return args.map((a) => a.optional ? `[${a.name}]` : a.name).join(" ");
}

/** The tool's help: its commands, exit codes, and which take the lock. */
export function mainHelp(commands: readonly Command[]): string {
  const usages = commands.map((c) =>
    `${c.name} ${argumentsUsage(c.args)}`.trim()
  );
  const width = Math.max(...usages.map((u) => u.length)) + 2;
  const list = commands.map((c, i) =>
    `  ${usages[i].padEnd(width)}${c.summary}`
  );
  const own = commands.filter((c) => (c.failureExitCode ?? 1) !== 1);
  const exceptions = own.length === 0
    ? ""
    : ` (except ${listWords(own.map((c) => c.name))}: see ${
      own.length === 1 ? "its" : "their"
    } --help)`;
  const names = (lock: boolean): string =>
    listWords(commands.filter((c) => c.takesLock === lock).map((c) => c.name));
  return `mrecordlog: look inside and serve an mrecordlog directory

Usage: (${RUN}) <command> [arguments] [options]

Commands:
${list.join("\n")}

Run a command with --help for its arguments and options.
Exit codes: 0 success, 1 failure, 2 bad usage${exceptions}.

${
    wrap(
      `${
        names(false)
      } take no lock and write nothing in the log directory: they work on a log a running server has open. ${
        names(true)
      } take the directory's lock: they fail on a directory a running server has open (use the server's HTTP API then).`,
    )
  }
`;
}

/** A command's help: usage, description, arguments, options, lock. */
export function commandHelp(command: Command): string {
  const options = command.options.length > 0 ? " [options]" : "";
  const usage = `${command.name} ${argumentsUsage(command.args)}`.trim();
  const sections = [`Usage: ${usage}${options}`, command.description];
  if (command.args.length > 0) {
    sections.push(
      "Arguments:\n" + table(command.args.map((a) => [a.name, a.description])),
    );
  }
  const rows = command.options.map((o): [string, string] => [
    o.value === undefined ? `--${o.name}` : `--${o.name} ${o.value}`,
    o.help,
  ]);
  rows.push(["-h, --help", "this help"]);
  sections.push("Options:\n" + table(rows));
  sections.push(
    command.takesLock
      ? wrap(
        "Takes the log directory's lock: fails on a directory another process (such as a running server) has open.",
      )
      : wrap(
        "Takes no lock and writes nothing in the log directory: works on a log a running server has open.",
      ),
  );
  return sections.join("\n\n") + "\n";
}

/** Two columns, the second aligned; its lines after the first indented to it. */
function table(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) =>
    `  ${left.padEnd(width)}` +
    right.split("\n").join("\n" + " ".repeat(width + 2))
  ).join("\n");
}

/** `a`, `a and b`, `a, b and c`. */
function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** `text` in lines of at most 76 characters. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > 76) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
