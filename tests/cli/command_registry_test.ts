import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { parseCommandLine } from "../../src/cli/command_line.ts";
import { COMMANDS, findCommand } from "../../src/cli/command_registry.ts";
import { commandHelp, mainHelp } from "../../src/cli/help.ts";
import { UsageError } from "../../src/cli/options.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { utf8 } from "../support/bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const RUNTIME = runtimeCommand(currentRuntime());

/** `text` matched literally in a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A valid call of each command on the log in `dir` (queue `q`, one record). */
const EXAMPLES: Record<string, (dir: string) => string[]> = {
  summary: (dir) => [dir],
  read: (dir) => [dir, "q"],
  append: (dir) => [dir, "q"],
  create: (dir) => [dir, "other"],
  delete: (dir) => [dir, "q"],
  truncate: (dir) => [dir, "q", "0"],
  consumers: (dir) => [dir, "q"],
  consume: (dir) => [dir, "q", "c"],
  ack: (dir) => [dir, "q", "c", "0"],
  "delete-consumer": (dir) => [dir, "q", "c"],
  retention: (dir) => [dir, "q"],
  verify: (dir) => [dir],
  backup: (dir) => [dir, `${dir}/backup`],
  serve: (dir) => [dir, "--port", "0"],
  forward: (dir) => [
    dir,
    "q",
    ...["--nats", "nats://127.0.0.1:1", "--stream", "S", "--subject", "s"],
  ],
};

describe("command registry", () => {
  test("names are unique and found by name", () => {
    const names = COMMANDS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    for (const command of COMMANDS) {
      assert.equal(findCommand(command.name), command);
    }
    assert.equal(findCommand("nope"), undefined);
  });

  test("the help lists every command, argument and option", () => {
    const main = mainHelp(COMMANDS);
    for (const command of COMMANDS) {
      assert.match(
        main,
        new RegExp(`^  ${command.name} .*${literal(command.summary)}$`, "m"),
      );
      const help = commandHelp(command);
      assert.ok(help.startsWith(`Usage: ${command.name}`), help);
      for (const arg of command.args) {
        assert.match(
          help,
          new RegExp(`^  ${arg.name} +${literal(arg.description)}$`, "m"),
        );
      }
      for (const option of command.options) {
        const flag = option.value
          ? `--${option.name} ${option.value}`
          : `--${option.name}`;
        assert.match(help, new RegExp(`^  ${literal(flag)} `, "m"), flag);
      }
      assert.match(
        help,
        command.takesLock
          ? /^Takes the log directory's lock/m
          : /^Takes no lock/m,
      );
    }
  });

  test("the parser takes exactly the options and arguments declared", () => {
    for (const command of COMMANDS) {
      const args = command.args.map((a) => a.name.toLowerCase());
      for (const option of command.options) {
        const argv = option.value === undefined
          ? [...args, `--${option.name}`]
          : [...args, `--${option.name}`, "1"];
        const { flags, args: parsed } = parseCommandLine(command, argv);
        assert.deepEqual(parsed, args);
        assert.deepEqual(
          flags[option.name],
          option.value === undefined ? true : option.multiple ? ["1"] : "1",
        );
      }
      assert.throws(
        () => parseCommandLine(command, [...args, "--nope"]),
        UsageError,
      );
      assert.throws(
        () => parseCommandLine(command, [...args, "extra"]),
        UsageError,
      );
      const required = command.args.filter((a) => !a.optional).length;
      if (required > 0) {
        assert.throws(
          () => parseCommandLine(command, args.slice(0, required - 1)),
          (error: unknown) =>
            error instanceof UsageError &&
            error.message.startsWith(`expected ${command.args.length}`) &&
            !error.message.includes("?"),
        );
      }
      // --help needs no argument.
      assert.equal(parseCommandLine(command, ["--help"]).flags.help, true);
    }
  });

  test(
    "takesLock says which commands fail on a log another process holds",
    () =>
      withTempDir(async (dir) => {
        assert.deepEqual(
          Object.keys(EXAMPLES).sort(),
          COMMANDS.map((c) => c.name).sort(),
          "every command needs an example here",
        );
        const log = await MultiRecordLog.open(dir, { segmentBytes: 32768 });
        try {
          await log.createQueue("q");
          await log.appendRecord("q", undefined, utf8("one"));
          for (const command of COMMANDS) {
            const run = spawnSync(
              RUNTIME[0],
              [
                ...RUNTIME.slice(1),
                CLI,
                command.name,
                ...EXAMPLES[command.name](dir),
              ],
              { input: "two\n", env: process.env, timeout: 60_000 },
            );
            const err = run.stderr?.toString() ?? String(run.error);
            if (command.takesLock) {
              assert.equal(run.status, 1, `${command.name}: ${err}`);
              assert.match(err, /open elsewhere/, command.name);
            } else {
              assert.equal(run.status, 0, `${command.name}: ${err}`);
            }
          }
        } finally {
          await log.close();
        }
      }, "mrecordlog-registry-"),
  );
});
