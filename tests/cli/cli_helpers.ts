/**
 * Running the command-line tool in tests: to completion, or `serve` in the
 * background.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { currentRuntime, runtimeCommand } from "../system/crash_writer.ts";
import { withTempDir } from "../support/temp_dir.ts";

/** The repository's root, ending with `/`. */
export const ROOT: string = new URL("../..", import.meta.url).pathname;
/** The tool's entry point. */
export const CLI = `${ROOT}cli.ts`;
/** The runtime these tests run under runs the tool too. */
export const RUNTIME: string[] = runtimeCommand(currentRuntime());

/** A finished run of the tool. */
export interface Run {
  /** The exit code. */
  status: number | null;
  /** Stdout's bytes. */
  stdout: Buffer;
  /** Stdout as text. */
  out: string;
  /** Stderr as text. */
  err: string;
}

/** Options of {@linkcode cli}. */
export interface CliOptions {
  /** What stdin holds (a pipe). */
  input?: string | Uint8Array;
  /** A file opened as stdin instead (a regular file). */
  stdinFile?: string;
  /** Environment variables added. */
  env?: Record<string, string>;
  /** The working directory. Default the repository's root. */
  cwd?: string;
}

/** Runs the tool to completion with `args`. */
export function cli(args: string[], options: CliOptions = {}): Run {
  const command = [...RUNTIME, CLI, ...args];
  const file = options.stdinFile;
  // A regular file on stdin: through the shell, which opens it.
  const [program, ...argv] = file === undefined ? command : [
    "sh",
    "-c",
    'file="$1"; shift; exec "$@" < "$file"',
    "sh",
    file,
    ...command,
  ];
  const result = spawnSync(program, argv, {
    input: file === undefined ? options.input ?? "" : undefined,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? ROOT,
    maxBuffer: 512 * 1024 * 1024,
  });
  // A child that exits before reading all its input fails the write (EPIPE).
  const stdout = result.stdout ?? Buffer.alloc(0);
  return {
    status: result.status,
    stdout,
    out: stdout.toString(),
    err: result.stderr?.toString() ?? String(result.error),
  };
}

/**
 * Runs the tool with `args` without blocking (the test's own event loop
 * goes on meanwhile); resolves when it exits.
 */
export function cliAsync(
  args: string[],
  options: CliOptions = {},
): Promise<Run> {
  const child = spawn(RUNTIME[0], [...RUNTIME.slice(1), CLI, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? ROOT,
  });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk) => err += chunk);
  child.stdin.end(options.input ?? "");
  return new Promise((resolve) =>
    child.on("close", (status) => {
      const stdout = Buffer.concat(out);
      resolve({ status, stdout, out: stdout.toString(), err });
    })
  );
}

/** Asserts a failure: `status`, and one line on stderr matching `pattern`. */
export function assertFails(run: Run, status: number, pattern: RegExp): void {
  assert.equal(run.status, status, run.err);
  const lines = run.err.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, run.err);
  assert.match(lines[0], pattern);
}

/** Asserts a success; returns the run. */
export function ok(run: Run): Run {
  assert.equal(run.status, 0, run.err);
  return run;
}

/** A test body running `fn` with a fresh temp dir, removed after. */
export function withDir(
  fn: (dir: string) => Promise<void> | void,
): () => Promise<void> {
  return () => withTempDir(fn, "mrecordlog-cli-");
}

/** A `serve` process started by {@linkcode startServe}. */
export interface Served {
  /** The process. */
  child: ChildProcess;
  /** Its URL, from the line it printed. */
  url: string;
  /** The line it printed when it started serving. */
  banner: string;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** Sends SIGTERM; resolves with its exit code and signal. */
  stop(): Promise<[number | null, string | null]>;
}

/**
 * Starts `serve` with `args` and resolves once it serves (it printed
 * `mrecordlog: serving … at URL`); rejects if it exits first.
 */
export async function startServe(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Served> {
  const child = spawn(
    RUNTIME[0],
    [...RUNTIME.slice(1), CLI, "serve", ...args],
    {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
    },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => stderr += chunk);
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.on("close", (code, signal) => resolve([code, signal]))
  );
  const [banner, url] = await new Promise<[string, string]>(
    (resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => {
        out += chunk;
        const match =
          /^mrecordlog: serving .* at (http:\/\/127\.0\.0\.1:\d+).*$/m
            .exec(out);
        if (match) resolve([match[0], match[1]]);
      });
      child.on("close", () => reject(new Error(`serve exited: ${stderr}`)));
    },
  );
  return {
    child,
    url,
    banner,
    stderr: () => stderr,
    stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
