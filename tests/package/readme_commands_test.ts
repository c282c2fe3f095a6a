// Every shell command of the README (its ```sh blocks) runs as written, in
// README order, from a fresh clone after the setup command (`npm ci`), with
// the PATH a user has (no node_modules/.bin on it), so that the README cannot
// drift. What is not run as written is listed below with the reason:
// - SKIPPED: commands that need a registry or run the suite itself.
// - EXPECTED_ERROR: commands the README shows failing, with the error each
//   must answer.
// - servers (`npm start`, `… serve …`): started with `--port 0` (the README's
//   fixed port may be taken), asked `GET /queues`, stopped (SIGTERM).
// - curl commands: sent to a server this test starts, for the README's
//   `127.0.0.1:7280`, which holds what the examples assume (FIXTURES).
// The clone is a temp dir of symbolic links to the repository's files (the
// config files copied), so what the commands write stays there.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  REPO,
  run,
  type ServerProcess,
  startServer,
} from "./process_helpers.ts";

const REGISTRY = "needs a package registry (jsr.io or npmjs.com); " +
  "tests/package/npm_package_test.ts installs the packed package instead";

const NATS = "a nats-server on the README's fixed port, and forward runs " +
  "until stopped: tests/jetstream/ start nats-server on a free port and run " +
  "forward against it";

/** README commands not run, and why. */
/** Commands the README shows failing: the error each must answer. */
const EXPECTED_ERROR: Record<string, string> = {
  "curl --data-binary '[{\"n\": 5},, {\"n\": 6}]' -H 'content-type: application/json'   http://127.0.0.1:7280/queues/events/records":
    "BadJson",
};

const SKIPPED: Record<string, string> = {
  "nats-server -js -sd ./nats-store &": NATS,
  "npx deno run -A cli.ts forward ./wal events --nats nats://127.0.0.1:4222 --stream EVENTS --subject events.in --create-stream":
    NATS,
  "npm ci": "the setup command: CI runs it before the suite (here it would " +
    "reinstall node_modules under the running tests)",
  "npm test": "the test suite itself",
  "npm run cli -- <command> …": "a pattern, not a command",
  "deno add jsr:@x/mrecordlog": REGISTRY,
  "deno run -A jsr:@x/mrecordlog/cli serve ./data": REGISTRY,
  "bunx jsr add @x/mrecordlog": REGISTRY,
  "bun add @x/mrecordlog": REGISTRY,
  "bunx --bun mrecordlog serve ./data": REGISTRY,
  "npx jsr add @x/mrecordlog": REGISTRY,
  "npm install @x/mrecordlog": REGISTRY,
  "npx mrecordlog serve ./data": REGISTRY,
  "curl -N 'http://127.0.0.1:7280/queues/events/records?from=5&follow=true'":
    "follows the queue until interrupted",
};

/** Servers started with another directory than the README's, and why. */
const DIRECTORY: Record<string, [string, string]> = {
  // A directory outside the clone (and maybe not writable).
  "npm start -- /var/lib/wal --port 8080": ["/var/lib/wal", "./var-lib-wal"],
};

/** The README's example file, five NDJSON records (as its outputs show). */
const EVENTS = [1, 2, 3, 4, 5].map((n) => `{"n":${n}}\n`).join("");

/**
 * What the curl examples assume the server holds: queue `orders` with five
 * records (its `nextPosition` is 5), for the retry example.
 */
async function FIXTURES(url: string): Promise<void> {
  await fetch(`${url}/queues/orders`, { method: "POST" });
  const appended = await fetch(`${url}/queues/orders/records`, {
    method: "POST",
    headers: { "Content-Type": "application/x-ndjson" },
    body: "1\n2\n3\n4\n5\n",
  });
  assert.equal(appended.status, 200, await appended.text());
}

