/**
 * The `serve` command: the HTTP ingest server until SIGINT or SIGTERM.
 *
 * @module
 */

import process from "node:process";
import type { Command, Flags } from "../command.ts";
import {
  FORWARD_OPTION,
  type ForwardSpec,
  forwardSpecs,
  serveForwarders,
} from "../forwarders.ts";
import { printError, printWarning } from "../io.ts";
import { checkDirectory } from "../open_log.ts";
import {
  byteSizeFlag,
  parseByteSize,
  parsePolicy,
  stringFlag,
  UsageError,
} from "../options.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  type QueueRateLimit,
} from "../../server/ingest_handler.ts";
import {
  serveIngest,
  type ServeIngestOptions,
} from "../../server/ingest_server.ts";
import type { OpenOptions } from "../../log/log_types.ts";

/** `serve [DIR] [options]`. */
export const serveCommand: Command = {
  name: "serve",
  summary: "the HTTP ingest server (DIR defaults to ./data)",
  description:
    `Serves the log in DIR (default ./data, created if missing) over HTTP until
SIGINT or SIGTERM.

Routes: GET /queues, POST|DELETE|GET /queues/{queue},
POST /queues/{queue}/records[?position=N][&format=ndjson|length-prefixed|json],
GET /queues/{queue}/records[?from=N][&to=N][&follow=true] (NDJSON lines
{"position":N,"payload":"<base64>"}), POST /queues/{queue}/truncate?position=N;
consumers, retention, GET /metrics and GET /status: see the README.
Queue names are percent-encoded ('/' as %2F). An append stores its whole body
or nothing; with ?position=N a retry writes only what is not stored yet, and
below the queue's next position anything but the same records is a 409.

Sizes take a binary unit: 65536, 64KiB, 512MiB, 1GiB.`,
  args: [{
    name: "DIR",
    description: "the log directory, ./data if not given",
    optional: true,
  }],
  options: [
    {
      name: "port",
      value: "N",
      help: "port (default 7280; 0 picks a free one)",
    },
    {
      name: "host",
      value: "H",
      help: "address to listen on (default 127.0.0.1)",
    },
    {
      name: "token",
      value: "T",
      help: `require "Authorization: Bearer T" on every request
(default: the MRECORDLOG_TOKEN environment variable)`,
    },
    {
      name: "memory-limit",
      value: "B",
      help: "retained bytes past which appends answer 429",
    },
    {
      name: "hot-bytes",
      value: "B",
      help: `payload bytes kept in memory; older records are read
back from the log files (default: all in memory)`,
    },
    {
      name: "policy",
      value: "P",
      help: `always-fsync (default), always-flush,
on-delay-fsync[:MS], on-delay-flush[:MS], do-nothing`,
    },
    {
      name: "disk-limit",
      value: "B",
      help: `bytes the log files may occupy on disk, else 429
(at least 256MiB: two 128 MiB files)`,
    },
    {
      name: "max-body-bytes",
      value: "B",
      help: "largest request body (default 10MiB), else 413",
    },
    {
      name: "max-record-bytes",
      value: "B",
      help: "largest record (default: --max-body-bytes), else 413",
    },
    {
      name: "queue-rate",
      value: "B/s",
      help: `payload bytes per second per queue, else 429
(default: no limit; Quickwit uses 5MiB/s)`,
    },
    {
      name: "queue-burst",
      value: "B",
      help: `bytes a queue takes at once (default: 10 x --queue-rate,
at least --max-body-bytes)`,
    },
    {
      name: "server",
      value: "S",
      help: `the HTTP server: native (Deno.serve, Bun.serve; the
default under Deno and Bun) or node (node:http: the timeouts and
--max-connections on every runtime; the only one under Node.js)`,
    },
    {
      name: "header-timeout-ms",
      value: "N",
      help: `ms a request's headers may take, else 408 and closed
(default 10000; with --server node; Bun.serve: its own, ~10 s)`,
    },
    {
      name: "idle-timeout-ms",
      value: "N",
      help: `ms a kept-alive connection may wait for its next
request (default 60000; --server node, or Bun.serve: whole
seconds, at most 255; none on Deno.serve)`,
    },
    {
      name: "max-connections",
      value: "N",
      help: `connections open at once; more are closed at once
(default 512; with --server node)`,
    },
    FORWARD_OPTION,
  ],
  takesLock: true,
  async run([dir = "./data"], flags): Promise<number> {
    const options = serveOptions(flags);
    const forward = forwardSpecs(flags);
    checkDirectory(dir, true, false);
    await runServe(dir, options, forward);
    return 0;
  },
};

