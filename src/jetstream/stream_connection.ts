/**
 * One connection of the forwarder to NATS: connected without the client's
 * own reconnection (the forwarder starts a new connection, from its last
 * ack, when one ends), and checked before anything is published: the stream
 * exists (or is created, if asked) and takes the subject.
 *
 * @module
 */

import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  jetstreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { ResolvedForwardOptions } from "./forward_options.ts";

/** An open connection whose stream takes the forwarder's subject. */
export interface StreamConnection {
  /** The NATS connection. */
  nc: NatsConnection;
  /** Its JetStream client, publishing with the forwarder's timeout. */
  js: JetStreamClient;
}

/**
 * Connects to `options.servers` and checks the stream (creating it with
 * `options.createStream`). Raises an error saying what is wrong, after
 * closing the connection.
 */
export async function openStreamConnection(
  options: ResolvedForwardOptions,
): Promise<StreamConnection> {
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    token: options.token,
    user: options.user,
    pass: options.pass,
    reconnect: false,
    timeout: options.timeoutMs,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs });
    const info = await streamInfo(
      () => jsm.streams.info(options.stream),
      () =>
        jsm.streams.add({ name: options.stream, subjects: [options.subject] }),
      options,
    );
    const subjects = info.config.subjects ?? [];
    if (!subjects.some((pattern) => subjectMatches(pattern, options.subject))) {
      throw new Error(
        `stream ${JSON.stringify(options.stream)} does not take subject ${
          JSON.stringify(options.subject)
        } (its subjects: ${subjects.join(", ") || "none"})`,
      );
    }
    return { nc, js: jetstream(nc, { timeout: options.timeoutMs }) };
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}

/** The stream's info; if it is missing, created with `createStream`, or an error. */
async function streamInfo(
  info: () => Promise<StreamInfo>,
  add: () => Promise<StreamInfo>,
  options: ResolvedForwardOptions,
): Promise<StreamInfo> {
  try {
    return await info();
  } catch (error) {
    const missing = error instanceof JetStreamApiError &&
      error.code === JetStreamApiCodes.StreamNotFound;
    if (!missing) throw error;
    if (options.createStream) return await add();
    throw new Error(
      `stream ${
        JSON.stringify(options.stream)
      } not found (create it, or let the forwarder create it: createStream, forward --create-stream, serve --forward …&create-stream)`,
      { cause: error },
    );
  }
}

/** Whether NATS subject `subject` matches `pattern` (with `*` and `>` wildcards). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ">") return have.length > i;
    if (i >= have.length || (want[i] !== "*" && want[i] !== have[i])) {
      return false;
    }
  }
  return want.length === have.length;
}
