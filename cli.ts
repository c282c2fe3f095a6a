/**
 * The command-line tool of `@x/mrecordlog`: look inside a log directory,
 * append and read records, check the files, and run the HTTP ingest server.
 *
 * Run: `deno run -A cli.ts <command> …` or `bun cli.ts <command> …`; `--help`
 * lists the commands.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type Flags, runCommand } from "./src/cli/commands.ts";
import { COMMAND_HELP, MAIN_HELP } from "./src/cli/help.ts";
import { isBrokenPipe, printError } from "./src/cli/io.ts";
import { UsageError } from "./src/cli/options.ts";

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

const str = { type: "string" } as const;
const bool = { type: "boolean" } as const;

/** Each command: its positional arguments (`?` optional) and options. */
const COMMANDS: Record<string, { args: string[]; options: OptionSpec }> = {
  summary: { args: ["DIR"], options: { json: bool } },
  read: {
    args: ["DIR", "QUEUE"],
    options: { from: str, to: str, format: str },
  },
  append: {
    args: ["DIR", "QUEUE"],
    options: {
      ndjson: bool,
      "length-prefixed": bool,
      position: str,
      create: bool,
      "max-record-bytes": str,
    },
  },
  create: { args: ["DIR", "QUEUE"], options: {} },
  delete: { args: ["DIR", "QUEUE"], options: {} },
  truncate: { args: ["DIR", "QUEUE", "POSITION"], options: {} },
  verify: { args: ["DIR"], options: { json: bool } },
  serve: {
    args: ["DIR?"],
    options: {
      port: str,
      host: str,
      token: str,
      "memory-limit": str,
      policy: str,
      "max-body-bytes": str,
      "max-record-bytes": str,
    },
  },
};

/** Runs the tool with `argv` (without the runtime and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || ["help", "--help", "-h"].includes(command)) {
    const topic = command === "help" ? rest[0] : undefined;
    const help = COMMAND_HELP[topic ?? ""] ?? MAIN_HELP;
    if (command === undefined) {
      process.stderr.write(help);
      return 2;
    }
    process.stdout.write(help);
    return 0;
  }
  const spec = COMMANDS[command];
  try {
    if (!spec) {
      throw new UsageError(
        `unknown command ${JSON.stringify(command)} (see --help)`,
      );
    }
    const { values, positionals } = parseCommand(command, rest, spec);
    if (values.help) {
      process.stdout.write(COMMAND_HELP[command]);
      return 0;
    }
    return await runCommand(command, positionals, values);
  } catch (error) {
    if (isBrokenPipe(error)) return 0;
    const usage = error instanceof UsageError;
    printError(`mrecordlog ${command}: ${describe(error)}`);
    return usage || command === "verify" ? 2 : 1;
  }
}

function parseCommand(
  command: string,
  args: string[],
  spec: { args: string[]; options: OptionSpec },
): { values: Flags; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Node's messages go on with advice about "--": keep the first sentence.
    throw new UsageError((error as Error).message.split(/\.\s/)[0]);
  }
  const { values, positionals } = parsed;
  const required = spec.args.filter((a) => !a.endsWith("?")).length;
  if (
    !values.help &&
    (positionals.length < required || positionals.length > spec.args.length)
  ) {
    throw new UsageError(
      `expected ${
        spec.args.join(" ")
      }, got ${positionals.length} argument(s) (see ${command} --help)`,
    );
  }
  return { values: values as Flags, positionals };
}

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

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
