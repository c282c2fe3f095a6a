/**
 * A soak of the `serve` command with client faults (loopback only): good
 * appends beside malformed requests on raw sockets (a half-closed body, an
 * oversized chunk extension, a bad chunk size, HTTP/1.0 without Host,
 * CONNECT, odd Host bytes, 10,000 one-byte chunks, a client gone
 * mid-body) and connections held open (slow headers, idle keep-alive),
 * while the server's RSS and open fds are sampled from /proc. Used by
 * `fault_soak_test.ts` (seconds) and `bench/http_soak.ts` (minutes).
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import process from "node:process";
import { Buffer } from "node:buffer";
import { startServing } from "./serve_process.ts";
import { withTempDir } from "../support/temp_dir.ts";

/** What a soak found. */
export interface SoakReport {
  /**
   * Answers by status code (`none`: closed without an answer; `refused`: a
   * good append whose connection was closed at once, past the cap).
   */
  statuses: Record<string, number>;
  /** Good appends answered 200. */
  appended: number;
  /** The largest RSS of the server, in MiB, and at the start. */
  rssMaxMiB: number;
  rssStartMiB: number;
  /** Open fds of the server: at the start, at most, and at the end. */
  fdsStart: number;
  fdsMax: number;
  fdsEnd: number;
  /**
   * Open sockets of the server (its listener, the connections it holds, and
   * any it accepted only to close): at the start, at most, and at the end.
   */
  socketsStart: number;
  socketsMax: number;
  socketsEnd: number;
  /** The server's exit code once stopped with SIGTERM. */
  exitCode: number;
  /** Lines the server printed on stderr. */
  stderrLines: string[];
}

/** Options of {@linkcode runFaultSoak}. */
export interface SoakOptions {
  /** How to run the tool: `["deno", "run", "-A"]`, `["bun"]`, … */
  runtime: string[];
  /** How long the faults are sent, in ms. */
  durationMs: number;
  /** More flags for `serve` (`--server node`, …). */
  flags?: string[];
  /** Connections held open at once (slow headers and idle). Default 40. */
  held?: number;
}

const FAULTS: ((port: number) => Promise<string>)[] = [
  (port) =>
    exchange(port, [
      "POST /queues/q/records HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc\n",
    ], { halfClose: true }),
  (port) =>
    exchange(port, [
      "POST /queues/q/records HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;" +
      "e".repeat(100_000) + "\r\nabc\n\r\n0\r\n\r\n",
    ]),
  (port) =>
    exchange(port, [
      "POST /queues/q/records HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\n\r\n0\r\n\r\n",
    ]),
  (port) =>
    exchange(port, [
      "POST /queues/q/records HTTP/1.0\r\nContent-Length: 2\r\n\r\na\n",
    ]),
  (port) =>
    exchange(port, [
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    ]),
  (port) =>
    exchange(port, [
      "GET /queues HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: close\r\n\r\n",
    ]),
  (port) =>
    exchange(port, [
      "GET /queues HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
    ]),
  (port) => {
    let text =
      "POST /queues/q/records HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (let i = 0; i < 10_000; i++) {
      text += `1\r\n${i % 100 === 99 ? "\n" : "a"}\r\n`;
    }
    return exchange(port, [text + "0\r\n\r\n"]);
  },
  (port) =>
    exchange(port, [
      "POST /queues/q/records HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
      "abc\n".repeat(100),
    ], { destroyAfterMs: 50 }),
];

/** Runs a soak (see the module). */
export async function runFaultSoak(options: SoakOptions): Promise<SoakReport> {
  return await withTempDir(async (dir) => {
    const served = await startServing([
      ...options.runtime,
      "cli.ts",
      "serve",
      dir,
      "--port",
      "0",
      "--policy",
      "always-flush",
      ...(options.flags ?? []),
    ]);
    let stderr = "";
    served.child.stderr!.on("data", (chunk) => stderr += chunk);
    const pid = served.child.pid!;
    const port = Number(new URL(served.url).port);
    const statuses: Record<string, number> = {};
    const count = (answer: string): void => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? "none";
      statuses[status] = (statuses[status] ?? 0) + 1;
    };
    try {
      await fetch(`${served.url}/queues/q`, { method: "POST" });
      const rssStartMiB = rssMiB(pid);
      const fdsStart = fds(pid);
      let rssMaxMiB = rssStartMiB;
      let fdsMax = fdsStart;
      const socketsStart = sockets(pid);
      let socketsMax = socketsStart;
      const sample = setInterval(() => {
        rssMaxMiB = Math.max(rssMaxMiB, rssMiB(pid));
        fdsMax = Math.max(fdsMax, fds(pid));
        socketsMax = Math.max(socketsMax, sockets(pid));
      }, 100);
      const end = Date.now() + options.durationMs;
      const held: net.Socket[] = [];
      const holding = (async () => {
        let i = 0;
        while (Date.now() < end) {
          if (held.filter((s) => !s.destroyed).length < (options.held ?? 40)) {
            held.push(
              await hold(
                port,
                i++ % 2 === 0
                  ? "GET /queues HTTP/1.1\r\nHost: x\r\nX-Slow: a"
                  : "GET /queues HTTP/1.1\r\nHost: x\r\n\r\n",
              ),
            );
          } else await delay(50);
        }
      })();
      let appended = 0;
      const appending = (async () => {
        let i = 0;
        while (Date.now() < end) {
          try {
            const response = await fetch(`${served.url}/queues/q/records`, {
              method: "POST",
              body: `{"good":${i++}}\n`.repeat(10),
            });
            count(`HTTP/1.1 ${response.status}`);
            await response.arrayBuffer();
            if (response.status === 200) appended++;
          } catch {
            count("refused"); // a connection past the cap, closed at once
            await delay(10);
          }
        }
      })();
      const faulting = (async () => {
        let i = 0;
        while (Date.now() < end) count(await FAULTS[i++ % FAULTS.length](port));
      })();
      try {
        await Promise.all([holding, appending, faulting]);
      } finally {
        for (const socket of held) socket.destroy();
      }
      await delay(500);
      clearInterval(sample);
      const fdsEnd = fds(pid);
      const socketsEnd = sockets(pid);
      process.kill(pid, "SIGTERM");
      const exitCode = await served.exited;
      return {
        statuses,
        appended,
        rssMaxMiB,
        rssStartMiB,
        fdsStart,
        fdsMax,
        fdsEnd,
        socketsStart,
        socketsMax,
        socketsEnd,
        exitCode,
        stderrLines: stderr.split("\n").filter((l) => l !== ""),
      };
    } finally {
      served.kill();
    }
  }, "mrecordlog-soak-");
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function sockets(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) count++;
    } catch {
      // closed between the listing and the read
    }
  }
  return count;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `parts` on a new connection; what came back once it closed (or 3 s). */
function exchange(
  port: number,
  parts: string[],
  options: { halfClose?: boolean; destroyAfterMs?: number } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let out = "";
    socket.on("data", (data) => out += data.toString("latin1"));
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on("connect", () => {
      for (const part of parts) socket.write(Buffer.from(part, "latin1"));
      if (options.halfClose) socket.end();
      if (options.destroyAfterMs !== undefined) {
        setTimeout(() => socket.destroy(), options.destroyAfterMs);
      }
    });
  });
}

/** A connection that sent `text` and is then left open. */
function hold(port: number, text: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.on("connect", () => {
      socket.write(text);
      resolve(socket);
    });
  });
}
