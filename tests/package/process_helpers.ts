/**
 * Helpers of the package and README tests: running commands as a user would
 * (without the test runner's TypeScript loader), and a server process
 * started, asked and stopped.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";

/** The repository's root directory, with a trailing slash. */
export const REPO: string = new URL("../../", import.meta.url).pathname;

/** What a finished command did. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode run} and {@linkcode startServer}. */
export interface RunOptions {
  cwd?: string;
  /** Variables added to (or, `undefined`, removed from) the environment. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Killed (SIGKILL) after this long. Default 120 s. */
  timeoutMs?: number;
  /**
   * `PATH` as a user has it after `npm ci`: without `node_modules/.bin`
   * (which the tests otherwise put first). Default `false`.
   */
  userPath?: boolean;
  /**
   * {@linkcode startServer}: stop sends SIGTERM to the whole process group
   * (for a shell line like `mv … && npm start`, whose shell would not pass it
   * on), not to the command alone. A wrapper that passes signals on (npm,
   * `bun x`) then passes a second one: the server exits at once, code 130.
   */
  group?: boolean;
}

/**
 * The environment of a user's shell: this process's, without the
 * `NODE_OPTIONS` the Node test runner sets (a TypeScript loader), with
 * `node_modules/.bin` of the repository first on `PATH` (as after
 * `npm ci`), and `overrides` applied.
 */
export function userEnv(
  overrides: Record<string, string | undefined> = {},
  userPath = false,
): Record<string, string> {
  const path = (process.env.PATH ?? "").split(":")
    .filter((dir) => !dir.endsWith("node_modules/.bin")).join(":");
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: undefined,
    NO_COLOR: "1",
    PATH: userPath ? path : `${REPO}node_modules/.bin:${path}`,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] =>
      entry[1] !== undefined
    ),
  );
}

/** Runs `command` with `args`; resolves when it exits. */
export function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: userEnv(options.env, options.userPath),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    const timer = setTimeout(
      () => child.kill("SIGKILL"),
      options.timeoutMs ?? 120_000,
    );
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Runs a command and returns its stdout; throws, with its output, if it fails. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${
        args.join(" ")
      } exited with ${result.code}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A server process, listening. */
export interface ServerProcess {
  /** The URL it printed (`mrecordlog: serving DIR at URL`). */
  url: string;
  /**
   * Sends SIGTERM to the command (or its process group: `group`); resolves
   * with the exit code and what it printed. SIGKILLs the group if it is
   * still running after 20 s.
   */
  stop(): Promise<RunResult>;
}

/**
 * Starts `command args` (an `mrecordlog serve … --port 0`), in a process
 * group of its own, and resolves once it printed the URL it serves at;
 * rejects, with its output, if it exits first or takes over `timeoutMs`
 * (default 30 s).
 */
export function startServer(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<ServerProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: userEnv(options.env, options.userPath),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone.
    }
  };
  let stdout = "";
  let stderr = "";
  const exited = new Promise<RunResult>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup("SIGKILL");
      reject(new Error(`no URL after 30 s:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = stdout.match(/ at (http:\/\/\S+)/);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        stop: async () => {
          if (options.group) signalGroup("SIGTERM");
          else child.kill("SIGTERM");
          const late = setTimeout(() => signalGroup("SIGKILL"), 20_000);
          const result = await exited;
          clearTimeout(late);
          return result;
        },
      });
    });
    exited.then((result) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${result.code}:\n${stdout}\n${stderr}`));
    });
  });
}

/** Why `node_modules/.bin/<name>` cannot be run here, or `undefined`. */
export function missingDevTool(name: string): string | undefined {
  const path = `${REPO}node_modules/.bin/${name}`;
  return existsSync(path)
    ? undefined
    : `${name} is not installed at ${path} (npm ci installs it)`;
}