/** The server's options from the command's flags. */
function serveOptions(flags: Flags): ServeIngestOptions {
  const port = stringFlag(flags, "port");
  if (port !== undefined && !(/^[0-9]{1,5}$/.test(port) && +port <= 65535)) {
    throw new UsageError(
      `--port must be a port number, got ${JSON.stringify(port)}`,
    );
  }
  const token = stringFlag(flags, "token") ?? process.env.MRECORDLOG_TOKEN;
  const persistPolicy = parsePolicy(
    stringFlag(flags, "policy") ?? "always-fsync",
  );
  const maxBodyBytes = byteSizeFlag(flags, "max-body-bytes") ??
    DEFAULT_MAX_BODY_BYTES;
  const openOptions: OpenOptions = {
    persistPolicy,
    memoryLimitBytes: byteSizeFlag(flags, "memory-limit"),
    diskLimitBytes: byteSizeFlag(flags, "disk-limit"),
    hotBytes: byteSizeFlag(flags, "hot-bytes"),
    onWarning: printWarning,
  };
  return {
    port: port === undefined ? undefined : Number(port),
    hostname: stringFlag(flags, "host"),
    token: token === "" ? undefined : token,
    maxBodyBytes,
    maxRecordBytes: byteSizeFlag(flags, "max-record-bytes"),
    queueRate: queueRate(flags, maxBodyBytes),
    openOptions,
    server: serverFlag(flags),
    headerTimeoutMs: countFlag(flags, "header-timeout-ms"),
    idleTimeoutMs: countFlag(flags, "idle-timeout-ms"),
    maxConnections: countFlag(flags, "max-connections"),
  };
}

/** `--server native|node`, if given (native needs Deno or Bun). */
function serverFlag(flags: Flags): "native" | "node" | undefined {
  const server = stringFlag(flags, "server");
  if (server === undefined || server === "node") return server;
  if (server !== "native") {
    throw new UsageError(
      `--server must be native or node, got ${JSON.stringify(server)}`,
    );
  }
  if (!("Deno" in globalThis || "Bun" in globalThis)) {
    throw new UsageError("--server native needs Deno or Bun");
  }
  return server;
}

/** A flag holding a positive integer (ms, a count), if given. */
function countFlag(flags: Flags, name: string): number | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value) || Number(value) === 0) {
    throw new UsageError(
      `--${name} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** `--queue-rate B[/s]` and `--queue-burst B`, if given. */
function queueRate(
  flags: Flags,
  maxBodyBytes: number,
): QueueRateLimit | undefined {
  const rate = stringFlag(flags, "queue-rate");
  const burst = byteSizeFlag(flags, "queue-burst");
  if (rate === undefined) {
    if (burst !== undefined) {
      throw new UsageError("--queue-burst needs --queue-rate");
    }
    return undefined;
  }
  const bytesPerSecond = parseByteSize(
    rate.replace(/\/s$/i, ""),
    "--queue-rate",
  );
  const burstBytes = burst ?? Math.max(10 * bytesPerSecond, maxBodyBytes);
  if (burstBytes < maxBodyBytes) {
    throw new UsageError(
      `--queue-burst (${burstBytes}) must be at least --max-body-bytes (${maxBodyBytes}): a larger body could never pass`,
    );
  }
  return { bytesPerSecond, burstBytes };
}

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/** A signal this soon after the first is the same stop, relayed. */
const RELAYED_SIGNAL_MS = 1000;

/**
 * Opens the log in `dir`, serves it, prints `mrecordlog: serving DIR at URL`
 * on stdout, and runs until SIGINT or SIGTERM: then it stops the server,
 * closes the log and resolves. A second signal, a second or more after the
 * first, exits at once (code 130); one sooner is the same stop relayed
 * (Ctrl-C under `npm start` reaches the server from the terminal and again
 * from npm, which forwards it) and is ignored.
 * The forwarders `forward` asks for run from when it serves; they stop
 * (acknowledging what their streams confirmed) before the server.
 */
async function runServe(
  dir: string,
  options: ServeIngestOptions,
  forward: ForwardSpec[],
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
  let stoppingSince: number | undefined;
  const onSignal = (): void => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince >= RELAYED_SIGNAL_MS) {
        process.exit(130);
      }
      return;
    }
    stoppingSince = performance.now();
    printError("mrecordlog: stopping");
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const forwarders = serveForwarders(forward);
    const server = await serveIngest(dir, {
      ...options,
      forwarders: forward.length > 0 ? forwarders.json : undefined,
    });
    try {
      await forwarders.start(server.log);
      const auth = options.token === undefined
        ? ""
        : " (bearer token required)";
      process.stdout.write(
        `mrecordlog: serving ${dir} at ${server.url}${auth}\n`,
      );
      await stopped;
    } finally {
      await forwarders.stop();
      await server.close();
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