/** The commands of the README's sh blocks: comment lines dropped, continued lines joined, trailing comments cut. */
export function readmeCommands(readme: string): string[] {
  const commands: string[] = [];
  for (const [, block] of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    let pending = "";
    for (const line of block.split("\n")) {
      if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
      if (line.endsWith("\\")) {
        pending += line.slice(0, -1);
        continue;
      }
      commands.push((pending + line).replace(/\s+#\s.*$/, "").trim());
      pending = "";
    }
  }
  return commands;
}

/**
 * `command` without the setup command in front (`npm ci && npm start`: the
 * clone is as after `npm ci`). Throws for a command that would still install:
 * in the clone, node_modules is made of links to the repository's.
 */
function withoutSetup(command: string): string {
  const line = command.replace(/^npm ci && /, "");
  if (/\bnpm (ci|install|i)\b/.test(line)) {
    throw new Error(`would install packages: ${command} (add it to SKIPPED)`);
  }
  return line;
}

/** Whether `command` starts a server that runs until stopped. */
function isServer(command: string): boolean {
  return /(^|&& )npm start\b/.test(command) || / serve\b/.test(command);
}

/** `command` listening on a free port: `--port N` made 0, or `--port 0` added. */
function onFreePort(command: string): string {
  if (/--port \d+/.test(command)) {
    return command.replace(/--port \d+/, "--port 0");
  }
  return /npm start$/.test(command)
    ? `${command} -- --port 0`
    : `${command} --port 0`;
}

/** A temp dir standing for a fresh clone after `npm ci`. */
function makeClone(): string {
  const clone = mkdtempSync(join(tmpdir(), "mrecordlog-readme-"));
  process.on("exit", () => rmSync(clone, { recursive: true, force: true }));
  const tracked = execFileSync("git", ["ls-files"], {
    cwd: REPO,
    encoding: "utf8",
  })
    .split("\n").filter(Boolean).map((path) => path.split("/")[0]);
  const copied = ["package.json", "package-lock.json", "deno.json", "jsr.json"];
  for (const name of new Set(tracked)) {
    if (!readdirSync(REPO).includes(name)) continue;
    if (copied.includes(name)) {
      copyFileSync(`${REPO}${name}`, join(clone, name));
    } else symlinkSync(`${REPO}${name}`, join(clone, name));
  }
  // A directory of links, not a link: nothing run in the clone can empty the
  // repository's node_modules.
  mkdirSync(join(clone, "node_modules"));
  for (const name of readdirSync(`${REPO}node_modules`)) {
    symlinkSync(
      `${REPO}node_modules/${name}`,
      join(clone, "node_modules", name),
    );
  }
  writeFileSync(join(clone, "events.ndjson"), EVENTS);
  return clone;
}

const ONLY_UNDER_NODE = "Deno" in globalThis || "Bun" in globalThis
  ? "runs once, in the suite's Node run (it starts Deno, Bun and Node itself)"
  : undefined;
const TIMEOUT = { timeout: 180_000, skip: ONLY_UNDER_NODE };
const readme = readFileSync(`${REPO}README.md`, "utf8");
const commands = readmeCommands(readme);
let clone: string | undefined;
let httpServer: Promise<ServerProcess> | undefined;

/** The server the curl examples talk to (started on first use). */
function exampleServer(): Promise<ServerProcess> {
  httpServer ??= (async () => {
    const server = await startServer(
      `${REPO}node_modules/.bin/deno`,
      ["run", "-A", "cli.ts", "serve", "./curl-data", "--port", "0"],
      { cwd: clone },
    );
    await FIXTURES(server.url);
    return server;
  })();
  return httpServer;
}

describe("README commands", () => {
  test("are found, and every exception still names one of them", () => {
    assert.ok(commands.includes("npm start") && commands.length > 10);
    for (
      const command of [
        ...Object.keys(SKIPPED),
        ...Object.keys(DIRECTORY),
        ...Object.keys(EXPECTED_ERROR),
      ]
    ) {
      assert.ok(commands.includes(command), `not in the README: ${command}`);
    }
  });

  for (const command of commands) {
    const skip = ONLY_UNDER_NODE ?? SKIPPED[command];
    test(`README: ${command}`, { ...TIMEOUT, skip }, async () => {
      clone ??= makeClone();
      if (isServer(command)) {
        const [from, to] = DIRECTORY[command] ?? ["", ""];
        const line = onFreePort(withoutSetup(command).replace(from, to));
        const server = await startServer("bash", ["-c", line], {
          cwd: clone,
          userPath: true,
          group: true,
        });
        let answer: Response;
        try {
          answer = await fetch(`${server.url}/queues`);
          await answer.text();
        } finally {
          await server.stop();
        }
        assert.equal(answer.status, 200);
        return;
      }
      let line = withoutSetup(command);
      if (command.includes("http://127.0.0.1:7280")) {
        const { url } = await exampleServer();
        line = command.replaceAll("http://127.0.0.1:7280", url);
      }
      const result = await run("bash", ["-c", line], {
        cwd: clone,
        userPath: true,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, output);
      const expected = EXPECTED_ERROR[command];
      if (expected === undefined) {
        assert.doesNotMatch(result.stdout, /"error":/, output);
      } else {
        assert.match(
          result.stdout,
          new RegExp(`"error":"${expected}"`),
          output,
        );
      }
    });
  }

  test("the example server stops", { ...TIMEOUT }, async () => {
    if (httpServer) await (await httpServer).stop();
  });
});
