/**
 * The `forward` command: a queue forwarded to a NATS JetStream stream
 * (`@x/mrecordlog/jetstream`) until SIGINT or SIGTERM.
 *
 * @module
 */

import { writeSync } from "node:fs";
import process from "node:process";
import type { Command, Flags } from "../command.ts";
import { errorPrinter, loadForwarder, natsCredentials } from "../forwarders.ts";
import { printError } from "../io.ts";
import { openLog } from "../open_log.ts";
import { stringFlag, UsageError } from "../options.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import type { MultiRecordLog } from "../../log/multi_record_log.ts";
import type { ForwardOptions } from "../../jetstream/forward_options.ts";
import type {
  Forwarder,
  ForwarderStatus,
} from "../../jetstream/forward_to_jetstream.ts";

/** `forward DIR QUEUE --nats URL --stream NAME --subject SUBJECT [--consumer NAME] [--create-stream]`. */
export const forwardCommand: Command = {
  name: "forward",
  summary: "forward a queue to a NATS JetStream stream, exactly once",
  description:
    `Publishes the queue's records to JetStream stream NAME on SUBJECT, in
order, following the queue, until SIGINT or SIGTERM (then exits 0). Reads
through log consumer --consumer (created if missing) and acknowledges a
record only once the stream confirmed it, so forwarded records are
truncated, and a restart resumes after the last one confirmed. Each record
carries Nats-Msg-Id: QUEUE/POSITION: a record published again within the
stream's duplicate window (2 minutes by default) is not stored twice.
Reconnects with backoff when the server goes away; each new error is
printed on stderr. Credentials: NATS_TOKEN, or NATS_USER and NATS_PASSWORD
in the environment.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [
    { name: "nats", value: "URL", help: "the NATS server: nats://host:4222" },
    { name: "stream", value: "NAME", help: "the JetStream stream" },
    { name: "subject", value: "SUBJECT", help: "the subject to publish on" },
    {
      name: "consumer",
      value: "NAME",
      help: "the log consumer it reads and acks (default jetstream)",
    },
    {
      name: "create-stream",
      help: "create the stream (taking SUBJECT) if it does not exist",
    },
    {
      name: "max-in-flight",
      value: "N",
      help: "publishes awaiting their PubAck at most (default 256)",
    },
    QUIET_OPTION,
  ],
  takesLock: true,
  async run([dir, queue], flags): Promise<number> {
    const options = forwardOptions(flags);
    const { forwardToJetStream } = await loadForwarder();
    await using log = await openLog(dir, "write", progressWanted(flags));
    const forwarder = forwardToJetStream(log, queue, options);
    return await runForwarder(log, queue, forwarder, progressWanted(flags));
  },
};

/** The forwarder's options from the command line and the environment. */
function forwardOptions(flags: Flags): ForwardOptions {
  const required = (name: string): string => {
    const value = stringFlag(flags, name);
    if (value === undefined || value === "") {
      throw new UsageError(`--${name} is required`);
    }
    return value;
  };
  const maxInFlight = stringFlag(flags, "max-in-flight");
  if (maxInFlight !== undefined && !/^[1-9][0-9]{0,8}$/.test(maxInFlight)) {
    throw new UsageError(
      `--max-in-flight must be a positive integer, got ${
        JSON.stringify(maxInFlight)
      }`,
    );
  }
  return {
    servers: required("nats"),
    stream: required("stream"),
    subject: required("subject"),
    consumer: stringFlag(flags, "consumer"),
    createStream: flags["create-stream"] === true,
    maxInFlight: maxInFlight === undefined ? undefined : Number(maxInFlight),
    ...natsCredentials(),
  };
}

/** How often the status is looked at (the line redrawn, new errors printed). */
const STATUS_MS = 200;

/**
 * Runs `forwarder` until SIGINT or SIGTERM (0), or until it stops by itself
 * (1: the log failed or closed), showing its status line if `showStatus`
 * and printing each new error.
 */
async function runForwarder(
  log: MultiRecordLog,
  queue: string,
  forwarder: Forwarder,
  showStatus: boolean,
): Promise<number> {
  let signalled = false;
  const onSignal = (): void => {
    if (signalled) process.exit(130);
    signalled = true;
    forwarder.stop().catch(() => {});
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const line = statusLine(queue, showStatus);
  const timer = setInterval(() => line(forwarder.status()), STATUS_MS);
  try {
    await forwarder.done;
    line(forwarder.status());
    line(undefined);
  } finally {
    clearInterval(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const status = forwarder.status();
  printError(
    `mrecordlog: forwarded ${status.forwarded} record(s) of ${
      JSON.stringify(queue)
    }; acknowledged up to ${status.acked ?? "none"}, ${status.lag} left`,
  );
  if (signalled && !log.closed) return 0;
  throw status.lastError ?? new Error("the forwarder stopped");
}

/**
 * A function that shows a status: each new error on a line of its own
 * (always), and the status line, redrawn in place (if `show`);
 * `undefined` erases the line.
 */
function statusLine(
  queue: string,
  show: boolean,
): (status: ForwarderStatus | undefined) => void {
  let shown = false;
  const erase = (): void => {
    if (shown) writeSync(2, "\r\x1b[K");
    shown = false;
  };
  const printErrors = errorPrinter(queue, erase);
  return (status) => {
    if (status === undefined) return erase();
    printErrors(status);
    if (!show) return;
    const state = status.connected ? "connected" : "not connected";
    writeSync(
      2,
      `\r\x1b[Kforwarding ${
        JSON.stringify(queue)
      }: ${status.forwarded} record(s) forwarded, acked up to ${
        status.acked ?? "none"
      }, ${status.lag} left, ${status.inFlight} in flight, ${state}`,
    );
    shown = true;
  };
}
