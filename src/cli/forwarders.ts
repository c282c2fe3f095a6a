/**
 * The JetStream forwarders of the command-line tool: loading the forwarder
 * (only when a command uses it), printing each new error, and the
 * forwarders `serve --forward QUEUE=nats://host:port/STREAM/SUBJECT` runs
 * beside the server.
 *
 * @module
 */

import process from "node:process";
import type { CommandOption, Flags } from "./command.ts";
import { printError } from "./io.ts";
import { UsageError } from "./options.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import type {
  Forwarder,
  ForwarderStatus,
} from "../jetstream/forward_to_jetstream.ts";
import type { ForwarderStatusJson } from "../wire/forwarder_status_json.ts";

/**
 * The forwarder's module, loaded when a command needs it: the other
 * commands do without the NATS clients, which the npm package lists as
 * optional peer dependencies (an error says what to install if they are
 * missing).
 */
export async function loadForwarder(): Promise<
  typeof import("../jetstream/forward_to_jetstream.ts")
> {
  try {
    return await import("../jetstream/forward_to_jetstream.ts");
  } catch (error) {
    if (!/@nats-io\//.test(String((error as Error)?.message))) throw error;
    throw new Error(
      "forwarding needs the NATS clients: npm install @nats-io/jetstream @nats-io/nats-core @nats-io/transport-node",
      { cause: error },
    );
  }
}

/** Credentials from `NATS_TOKEN`, or `NATS_USER` and `NATS_PASSWORD`. */
export function natsCredentials(): {
  token?: string;
  user?: string;
  pass?: string;
} {
  const env = process.env;
  return {
    token: env.NATS_TOKEN || undefined,
    user: env.NATS_USER || undefined,
    pass: env.NATS_PASSWORD || undefined,
  };
}

/**
 * A function to call with a forwarder's status from time to time: it prints
 * `mrecordlog: forward "QUEUE": MESSAGE` on stderr for each new error
 * (once, however many retries fail the same way).
 */
export function errorPrinter(
  queue: string,
  before?: () => void,
): (status: ForwarderStatus) => void {
  let last: string | undefined;
  return (status) => {
    const message = status.lastError?.message;
    if (message !== undefined && message !== last) {
      before?.();
      printError(`mrecordlog: forward ${JSON.stringify(queue)}: ${message}`);
    }
    last = message;
  };
}

/** `serve --forward`, given once per forwarder. */
export const FORWARD_OPTION: CommandOption = {
  name: "forward",
  value: "Q=URL",
  multiple: true,
  help: `forward queue Q (created if missing) to JetStream:
URL is nats://host:port/STREAM/SUBJECT[?consumer=NAME]
[&create-stream] (log consumer default jetstream; with
create-stream, a missing stream is created); repeatable; GET /queues
shows each forwarder's status (NATS_TOKEN, NATS_USER and
NATS_PASSWORD are its credentials)`,
};

/** One `--forward`. */
export interface ForwardSpec {
  /** The queue. */
  queue: string;
  /** `nats://host:port`. */
  server: string;
  /** The stream. */
  stream: string;
  /** The subject. */
  subject: string;
  /** The log consumer. */
  consumer: string;
  /** Whether a missing stream is created (`&create-stream`). */
  createStream: boolean;
}

/** The `--forward` options given. Raises `UsageError` on a bad one. */
export function forwardSpecs(flags: Flags): ForwardSpec[] {
  const values = flags[FORWARD_OPTION.name];
  const texts = Array.isArray(values)
    ? values
    : typeof values === "string"
    ? [values]
    : [];
  const specs = texts.map(parseForwardSpec);
  const seen = new Set<string>();
  for (const { queue, consumer } of specs) {
    const key = JSON.stringify([queue, consumer]);
    if (seen.has(key)) {
      throw new UsageError(
        `--forward: queue ${
          JSON.stringify(queue)
        } is forwarded twice through consumer ${
          JSON.stringify(consumer)
        } (give each ?consumer=NAME)`,
      );
    }
    seen.add(key);
  }
  return specs;
}

/** The form of a `--forward` value, for errors and help. */
const FORWARD_FORM =
  "QUEUE=nats://host:port/STREAM/SUBJECT[?consumer=NAME][&create-stream]";

/** `QUEUE=nats://host:port/STREAM/SUBJECT[?consumer=NAME][&create-stream]`. */
export function parseForwardSpec(text: string): ForwardSpec {
  const match = /^(.+?)=(nats:\/\/[^/?#]+)\/([^/?#]+)\/([^/?#]+)(?:\?([^#]*))?$/
    .exec(text);
  const query = match && forwardQuery(match[5] ?? "");
  if (!match || !query) {
    throw new UsageError(
      `--forward must be ${FORWARD_FORM}, got ${JSON.stringify(text)}`,
    );
  }
  const [, queue, server, stream, subject] = match;
  return {
    queue,
    server,
    stream: decodeURIComponent(stream),
    subject: decodeURIComponent(subject),
    ...query,
  };
}

/**
 * The query of a `--forward` URL: `consumer=NAME` (not empty, percent-decoded,
 * a `+` kept as it is) and `create-stream[=true]`, each at most once; or
 * `undefined` for anything else.
 */
function forwardQuery(
  text: string,
): { consumer: string; createStream: boolean } | undefined {
  let consumer: string | undefined;
  let createStream: boolean | undefined;
  for (const part of text.split("&")) {
    if (part === "") continue;
    const [key, value] = part.split(/=(.*)/s, 2);
    if (key === "consumer" && consumer === undefined && value) {
      try {
        consumer = decodeURIComponent(value);
      } catch {
        return undefined; // a malformed %-escape
      }
    } else if (
      key === "create-stream" && createStream === undefined &&
      (value === undefined || value === "" || value === "true")
    ) {
      createStream = true;
    } else {
      return undefined;
    }
  }
  return { consumer: consumer ?? "jetstream", createStream: !!createStream };
}

/** The forwarders of `serve`: started once the log is open, stopped before it closes. */
export interface ServeForwarders {
  /** Their status, for `GET /queues`. */
  json(): ForwarderStatusJson[];
  /** Starts them on `log` (creating missing queues). */
  start(log: MultiRecordLog): Promise<void>;
  /** Stops them (each acks what the stream confirmed). */
  stop(): Promise<void>;
}

/** The forwarders `specs` ask for (none started yet). */
export function serveForwarders(specs: ForwardSpec[]): ServeForwarders {
  const running: [ForwardSpec, Forwarder][] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    json: () => running.map(([spec, f]) => forwarderJson(spec, f.status())),
    async start(log): Promise<void> {
      if (specs.length === 0) return;
      const { forwardToJetStream } = await loadForwarder();
      for (const spec of specs) {
        if (!log.queueExists(spec.queue)) await log.createQueue(spec.queue);
        const { queue, server, stream, subject, consumer } = spec;
        const forwarder = forwardToJetStream(log, queue, {
          servers: server,
          stream,
          subject,
          consumer,
          createStream: spec.createStream,
          ...natsCredentials(),
        });
        running.push([spec, forwarder]);
      }
      const printers = running.map(([spec]) => errorPrinter(spec.queue));
      timer = setInterval(() => {
        running.forEach(([, f], i) => printers[i](f.status()));
      }, 200);
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.all(running.map(([, f]) => f.stop()));
    },
  };
}

function forwarderJson(
  spec: ForwardSpec,
  status: ForwarderStatus,
): ForwarderStatusJson {
  const { queue, server, stream, subject, consumer } = spec;
  return {
    queue,
    server,
    stream,
    subject,
    consumer,
    acked: status.acked ?? null,
    lag: status.lag,
    connected: status.connected,
    lastError: status.lastError?.message ?? null,
    inFlight: status.inFlight,
    forwarded: status.forwarded,
    duplicates: status.duplicates,
    running: status.running,
  };
}
