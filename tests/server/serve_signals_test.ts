/**
 * The commands the README gives to start the server (`npm start`, Bun's and
 * `deno task serve` from node_modules/.bin), each stopped by a signal to the
 * process the user started (or, for Ctrl-C, to its process group): the
 * server stops, the log is closed, the lock released, exit code 0.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import process from "node:process";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { fedBody, post, stored } from "./server_helpers.ts";
import { startServing } from "./serve_process.ts";

/** The README's commands, serving `dir` on a free port. */
const COMMANDS: Record<string, (dir: string) => string[]> = {
  "npm start": (dir) => ["npm", "start", "--", dir, "--port", "0"],
  "bun cli.ts serve": (dir) => [
    "node_modules/.bin/bun",
    "cli.ts",
    "serve",
    dir,
    "--port",
    "0",
  ],
  "deno task serve": (dir) => [
    "node_modules/.bin/deno",
    "task",
    "serve",
    dir,
    "--port",
    "0",
  ],
};

/**
 * The command, the signal, and whom it goes to: the process started, or its
 * whole process group, as a terminal sends Ctrl-C (npm then relays it, so
 * the server gets it twice).
 */
const RUNS: [string, NodeJS.Signals, "process" | "group"][] = [
  ["npm start", "SIGTERM", "process"],
  ["npm start", "SIGINT", "process"],
  ["npm start", "SIGINT", "group"],
  ["bun cli.ts serve", "SIGTERM", "process"],
  ["deno task serve", "SIGTERM", "process"],
];

describe("the README's commands stop on a signal", () => {
  for (const [name, signal, target] of RUNS) {
    const to = target === "group"
      ? "its process group (Ctrl-C)"
      : "the process started";
    test(`${name}, ${signal} to ${to}: appends done or refused whole, log closed, lock released, exit 0`, () =>
      withTempDir(async (dir) => {
        const { child, url, exited, kill } = await startServing(
          COMMANDS[name](dir),
        );
        try {
          const pid = target === "group" ? -child.pid! : child.pid!;
          await appendThenSignal(url, pid, signal, dir, exited);
        } finally {
          kill(); // whatever is left of it
        }
      }, "mrecordlog-signal-"));
  }
});

/**
 * Appends, starts an append whose body never ends, signals npm, and checks
 * the outcome.
 */
async function appendThenSignal(
  url: string,
  pid: number,
  signal: NodeJS.Signals,
  dir: string,
  exited: Promise<number>,
): Promise<void> {
  assert.equal((await post(`${url}/queues/q`)).status, 201);
  const done = await post(`${url}/queues/q/records`, "a\nb\n");
  assert.equal((await done.json()).written, 2);
  // An append whose body is still arriving when the signal comes.
  const slow = fedBody();
  const client = new AbortController();
  const inFlight = fetch(`${url}/queues/q/records`, {
    method: "POST",
    body: slow.stream,
    duplex: "half",
    signal: client.signal,
  } as RequestInit).then(
    async (r) => [r.status, (await r.json()).error],
    () => "cut",
  );
  slow.push("never\n");
  await slow.drained();
  process.kill(pid, signal);
  const timeout = new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve("still running"), 20_000);
    exited.then(() => clearTimeout(timer));
  });
  assert.equal(await Promise.race([exited, timeout]), 0);
  client.abort(); // if it was not answered: the server is gone
  const answer = await inFlight;
  assert.ok(
    answer === "cut" ||
      JSON.stringify(answer) === JSON.stringify([503, "ServerClosing"]),
    JSON.stringify(answer),
  );
  assert.equal(existsSync(`${dir}/mrecordlog.lock`), false);
  const log = await MultiRecordLog.open(dir);
  try {
    assert.deepEqual(stored(log, "q"), ["a", "b"]);
  } finally {
    await log.close();
  }
}
