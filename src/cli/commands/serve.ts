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
POST /queues/{queue}/records[?position=N][&format=ndjson|length-prefixed],
GET /queues/{queue}/records[?from=N][&to=N][&follow=true] (NDJSON lines
{"position":N,"payload":"<base64>"}), POST /queues/{queue}/truncate?position=N.
Queue names are percent-encoded ('/' as %2F). An append stores its whole body
or nothing; with ?position=N a retry writes only what is not stored yet.

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
  };
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

/**
 * Opens the log in `dir`, serves it, prints `mrecordlog: serving DIR at URL`
 * on stdout, and runs until SIGINT or SIGTERM: then it stops the server,
 * closes the log and resolves. A second signal exits at once (code 130).
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
