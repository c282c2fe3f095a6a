/**
 * A server started as a command of its own, for the tests of the start
 * commands and of `serve`'s flags.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository's root: where the start commands run. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** A started server process. */
export interface ServingProcess {
  /** The process started. */
  child: ChildProcess;
  /** The URL it printed (`serving DIR at URL`). */
  url: string;
  /** Its exit code (128 + the signal number if a signal ended it). */
  exited: Promise<number>;
  /** Kills whatever is left of its process group. */
  kill(): void;
}

/** `command` started in {@linkcode ROOT}, once it printed its URL. */
export async function startServing(
  command: string[],
): Promise<ServingProcess> {
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
    detached: true, // its own process group, to clean up after a failure
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => stderr += chunk);
  const exited = new Promise<number>((resolve) =>
    child.on(
      "exit",
      (code, signal) => resolve(code ?? 128 + signalNumber(signal)),
    )
  );
  const kill = (): void => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Nothing left.
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const match = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]);
    });
    exited.then((code) =>
      reject(new Error(`${command.join(" ")} exited ${code}: ${stderr}`))
    );
  });
  return { child, url, exited, kill };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 0;
}
