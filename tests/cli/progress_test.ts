import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { COMMANDS } from "../../src/cli/command_registry.ts";
import {
  formatBytes,
  progressText,
  progressWanted,
  QUIET_OPTION,
} from "../../src/cli/progress.ts";
import { cli, cliAsync, ok, withDir } from "./cli_helpers.ts";

/** Forces the progress line although stderr is not a terminal. */
const FORCE = { MRECORDLOG_PROGRESS: "1" };
/** What erases the line. */
const ERASE = "\r\x1b[K";

describe("progress line", () => {
  test("its text: done, of the total and a percentage when known, and a rate", () => {
    const verify = { label: "verifying d", verb: "read" };
    assert.equal(
      progressText(verify, 1536, 6144),
      "verifying d: 1.5 KiB of 6.0 KiB read (25%)",
    );
    assert.equal(
      progressText(verify, 3 * 1024 * 1024, 6 * 1024 * 1024, 2),
      "verifying d: 3.0 MiB of 6.0 MiB read (50%), 1.5 MiB/s",
    );
    // Past an estimated total: the total.
    assert.equal(
      progressText(verify, 7000, 6144),
      "verifying d: 6.0 KiB of 6.0 KiB read (100%)",
    );
    assert.equal(
      progressText({ label: "appending to q", verb: "read" }, 101, undefined),
      "appending to q: 101 B read",
    );
    assert.equal(
      progressText(
        { label: "reading q", verb: "written", unit: "records" },
        10,
        40,
        2,
      ),
      "reading q: 10 of 40 record(s) written (25%), 5 record(s)/s",
    );
    assert.equal(formatBytes(1023), "1023 B");
    assert.equal(formatBytes(5 * 1024 ** 3), "5.0 GiB");
  });

  test("--quiet wins; otherwise a terminal or MRECORDLOG_PROGRESS=1", () => {
    const saved = process.env.MRECORDLOG_PROGRESS;
    try {
      process.env.MRECORDLOG_PROGRESS = "1";
      assert.equal(progressWanted({}), true);
      assert.equal(progressWanted({ quiet: true }), false);
    } finally {
      if (saved === undefined) delete process.env.MRECORDLOG_PROGRESS;
      else process.env.MRECORDLOG_PROGRESS = saved;
    }
    // Every command opens or copies a log, and shows progress then, but
    // `serve`.
    for (const command of COMMANDS) {
      assert.equal(
        command.options.includes(QUIET_OPTION),
        command.name !== "serve",
        command.name,
      );
    }
  });

  test(
    "the long commands show it on stderr when forced, erase it, and say nothing with --quiet",
    withDir(async (dir) => {
      const log = `${dir}/log`;
      ok(cli(["create", log, "q"]));
      const input = "x".repeat(100) + "\n";
      // stderr is not a terminal here: no progress unless forced.
      assert.equal(ok(cli(["append", log, "q"], { input })).err, "");
      // A pipe (Bun's spawnSync hands `input` over as a file): no total.
      const piped = ok(
        await cliAsync(["append", log, "q"], { input, env: FORCE }),
      );
      assert.ok(
        piped.err.includes(`${ERASE}appending to q: 101 B read`),
        piped.err,
      );
      // A regular file on stdin: its size is the total.
      writeFileSync(`${dir}/input.txt`, input.repeat(2000));
      const fromFile = ok(
        cli(["append", log, "q"], {
          stdinFile: `${dir}/input.txt`,
          env: FORCE,
        }),
      );
      assert.match(
        fromFile.err,
        /appending to q: [0-9.]+ (B|KiB) of 197\.3 KiB read \(\d+%\)/,
      );
      const runs: [string[], RegExp][] = [
        [
          ["summary", log],
          /opening .*log: [0-9.]+ (B|KiB) of [0-9.]+ KiB read/,
        ],
        [
          ["read", log, "q"],
          /reading q: \d+ of 2002 record\(s\) written \(\d+%\)/,
        ],
        [
          ["verify", log],
          /verifying .*log: [0-9.]+ (B|KiB|MiB) of [0-9.]+ MiB read/,
        ],
        [
          ["backup", log, `${dir}/copy`],
          /backing up .*log: [0-9.]+ (B|KiB|MiB) of [0-9.]+ MiB copied/,
        ],
        [["truncate", log, "q", "0"], /opening .*log: .* of .* read/],
      ];
      for (const [args, pattern] of runs) {
        const run = ok(cli(args, { env: FORCE }));
        assert.match(run.err, pattern, args[0]);
        assert.ok(run.err.endsWith(ERASE), `${args[0]} erases its line`);
      }
      const quiet: string[][] = [
        ["summary", log],
        ["read", log, "q"],
        ["verify", log],
        ["backup", log, `${dir}/copy2`],
        ["append", log, "q"],
        ["create", log, "other"],
        ["truncate", log, "q", "1"],
        ["delete", log, "other"],
      ];
      for (const args of quiet) {
        const run = ok(cli([...args, "--quiet"], { input, env: FORCE }));
        assert.equal(run.err, "", args[0]);
      }
    }),
  );
});
