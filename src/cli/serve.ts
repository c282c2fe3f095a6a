/**
 * The `serve` command: the ingest server until SIGINT or SIGTERM.
 *
 * @module
 */

import process from "node:process";
import {
  serveIngest,
  type ServeIngestOptions,
} from "../server/ingest_server.ts";
import { printError } from "./io.ts";

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/**
 * Opens the log in `dir`, serves it, prints `mrecordlog: serving DIR at URL`
 * on stdout, and runs until SIGINT or SIGTERM: then it stops the server,
 * closes the log and resolves. A second signal exits at once (code 130).
 */
export async function runServe(
  dir: string,
  options: ServeIngestOptions,
): Promise<void> {
  const hostname = options.hostname ?? "127.0.0.1";
  if (!LOOPBACK.includes(hostname) && options.token === undefined) {
    printError(
      `mrecordlog: warning: listening on ${hostname} without a token: anyone who can reach it can read and write the log (set --token or MRECORDLOG_TOKEN)`,
    );
  }
  // Listen for signals before anything else, so that none is missed.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => stop = resolve);
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    printError("mrecordlog: stopping");
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const server = await serveIngest(dir, options);
    try {
      const auth = options.token === undefined
        ? ""
        : " (bearer token required)";
      process.stdout.write(
        `mrecordlog: serving ${dir} at ${server.url}${auth}\n`,
      );
      await stopped;
    } finally {
      await server.close();
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
