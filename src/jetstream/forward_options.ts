/**
 * The options of `forwardToJetStream`, checked and with their
 * defaults filled in.
 *
 * @module
 */

/** Options of `forwardToJetStream(log, queue, options)`. */
export interface ForwardOptions {
  /** The NATS server(s): `"nats://127.0.0.1:4222"`, or several to try in turn. */
  servers: string | string[];
  /** The JetStream stream the records go to; it must take `subject`. */
  stream: string;
  /** The subject each record is published on. */
  subject: string;
  /**
   * The log consumer (cursor) the forwarder reads after and acknowledges:
   * created, reading from the queue's first record held, if the queue does
   * not have it. Default `"jetstream"`.
   */
  consumer?: string;
  /** At most this many publishes wait for their `PubAck` at a time. Default 256. */
  maxInFlight?: number;
  /** A publish not acknowledged within this many milliseconds fails (and is retried). Default 5000. */
  timeoutMs?: number;
  /** The first delay before connecting again after a failure; it doubles up to `maxRetryMs`. Default 100. */
  minRetryMs?: number;
  /** The longest delay between two attempts. Default 5000. */
  maxRetryMs?: number;
  /**
   * Create the stream, taking `subject` only, if it does not exist (file
   * storage, the server's default limits and duplicate window). Default
   * `false`: a missing stream is an error, retried.
   */
  createStream?: boolean;
  /** An authentication token. */
  token?: string;
  /** A user name (with `pass`). */
  user?: string;
  /** The user's password. */
  pass?: string;
  /** The connection's name, as the server's monitoring shows it. Default `"mrecordlog-forward"`. */
  name?: string;
}

/** {@linkcode ForwardOptions} checked, every default filled in. */
export type ResolvedForwardOptions =
  & Required<Omit<ForwardOptions, "token" | "user" | "pass" | "servers">>
  & Pick<ForwardOptions, "token" | "user" | "pass">
  & { servers: string[] };

/**
 * Checks `options` and fills in the defaults. Raises `TypeError` or
 * `RangeError` on a bad value.
 */
export function resolveForwardOptions(
  options: ForwardOptions,
): ResolvedForwardOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("options must be an object");
  }
  const servers = typeof options.servers === "string"
    ? [options.servers]
    : options.servers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError("servers must be a server URL or a non-empty array");
  }
  for (const server of servers) nonEmptyString(server, "servers");
  return {
    servers,
    stream: nonEmptyString(options.stream, "stream"),
    subject: publishSubject(options.subject),
    consumer: nonEmptyString(options.consumer ?? "jetstream", "consumer"),
    maxInFlight: positiveInteger(options.maxInFlight ?? 256, "maxInFlight"),
    timeoutMs: positiveInteger(options.timeoutMs ?? 5000, "timeoutMs"),
    minRetryMs: positiveInteger(options.minRetryMs ?? 100, "minRetryMs"),
    maxRetryMs: positiveInteger(options.maxRetryMs ?? 5000, "maxRetryMs"),
    createStream: options.createStream === true,
    name: nonEmptyString(options.name ?? "mrecordlog-forward", "name"),
    token: optionalString(options.token, "token"),
    user: optionalString(options.user, "user"),
    pass: optionalString(options.pass, "pass"),
  };
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}

/** A subject to publish on: dot-separated tokens, no wildcard, no space. */
function publishSubject(value: unknown): string {
  const subject = nonEmptyString(value, "subject");
  const tokens = subject.split(".");
  if (
    /\s/.test(subject) || tokens.some((t) => t === "" || t === "*" || t === ">")
  ) {
    throw new TypeError(
      `subject must be dot-separated tokens without wildcards or spaces, got ${
        JSON.stringify(subject)
      }`,
    );
  }
  return subject;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(`${name} must be a string`);
  }
  return value;
}

function positiveInteger(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value as number;
}
