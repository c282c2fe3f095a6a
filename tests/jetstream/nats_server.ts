/**
 * A real `nats-server` with JetStream for the tests (and the benchmark): on
 * 127.0.0.1, a free port and a temporary store directory, started and
 * stopped by the test; killed and started again on the same port and store
 * to test a restart. `.ci/run` installs `nats-server` (Debian's package).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";

/** A `nats-server` process (or the port and store of one not running). */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  /** Its port. */
  port: number;
  /** Its JetStream store directory (kept across restarts). */
  storeDir: string;
  /** Starts it (again), resolving once it accepts connections. */
  start(): Promise<void>;
  /** Kills it with SIGKILL, keeping its store; resolves once it exited. */
  kill(): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes its store. */
  close(): Promise<void>;
  /** {@linkcode NatsServer.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A port nothing listens on now (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A `nats-server -js` on a free port with a temp store, started unless
 * `start` is false (for a server unreachable at first), with `extraArgs`
 * added to its command line (`--user U --pass P`, `--auth TOKEN`).
 */
export async function natsServer(
  start = true,
  extraArgs: string[] = [],
): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(`${tmpdir()}/mrecordlog-nats-`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const stopWith = async (signal: "SIGTERM" | "SIGKILL"): Promise<void> => {
    if (child === undefined) return;
    const running = child;
    child = undefined;
    const timer = setTimeout(() => running.kill("SIGKILL"), 5000);
    running.kill(signal);
    await exited;
    clearTimeout(timer);
  };
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async start(): Promise<void> {
      if (child !== undefined) throw new Error("nats-server already running");
      const args = ["-js", "-sd", storeDir, "-p", `${port}`, "-a", "127.0.0.1"];
      args.push(...extraArgs);
      const started = spawn("nats-server", args, { stdio: "pipe" });
      child = started;
      started.stdout!.on("data", (chunk) => output += chunk);
      started.stderr!.on("data", (chunk) => output += chunk);
      exited = new Promise((resolve) => started.on("close", () => resolve()));
      const failed = new Promise<never>((_, reject) => {
        started.on("error", reject);
        exited.then(() =>
          reject(new Error(`nats-server exited at start:\n${output}`))
        );
      });
      await Promise.race([waitListening(port), failed]);
    },
    kill: () => stopWith("SIGKILL"),
    async close(): Promise<void> {
      await stopWith("SIGTERM");
      rmSync(storeDir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose](): Promise<void> {
      return server.close();
    },
  };
  if (start) await server.start();
  return server;
}

/** Resolves once a TCP connection to `port` succeeds (within 10 s). */
async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!await canConnect(port)) {
    if (Date.now() > deadline) {
      throw new Error(`nats-server not listening on ${port} after 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
