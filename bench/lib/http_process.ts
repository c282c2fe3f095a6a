/**
 * The child processes of the HTTP ingest benchmark: a server started from
 * a command line (ready once it prints its URL), its CPU time read from
 * `/proc/<pid>/stat`, and the load generator (`http_load.mjs` run by
 * Node.js) driven one command at a time.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";

/** A server started by {@linkcode startServer}. */
export interface ServerProcess {
  /** Its process id. */
  pid: number;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The user + system CPU time it used so far, in seconds (Linux). */
  cpuSeconds(): number;
  /** What it printed on stderr (the last 4 KiB). */
  stderr(): string;
  /** Kills it (SIGKILL) and waits for its exit. */
  stop(): Promise<void>;
}

/** The servers running now. */
const running = new Set<ChildProcess>();

/**
 * Kills the servers still running when this process exits, also on SIGINT
 * and SIGTERM (exit code 130), so that none outlives the benchmark.
 */
export function killServersOnExit(): void {
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => process.exit(130));
  }
}

let clockTicks: number | undefined;

/** The clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    clockTicks = Number(out.stdout?.trim()) || 100;
  }
  return clockTicks;
}

/** utime + stime of process `pid` (all its threads), in seconds. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * Starts `command` and waits (at most `timeoutMs`) until it prints a line
 * with `http://HOST:PORT`.
 */
export function startServer(
  command: string[],
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawn(command[0], command.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let errText = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    errText = (errText + chunk).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command.join(" ")}: no URL in ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const match = /http:\/\/[^\s]+:[0-9]+/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      lines.removeAllListeners("line");
      resolve({
        pid: child.pid!,
        url: match[0],
        cpuSeconds: () => processCpuSeconds(child.pid!),
        stderr: () => errText,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGKILL");
          }
          await exited;
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`${command.join(" ")} exited (${code}):\n${errText}`),
      );
    });
  });
}

/** One run of the load generator. */
export interface LoadCommand {
  /** Where to POST. */
  url: string;
  /** Concurrent connections (one request in flight each). */
  connections: number;
  /** How long, in seconds. */
  seconds: number;
  /** The file holding the body. */
  bodyPath: string;
  /** The request headers. */
  headers: Record<string, string>;
}

/** What the load generator counted. */
export interface LoadResult {
  /** Answers 200-299. */
  ok2xx: number;
  /** Other answers. */
  non2xx: number;
  /** Connection errors. */
  errors: number;
  /** Requests timed out. */
  timeouts: number;
  /** How long it ran, in seconds. */
  seconds: number;
  /** Mean latency, ms. */
  latencyMean: number;
  /** 99th percentile latency, ms. */
  latencyP99: number;
  /** Answers by status code. */
  statusCodes: Record<string, { count: number }>;
}

/** The load generator process (`node http_load.mjs`). */
export interface LoadGenerator {
  /** Runs one command and resolves with its counts. */
  run(command: LoadCommand): Promise<LoadResult>;
  /** Ends the process. */
  close(): Promise<void>;
}

/** Starts `node <script>` (Node.js from `BENCH_NODE`, else `node`). */
export function startLoadGenerator(
  node: string,
  script: string,
): LoadGenerator {
  const child: ChildProcess = spawn(node, [script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting: ((line: string) => void)[] = [];
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      failure = new Error(`the load generator exited (${code})`);
      for (const w of waiting.splice(0)) w("");
      resolve();
    })
  );
  createInterface({ input: child.stdout! }).on("line", (line) => {
    waiting.shift()?.(line);
  });
  return {
    run(command) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.push((line) => {
          if (line === "") return reject(failure);
          const answer = JSON.parse(line);
          if (answer.error) reject(new Error(answer.error));
          else resolve(answer as LoadResult);
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      });
    },
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
